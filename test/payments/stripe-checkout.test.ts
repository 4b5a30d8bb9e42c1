import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import type { TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  deliverStripeEvent,
  type FakeStripe,
  fakeStripeEnvironment,
  type StripeEvent,
  startFakeStripe,
} from "../helpers/fake-stripe.ts";
import {
  createCheckoutCustomer,
  paymentCounts,
  startCheckoutTestApp,
} from "../helpers/payment-scenario.ts";

/**
 * Stripe end to end: Checkout Session (the official SDK talking to a local fake) → the customer pays →
 * signed `checkout.session.completed` and `payment_intent.succeeded` → the payment success pipeline, once;
 * and a stored card charged off-session with PaymentIntents.
 */
let app: TestApp;
let fake: FakeStripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startCheckoutTestApp({
    ...fakeStripeEnvironment(fake),
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const createCustomer = () =>
  createCheckoutCustomer(app, {
    idPrefix: "st",
    name: "Clínica",
    owner: "marta",
    emailDomain: "clinica.example",
    locale: "es",
  });

async function startCheckout(planId = "premium", interval = "month") {
  const customer = await createCustomer();
  const started = await app.request(
    "POST",
    `/v1/organizations/${customer.organizationId}/checkouts`,
    { body: { planId, interval, provider: "stripe" } },
  );
  expect(started.status).toBe(201);
  return { ...customer, checkout: started.body.checkout };
}

function deliver(event: StripeEvent, timestamp?: number) {
  return deliverStripeEvent(app, fake, event, timestamp === undefined ? {} : { timestamp });
}

const counts = (organizationId: string) => paymentCounts(app, organizationId);

describe("Stripe checkout", () => {
  it("checkout → paid → webhooks → active subscription, entitlement, purchase email", async () => {
    const { organizationId, email, checkout } = await startCheckout();
    expect(checkout).toMatchObject({ provider: "stripe", status: "open", amount: 10000 });
    expect(checkout.providerCheckoutId).toMatch(/^cs_test_/);
    expect(checkout.redirectUrl).toContain("checkout.stripe.com");

    const { events } = fake.completeCheckout(checkout.providerCheckoutId);
    const outcomes = [];
    for (const event of events) outcomes.push((await deliver(event)).body.outcome);
    // checkout.session.completed and payment_intent.succeeded name the same PaymentIntent.
    expect(outcomes).toEqual(["processed", "duplicate"]);

    const subscription = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/subscription`,
    );
    expect(subscription.body).toMatchObject({ planId: "premium", status: "active" });
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body).toMatchObject({ planId: "premium", status: "active" });

    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const mailbox = await app.request("GET", `/v1/mailbox?to=${email}`);
    expect(mailbox.body.data).toHaveLength(1);
    expect(mailbox.body.data[0].subject).toBe("Tu suscripción a Premium está activa");
  });

  it("a bad or stale signature → 400, nothing changes", async () => {
    const { organizationId, checkout } = await startCheckout("plus");
    const { events } = fake.completeCheckout(checkout.providerCheckoutId);
    const [completed] = events;
    if (!completed) throw new Error("no event");
    const forged = fake.webhookRequest(completed, { secret: "whsec_not_the_right_one" });
    const bad = await app.request("POST", "/v1/webhooks/stripe", {
      auth: null,
      rawBody: forged.body,
      headers: forged.headers,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("webhook_signature_invalid");
    const stale = await deliver(completed, Math.floor(Date.now() / 1000) - 301);
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe("webhook_signature_invalid");
    expect(await counts(organizationId)).toEqual({ payments: 0, subscriptions: 0, invoices: 0 });
  });

  it("the same event 10 times concurrently (and its twin event) → one payment, one subscription", async () => {
    const { organizationId, checkout } = await startCheckout("plus");
    const { events } = fake.completeCheckout(checkout.providerCheckoutId);
    const deliveries = Array.from({ length: 10 }, (_, index) => events[index % events.length]);
    const responses = await Promise.all(
      deliveries.map((event) => {
        if (!event) throw new Error("no event");
        return deliver(event);
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(responses.filter((response) => response.body.outcome === "processed")).toHaveLength(1);
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });
  });

  it("a failed payment leaves the organization as it was; the customer can pay again", async () => {
    const { organizationId, checkout } = await startCheckout("plus");
    const failed = fake.completeCheckout(checkout.providerCheckoutId, { outcome: "failed" });
    const failedOutcomes = [];
    for (const event of failed.events) failedOutcomes.push((await deliver(event)).body.outcome);
    expect(failedOutcomes).toEqual(["failed_payment"]);
    expect(await counts(organizationId)).toEqual({ payments: 0, subscriptions: 0, invoices: 0 });
    const entitlement = await app.request("GET", `/v1/organizations/${organizationId}/entitlement`);
    expect(entitlement.body.planId).toBe("free");
    const status = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/checkouts/${checkout.id}`,
    );
    expect(status.body).toMatchObject({ status: "failed", failureCode: "card_declined" });

    const paid = fake.completeCheckout(checkout.providerCheckoutId);
    const paidOutcomes = [];
    for (const event of paid.events) paidOutcomes.push((await deliver(event)).body.outcome);
    expect(paidOutcomes).toEqual(["processed", "duplicate"]);
    expect(await counts(organizationId)).toEqual({ payments: 1, subscriptions: 1, invoices: 1 });
  });

  it("two open checkouts both paid: the first applies, the second is stale and refunded", async () => {
    const { organizationId, checkout: first } = await startCheckout("plus");
    const second = await app.request("POST", `/v1/organizations/${organizationId}/checkouts`, {
      body: { planId: "premium", interval: "month", provider: "stripe" },
    });
    expect(second.body.checkout).toMatchObject({ isUpgrade: false, amount: 10000 });
    for (const event of fake.completeCheckout(first.providerCheckoutId).events)
      await deliver(event);
    const late = fake.completeCheckout(second.body.checkout.providerCheckoutId);
    const outcomes = await Promise.all(
      late.events.map(async (event) => (await deliver(event)).body.outcome as string),
    );
    expect(outcomes.filter((outcome) => outcome.startsWith("unapplied: "))).toEqual([
      expect.stringContaining("changed after the checkout was quoted"),
    ]);
    expect(outcomes.filter((outcome) => outcome === "duplicate")).toHaveLength(1);
    const subscription = await app.request(
      "GET",
      `/v1/organizations/${organizationId}/subscription`,
    );
    expect(subscription.body.planId).toBe("plus");
    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const refunds = fake.requestsTo("POST", "/v1/refunds");
    expect(refunds.at(-1)?.body).toMatchObject({
      payment_intent: late.paymentIntentId,
      amount: "10000",
    });
  });

  it("charge.refunded flows back to the payment and the invoice", async () => {
    const { organizationId, checkout } = await startCheckout("plus");
    const { events, paymentIntentId } = fake.completeCheckout(checkout.providerCheckoutId);
    for (const event of events) await deliver(event);
    const { event } = fake.refund(paymentIntentId, 1000);
    expect((await deliver(event)).body.outcome).toBe("refund processed");
    expect((await deliver(event)).body.outcome).toBe("refund duplicate");
    const invoices = await app.request("GET", `/v1/organizations/${organizationId}/invoices`);
    expect(invoices.body.data[0]).toMatchObject({ amountPaid: 4000, amountRefunded: 1000 });
  });
});

describe("Stripe stored cards", () => {
  it("a card stored on the organization's Stripe customer pays the subscription off-session; a decline → 402", async () => {
    const { organizationId } = await createCustomer();
    const method = await app.request(
      "POST",
      `/v1/organizations/${organizationId}/payment-methods`,
      { body: { provider: "stripe", token: "pm_card_visa" } },
    );
    expect(method.status).toBe(201);
    const subscribed = await app.request(
      "POST",
      `/v1/organizations/${organizationId}/subscription`,
      { body: { planId: "plus", interval: "month" } },
    );
    expect(subscribed.status).toBe(201);
    expect(subscribed.body.invoice).toMatchObject({ status: "paid", amountPaid: 4000 });
    const intents = fake.requestsTo("POST", "/v1/payment_intents");
    expect(intents.at(-1)?.body).toMatchObject({
      amount: "4000",
      currency: "usd",
      off_session: "true",
      confirm: "true",
    });

    // Stripe's webhook for that off-session charge finds it on record.
    const succeeded = fake.events.find(
      (event) =>
        event.type === "payment_intent.succeeded" &&
        (event.data.object as { metadata?: { organizationId?: string } }).metadata
          ?.organizationId === organizationId,
    );
    if (!succeeded) throw new Error("no payment_intent.succeeded for the off-session charge");
    expect((await deliver(succeeded)).body.outcome).toBe("duplicate");

    const declining = await createCustomer();
    await app.request("POST", `/v1/organizations/${declining.organizationId}/payment-methods`, {
      body: { provider: "stripe", token: "pm_card_chargeCustomerFail" },
    });
    const declined = await app.request(
      "POST",
      `/v1/organizations/${declining.organizationId}/subscription`,
      { body: { planId: "plus", interval: "month" } },
    );
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe("payment_failed");
    expect(await counts(declining.organizationId)).toMatchObject({ subscriptions: 0 });
  });
});

describe("upgrades through checkout (isUpgrade)", () => {
  async function payCheckout(organizationId: string, planId: string) {
    const started = await app.request("POST", `/v1/organizations/${organizationId}/checkouts`, {
      body: { planId, interval: "month", provider: "stripe" },
    });
    expect(started.status).toBe(201);
    return {
      checkout: started.body.checkout,
      pay: async () => {
        const { events, paymentIntentId } = fake.completeCheckout(
          started.body.checkout.providerCheckoutId,
        );
        const outcomes = [];
        for (const event of events) outcomes.push((await deliver(event)).body.outcome as string);
        return { outcomes, paymentIntentId };
      },
    };
  }

  it("an upgrade is quoted with the change pipeline and applied as quoted, even if paid later", async () => {
    const customer = await createBillingOrganization(app, {
      start: "2026-03-01T00:00:00Z",
      paymentToken: null,
    });
    const first = await payCheckout(customer.organizationId, "plus");
    expect((await first.pay()).outcomes).toEqual(["processed", "duplicate"]);
    const before = await app.request("GET", customer.path("/subscription"));

    await customer.advance("2026-03-16T00:00:00Z");
    const preview = await app.request("POST", customer.path("/subscription/preview-change"), {
      body: { planId: "premium", interval: "month" },
    });
    const upgrade = await payCheckout(customer.organizationId, "premium");
    expect(upgrade.checkout).toMatchObject({ isUpgrade: true, amount: preview.body.amountDue });
    // 16 of March's 31 days left: round(10000 × 16/31) − round(4000 × 16/31), half away from zero.
    expect(upgrade.checkout.amount).toBe(5161 - 2065);

    // The customer pays a day later: the proration is the quoted one, not recomputed.
    await customer.advance("2026-03-17T00:00:00Z");
    expect((await upgrade.pay()).outcomes).toEqual(["processed", "duplicate"]);
    const after = await app.request("GET", customer.path("/subscription"));
    expect(after.body).toMatchObject({ id: before.body.id, planId: "premium", status: "active" });
    expect(after.body.currentPeriodEnd).toBe(before.body.currentPeriodEnd);
    const invoices = await app.request("GET", customer.path("/invoices"));
    const change = invoices.body.data.find(
      (invoice: { billingReason: string }) => invoice.billingReason === "subscription_change",
    );
    expect(change).toMatchObject({ amountPaid: upgrade.checkout.amount, status: "paid" });
  });

  it("a quote made stale by a renewal is not applied: the payment is refunded", async () => {
    const customer = await createBillingOrganization(app, {
      start: "2026-05-01T00:00:00Z",
      paymentToken: null,
    });
    await (await payCheckout(customer.organizationId, "plus")).pay();
    await customer.advance("2026-05-20T00:00:00Z");
    const upgrade = await payCheckout(customer.organizationId, "premium");
    // The period ends before the customer pays (the renewal finds no stored card: past due).
    await customer.advance("2026-06-02T00:00:00Z");
    const { outcomes, paymentIntentId } = await upgrade.pay();
    expect(outcomes).toEqual([
      expect.stringMatching(/^unapplied: .*changed after the checkout was quoted/),
      "duplicate",
    ]);
    const subscription = await app.request("GET", customer.path("/subscription"));
    expect(subscription.body.planId).toBe("plus");
    expect(subscription.body.status).toBe("past_due");
    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const refunds = fake.requestsTo("POST", "/v1/refunds");
    expect(refunds.at(-1)?.body).toMatchObject({
      payment_intent: paymentIntentId,
      amount: String(upgrade.checkout.amount),
    });
  });
});
