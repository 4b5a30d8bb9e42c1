import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import {
  deliverStripeEvent,
  type FakeStripe,
  fakeStripeEnvironment,
  type StripeEvent,
  startFakeStripe,
} from "../helpers/fake-stripe.ts";
import { createCheckoutCustomer, startCheckoutTestApp } from "../helpers/payment-scenario.ts";

/**
 * Adding a card on Stripe's own page: a Checkout Session in setup mode (the official SDK talking to a
 * local fake), the customer enters a card, Stripe's signed `checkout.session.completed` (mode setup) or
 * the return page stores it once, as the default when asked, and renewals then charge it off-session.
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
    idPrefix: "setup",
    name: "Consultorio",
    owner: "lucia",
    emailDomain: "consultorio.example",
    locale: "es",
  });

function deliver(event: StripeEvent) {
  return deliverStripeEvent(app, fake, event);
}

async function startSetup(organizationId: string, body: Record<string, unknown> = {}) {
  const started = await app.request(
    "POST",
    `/v1/organizations/${organizationId}/payment-methods/setup-sessions`,
    { body: { provider: "stripe", ...body } },
  );
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body as { id: string; provider: string; url: string };
}

const methodsOf = async (organizationId: string) =>
  (await app.request("GET", `/v1/organizations/${organizationId}/payment-methods`)).body.data as {
    id: string;
    provider: string;
    description: string;
    default: boolean;
  }[];

describe("saving a card with Stripe Checkout (setup mode)", () => {
  it("stores the card from the signed webhook, as the default, and renewals charge it off-session", async () => {
    const customer = await createCustomer();
    const session = await startSetup(customer.organizationId, {
      default: true,
      successUrl: "https://app.example.com/billing?setup_session={CHECKOUT_SESSION_ID}",
      cancelUrl: "https://app.example.com/billing",
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`https://checkout.stripe.com/c/pay/${session.id}`);
    const created = fake.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(created?.body).toMatchObject({
      mode: "setup",
      allowed_payment_method_types: ["card"],
      locale: "es",
      metadata: { organizationId: customer.organizationId, makeDefault: "true" },
    });
    expect(String(created?.body.customer)).toMatch(/^cus_/);
    expect(await methodsOf(customer.organizationId)).toEqual([]);

    const completed = fake.completeSetupSession(session.id, { card: "pm_card_mastercard" });
    expect(completed.returnUrl).toBe(`https://app.example.com/billing?setup_session=${session.id}`);
    const outcomes: string[] = [];
    for (const event of completed.events) {
      const delivered = await deliver(event);
      expect(delivered.status).toBe(200);
      outcomes.push(delivered.body.outcome);
    }
    expect(outcomes[0]).toBe("ignored: setup_intent.succeeded");
    expect(outcomes[1]).toMatch(/^payment_method_saved: pm_/);
    const methods = await methodsOf(customer.organizationId);
    expect(methods).toEqual([
      expect.objectContaining({
        provider: "stripe",
        description: "Mastercard •••• 4444",
        default: true,
      }),
    ]);
    const [stored] = (
      await app.database.pool.query("select token from payment_methods where id = $1", [
        methods[0]?.id,
      ])
    ).rows;
    expect(stored.token).toBe(`${created?.body.customer}/${completed.paymentMethodId}`);

    // The return page reports the same session: the card is not stored twice.
    const returned = await app.request(
      "POST",
      `/v1/organizations/${customer.organizationId}/payment-methods/setup-sessions/${session.id}/complete`,
      { body: { provider: "stripe" } },
    );
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({
      status: "complete",
      paymentMethod: { id: methods[0]?.id, default: true },
    });
    // A redelivered webhook neither.
    expect((await deliver(completed.events[1] as never)).body.outcome).toBe(
      `payment_method_saved: ${methods[0]?.id}`,
    );
    expect(await methodsOf(customer.organizationId)).toHaveLength(1);

    // The saved card pays: an off-session PaymentIntent on the customer and that card.
    const subscribed = await app.request(
      "POST",
      `/v1/organizations/${customer.organizationId}/subscription`,
      { body: { planId: "plus", interval: "month" } },
    );
    expect(subscribed.status).toBe(201);
    expect(subscribed.body.invoice).toMatchObject({ status: "paid", amountPaid: 4000 });
    expect(fake.requestsTo("POST", "/v1/payment_intents").at(-1)?.body).toMatchObject({
      customer: created?.body.customer,
      payment_method: completed.paymentMethodId,
      off_session: "true",
    });
  });

  it("the return page stores it once even when it races the webhook; not the default unless asked", async () => {
    const customer = await createCustomer();
    const first = await app.request(
      "POST",
      `/v1/organizations/${customer.organizationId}/payment-methods`,
      {
        body: { provider: "stripe", token: "pm_card_visa" },
      },
    );
    expect(first.status).toBe(201);
    const session = await startSetup(customer.organizationId);
    const completePath = `/v1/organizations/${customer.organizationId}/payment-methods/setup-sessions/${session.id}/complete`;
    const open = await app.request("POST", completePath, { body: {} });
    expect(open.body).toEqual({ status: "open", paymentMethod: null });

    const completed = fake.completeSetupSession(session.id, { card: "pm_card_amex" });
    const sessionEvent = completed.events[1];
    if (!sessionEvent) throw new Error("no checkout.session.completed");
    const results = await Promise.all([
      app.request("POST", completePath, { body: {} }),
      app.request("POST", completePath, { body: {} }),
      deliver(sessionEvent),
      deliver(sessionEvent),
    ]);
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200]);
    const methods = await methodsOf(customer.organizationId);
    expect(methods.map((method) => [method.description, method.default])).toEqual([
      ["Visa •••• 4242", true],
      ["American Express •••• 8431", false],
    ]);
    expect(results[0]?.body.paymentMethod.id).toBe(methods[1]?.id);
    expect(results[1]?.body.paymentMethod.id).toBe(methods[1]?.id);
  });

  it("says that Stripe can save cards on its page", async () => {
    const providers = await app.request("GET", "/v1/payment-providers");
    expect(providers.body.data).toContainEqual({ name: "stripe", checkout: true, cardSetup: true });
  });

  it("refuses another organization's session, an unknown one, and providers without a setup page", async () => {
    const owner = await createCustomer();
    const other = await createCustomer();
    const session = await startSetup(owner.organizationId);
    fake.completeSetupSession(session.id);
    const stolen = await app.request(
      "POST",
      `/v1/organizations/${other.organizationId}/payment-methods/setup-sessions/${session.id}/complete`,
      { body: {} },
    );
    expect(stolen.status).toBe(404);
    expect(await methodsOf(other.organizationId)).toEqual([]);
    const unknown = await app.request(
      "POST",
      `/v1/organizations/${owner.organizationId}/payment-methods/setup-sessions/cs_test_nope/complete`,
      { body: {} },
    );
    expect(unknown.status).toBe(404);
    // A setup session another integration opened on the same Stripe account is acknowledged and ignored.
    const stripeCall = async (route: string, form: Record<string, string>) => {
      const response = await fetch(`${fake.apiUrl}${route}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${fake.secretKey}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(form).toString(),
      });
      return (await response.json()) as { id: string };
    };
    const customer = await stripeCall("/v1/customers", { email: "other@example.com" });
    const foreign = await stripeCall("/v1/checkout/sessions", {
      mode: "setup",
      customer: customer.id,
      currency: "usd",
      success_url: "https://other.example.com/done",
      cancel_url: "https://other.example.com/",
    });
    const foreignEvent = fake.completeSetupSession(foreign.id).events[1];
    if (!foreignEvent) throw new Error("no checkout.session.completed");
    const ignored = await deliver(foreignEvent);
    expect(ignored.status).toBe(200);
    expect(ignored.body.outcome).toBe(
      `ignored: setup session ${foreign.id} is not an Abono card setup`,
    );
    const paypal = await app.request(
      "POST",
      `/v1/organizations/${owner.organizationId}/payment-methods/setup-sessions`,
      { body: { provider: "paypal" } },
    );
    expect(paypal.status).toBe(400);
    expect(paypal.body.error.code).toBe("validation_error");
    const badUrl = await app.request(
      "POST",
      `/v1/organizations/${owner.organizationId}/payment-methods/setup-sessions`,
      { body: { successUrl: "javascript:alert(1)" } },
    );
    expect(badUrl.status).toBe(400);
  });
});
