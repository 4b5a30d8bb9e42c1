import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MoneyError } from "../../src/money/index.ts";
import {
  type CheckoutProvider,
  type CheckoutRequest,
  type PaymentNotice,
  WebhookVerificationError,
} from "../../src/payments/checkout-provider.ts";
import { PaymentMethodRejectedError } from "../../src/payments/payment-provider.ts";
import { createStripeProvider } from "../../src/providers/stripe/stripe-provider.ts";
import { type FakeStripe, type StripeEvent, startFakeStripe } from "../helpers/fake-stripe.ts";

/**
 * The Stripe adapter against FakeStripe through the real `stripe` SDK: what reaches "Stripe" (amounts,
 * currency case, off_session, metadata, idempotency keys), how Stripe's answers map back, and webhook
 * verification against signatures computed independently of the SDK. No database involved.
 */

let fake: FakeStripe;
let stripe: CheckoutProvider;
let counter = 0;
const unique = (prefix: string) => {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`;
};

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = createStripeProvider(
    { secretKey: fake.secretKey, webhookSecret: fake.webhookSecret, apiUrl: fake.apiUrl },
    { maxNetworkRetries: 0 },
  );
});

afterAll(async () => {
  await fake.close();
});

async function storedCard(card = "pm_card_visa", organizationId = unique("org")) {
  const { storedToken } = await stripe.validatePaymentMethod({
    token: card,
    organizationId,
    email: "owner@example.com",
  });
  if (!storedToken) throw new Error("no stored token");
  return { storedToken, organizationId };
}

function chargeRequest(
  token: string,
  overrides: Partial<Parameters<CheckoutProvider["charge"]>[0]> = {},
) {
  return {
    token,
    amount: 1999n,
    currency: "USD",
    paymentId: unique("pay"),
    invoiceId: unique("inv"),
    organizationId: "org_charge",
    description: "Invoice ABONO-000001",
    ...overrides,
  };
}

function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    checkoutId: unique("chk"),
    organizationId: unique("org"),
    amount: 4900n,
    currency: "USD",
    description: "Pro (monthly)",
    customerEmail: "buyer@example.com",
    locale: "es",
    successUrl: "https://app.example.com/billing/success",
    cancelUrl: "https://app.example.com/billing/cancel",
    webhookUrl: "https://abono.example.com/v1/webhooks/stripe",
    ...overrides,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function deliver(event: StripeEvent, provider = stripe): Promise<PaymentNotice> {
  const { rawBody, headers } = fake.webhookRequest(event);
  const verified = await provider.verifyWebhook({ rawBody, headers, query: {}, now: new Date() });
  return provider.interpretWebhook(verified);
}

describe("createStripeProvider", () => {
  it("refuses an API URL with a path, which the SDK would silently drop", () => {
    expect(() =>
      createStripeProvider({
        secretKey: fake.secretKey,
        webhookSecret: undefined,
        apiUrl: `${fake.apiUrl}/v1`,
      }),
    ).toThrow(/origin without a path/);
  });
});

describe("validatePaymentMethod", () => {
  it("attaches the card to the organization's customer and returns cus_…/pm_…", async () => {
    const organizationId = unique("org");
    const result = await stripe.validatePaymentMethod({
      token: "pm_card_visa",
      organizationId,
      email: "owner@example.com",
    });
    expect(result.description).toBe("Visa •••• 4242");
    const [customerId, paymentMethodId] = (result.storedToken ?? "").split("/");
    expect(customerId).toMatch(/^cus_\w+$/);
    // Stripe clones test tokens on attach; the clone is what can be charged later.
    expect(paymentMethodId).toMatch(/^pm_\w+$/);
    expect(paymentMethodId).not.toBe("pm_card_visa");
    expect(fake.paymentMethods.get(paymentMethodId ?? "")?.customer).toBe(customerId);
    const customer = fake.customers.get(customerId ?? "");
    expect(customer?.metadata).toEqual({ organizationId });
    expect(customer?.email).toBe("owner@example.com");
    const create = fake.requestsTo("POST", "/v1/customers").at(-1);
    expect(create?.idempotencyKey).toBe(`abono-customer-${organizationId}`);
    expect(create?.headers.authorization).toBe(`Bearer ${fake.secretKey}`);
  });

  it("finds the organization's existing customer instead of creating another", async () => {
    const organizationId = unique("org");
    const creates = () =>
      fake
        .requestsTo("POST", "/v1/customers")
        .filter((request) => JSON.stringify(request.body).includes(organizationId)).length;
    const first = await storedCard("pm_card_visa", organizationId);
    const second = await storedCard("pm_card_mastercard", organizationId);
    expect(second.storedToken.split("/")[0]).toBe(first.storedToken.split("/")[0]);
    expect(creates()).toBe(1);
  });

  it("relies on the idempotency key while Stripe's search index lags", async () => {
    const organizationId = unique("org");
    fake.customerSearchLags = true;
    try {
      const first = await storedCard("pm_card_visa", organizationId);
      const second = await storedCard("pm_card_visa", organizationId);
      expect(second.storedToken.split("/")[0]).toBe(first.storedToken.split("/")[0]);
      const creates = fake
        .requestsTo("POST", "/v1/customers")
        .filter((request) => request.idempotencyKey === `abono-customer-${organizationId}`);
      expect(creates.map((request) => request.replayed)).toEqual([false, true]);
    } finally {
      fake.customerSearchLags = false;
    }
  });

  it("describes other brands", async () => {
    const { description } = await stripe.validatePaymentMethod({
      token: "pm_card_amex",
      organizationId: unique("org"),
      email: null,
    });
    expect(description).toBe("American Express •••• 8431");
  });

  it("rejects an unknown PaymentMethod id", async () => {
    await expect(
      stripe.validatePaymentMethod({
        token: "pm_doesNotExist",
        organizationId: "org_x",
        email: null,
      }),
    ).rejects.toThrow(PaymentMethodRejectedError);
    await expect(
      stripe.validatePaymentMethod({
        token: "pm_doesNotExist",
        organizationId: "org_x",
        email: null,
      }),
    ).rejects.toThrow(/Stripe has no payment method "pm_doesNotExist"/);
  });

  it("rejects something that is not a PaymentMethod id without calling Stripe", async () => {
    const before = fake.requests.length;
    await expect(
      stripe.validatePaymentMethod({ token: "tok_visa", organizationId: "org_x", email: null }),
    ).rejects.toThrow(/not a Stripe PaymentMethod id/);
    expect(fake.requests.length).toBe(before);
  });

  it("rejects a card Stripe declines when it is attached", async () => {
    const error = await stripe
      .validatePaymentMethod({
        token: "pm_card_chargeDeclined",
        organizationId: unique("org"),
        email: null,
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentMethodRejectedError);
    expect((error as Error).message).toMatch(
      /Stripe declined card pm_card_chargeDeclined: Your card was declined/,
    );
  });

  it("does not blame the card for a wrong secret key", async () => {
    const misconfigured = createStripeProvider(
      { secretKey: "sk_test_wrong", webhookSecret: undefined, apiUrl: fake.apiUrl },
      { maxNetworkRetries: 0 },
    );
    const error = await misconfigured
      .validatePaymentMethod({ token: "pm_card_visa", organizationId: "org_x", email: null })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(fake.requests.at(-1)?.status).toBe(401);
  });
});

describe("charge", () => {
  it("confirms an off-session PaymentIntent keyed by the payment id", async () => {
    const { storedToken } = await storedCard();
    const [customerId, paymentMethodId] = storedToken.split("/");
    const request = chargeRequest(storedToken);
    const result = await stripe.charge(request);
    expect(result).toEqual({
      status: "succeeded",
      providerPaymentId: expect.stringMatching(/^pi_/),
    });
    const sent = fake.requestsTo("POST", "/v1/payment_intents").at(-1);
    expect(sent?.idempotencyKey).toBe(request.paymentId);
    expect(sent?.body).toMatchObject({
      amount: "1999",
      currency: "usd",
      customer: customerId,
      payment_method: paymentMethodId,
      confirm: "true",
      off_session: "true",
      description: "Invoice ABONO-000001",
      metadata: {
        paymentId: request.paymentId,
        invoiceId: request.invoiceId,
        organizationId: "org_charge",
      },
    });
    if (result.status !== "succeeded") throw new Error("unreachable");
    const intent = fake.paymentIntents.get(result.providerPaymentId);
    expect(intent?.status).toBe("succeeded");
    expect(intent?.amount_received).toBe(1999);
  });

  it.each([
    ["pm_card_chargeDeclined", "card_declined", /declined/],
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", /insufficient funds/],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", /expired/],
    ["pm_card_authenticationRequired", "authentication_required", /requires authentication/],
  ])("maps a decline of %s to %s", async (card, code, message) => {
    const { storedToken } = await storedCard();
    const customerId = storedToken.split("/")[0];
    const result = await stripe.charge(chargeRequest(`${customerId}/${card}`));
    expect(result).toMatchObject({
      status: "failed",
      code,
      message: expect.stringMatching(message),
    });
    if (result.status !== "failed") throw new Error("unreachable");
    expect(result.providerPaymentId).toMatch(/^pi_/);
    expect(fake.paymentIntents.get(result.providerPaymentId ?? "")?.status).toBe(
      "requires_payment_method",
    );
  });

  it("maps a stored card that declines at charge time (attached fine earlier)", async () => {
    const { storedToken } = await storedCard("pm_card_chargeCustomerFail");
    const result = await stripe.charge(chargeRequest(storedToken));
    expect(result).toMatchObject({ status: "failed", code: "card_declined" });
  });

  it("answers a repeated charge from the idempotency key: one PaymentIntent", async () => {
    const { storedToken } = await storedCard();
    const request = chargeRequest(storedToken);
    const intentsBefore = fake.paymentIntents.size;
    const first = await stripe.charge(request);
    const second = await stripe.charge(request);
    expect(second).toEqual(first);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
    const sent = fake
      .requestsTo("POST", "/v1/payment_intents")
      .filter((r) => r.idempotencyKey === request.paymentId);
    expect(sent.map((r) => r.replayed)).toEqual([false, true]);
  });

  it("answers a repeated declined charge with the same decline", async () => {
    const { storedToken } = await storedCard();
    const request = chargeRequest(`${storedToken.split("/")[0]}/pm_card_chargeDeclined`);
    const intentsBefore = fake.paymentIntents.size;
    const first = await stripe.charge(request);
    expect(await stripe.charge(request)).toEqual(first);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
  });

  it("keeps a large amount exact", async () => {
    const { storedToken } = await storedCard();
    const result = await stripe.charge(chargeRequest(storedToken, { amount: 12345678901n }));
    expect(result.status).toBe("succeeded");
    expect(fake.requestsTo("POST", "/v1/payment_intents").at(-1)?.body.amount).toBe("12345678901");
  });

  it("refuses an amount beyond the safe integer range before calling Stripe", async () => {
    const before = fake.requests.length;
    await expect(stripe.charge(chargeRequest("cus_x/pm_y", { amount: 2n ** 53n }))).rejects.toThrow(
      MoneyError,
    );
    expect(fake.requests.length).toBe(before);
  });

  it.each([
    ["JPY", 500n, "500", "jpy"],
    ["CLP", 9990n, "9990", "clp"],
    ["COP", 50000n, "5000000", "cop"],
    ["ISK", 1000n, "100000", "isk"],
    ["KWD", 1250n, "1250", "kwd"],
  ])("sends %s %s minor units as Stripe's amount %s", async (currency, amount, sent, lower) => {
    const { storedToken } = await storedCard();
    const result = await stripe.charge(chargeRequest(storedToken, { amount, currency }));
    expect(result.status).toBe("succeeded");
    const body = fake.requestsTo("POST", "/v1/payment_intents").at(-1)?.body;
    expect(body).toMatchObject({ amount: sent, currency: lower });
  });

  it("returns a processing error when Stripe answers 5xx", async () => {
    const { storedToken } = await storedCard();
    fake.failNext({ status: 500, path: "/v1/payment_intents" });
    const result = await stripe.charge(chargeRequest(storedToken));
    expect(result).toMatchObject({
      status: "failed",
      code: "processing_error",
      providerPaymentId: null,
      message: expect.stringMatching(/Stripe could not process the charge \(api_error 500\)/),
    });
  });

  it("by default retries a 5xx with the same idempotency key, so the customer is charged once", async () => {
    const retrying = createStripeProvider({
      secretKey: fake.secretKey,
      webhookSecret: undefined,
      apiUrl: fake.apiUrl,
    });
    const { storedToken } = await storedCard();
    const request = chargeRequest(storedToken);
    fake.failNext({ status: 503, path: "/v1/payment_intents" });
    const result = await retrying.charge(request);
    expect(result.status).toBe("succeeded");
    const sent = fake.requestsTo("POST", "/v1/payment_intents").slice(-2);
    expect(sent.map((r) => [r.status, r.idempotencyKey])).toEqual([
      [503, request.paymentId],
      [200, request.paymentId],
    ]);
  });

  it("bounds a charge by its timeout: no answer in time is a processing error whose outcome is unknown", async () => {
    const impatient = createStripeProvider(
      { secretKey: fake.secretKey, webhookSecret: undefined, apiUrl: fake.apiUrl },
      { maxNetworkRetries: 0, timeoutMs: 200 },
    );
    const { storedToken } = await storedCard();
    fake.holdNext({ path: "/v1/payment_intents", ms: 1_000 });
    const started = Date.now();
    const result = await impatient.charge(chargeRequest(storedToken));
    expect(Date.now() - started).toBeLessThan(900);
    expect(result).toMatchObject({
      status: "failed",
      code: "processing_error",
      outcomeUnknown: true,
    });
  });

  it("under a request's provider key, a second execution gets the first one's PaymentIntent; its parameters carry no id of the execution", async () => {
    const { storedToken } = await storedCard();
    const idempotencyKey = unique("abono-request");
    const firstExecution = await stripe.charge(chargeRequest(storedToken, { idempotencyKey }));
    const secondExecution = await stripe.charge(chargeRequest(storedToken, { idempotencyKey }));
    expect(firstExecution.status).toBe("succeeded");
    expect(secondExecution).toEqual(firstExecution);
    const sent = fake.requestsTo("POST", "/v1/payment_intents").slice(-2);
    expect(sent.map((request) => [request.idempotencyKey, request.replayed])).toEqual([
      [idempotencyKey, false],
      [idempotencyKey, true],
    ]);
    expect(sent[0]?.body.metadata).toEqual({
      organizationId: "org_charge",
      chargeKey: idempotencyKey,
    });
  });

  it("does not take a replayed PaymentIntent that was refunded since for a payment", async () => {
    const { storedToken } = await storedCard();
    const idempotencyKey = unique("abono-request");
    const firstExecution = await stripe.charge(chargeRequest(storedToken, { idempotencyKey }));
    if (firstExecution.status !== "succeeded") throw new Error("the first charge failed");
    fake.refund(firstExecution.providerPaymentId);
    const secondExecution = await stripe.charge(chargeRequest(storedToken, { idempotencyKey }));
    expect(secondExecution).toMatchObject({
      status: "failed",
      code: "processing_error",
      providerPaymentId: firstExecution.providerPaymentId,
      message: expect.stringMatching(/was refunded since; retry with a new Idempotency-Key/),
    });
  });

  it("returns a processing error when Stripe cannot be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createStripeProvider(
      { secretKey: fake.secretKey, webhookSecret: undefined, apiUrl: `http://127.0.0.1:${port}` },
      { maxNetworkRetries: 0 },
    );
    const result = await unreachable.charge(chargeRequest("cus_abc/pm_def"));
    expect(result).toMatchObject({ status: "failed", code: "processing_error" });
  });

  it("reports a payment method Stripe no longer has as no_payment_method", async () => {
    const { storedToken } = await storedCard();
    const result = await stripe.charge(chargeRequest(`${storedToken.split("/")[0]}/pm_gone`));
    expect(result).toMatchObject({ status: "failed", code: "no_payment_method" });
  });

  it("reports a token that is not cus_…/pm_… as no_payment_method without calling Stripe", async () => {
    const before = fake.requests.length;
    const result = await stripe.charge(chargeRequest("pm_sandbox_ok"));
    expect(result).toMatchObject({
      status: "failed",
      code: "no_payment_method",
      providerPaymentId: null,
    });
    expect(fake.requests.length).toBe(before);
  });
});

describe("refund", () => {
  async function succeededCharge(amount = 5000n) {
    const { storedToken } = await storedCard();
    const result = await stripe.charge(chargeRequest(storedToken, { amount }));
    if (result.status !== "succeeded") throw new Error("charge failed");
    return result.providerPaymentId;
  }

  it("refunds part of a PaymentIntent, keyed by the refund id", async () => {
    const providerPaymentId = await succeededCharge();
    const refundId = unique("re");
    const result = await stripe.refund({
      providerPaymentId,
      amount: 1200n,
      currency: "USD",
      refundId,
    });
    expect(result).toEqual({
      status: "succeeded",
      providerRefundId: expect.stringMatching(/^re_/),
    });
    const sent = fake.requestsTo("POST", "/v1/refunds").at(-1);
    expect(sent?.idempotencyKey).toBe(refundId);
    expect(sent?.body).toMatchObject({
      payment_intent: providerPaymentId,
      amount: "1200",
      metadata: { refundId },
    });
    // The same refund again is the same refund, not a second one.
    expect(
      await stripe.refund({ providerPaymentId, amount: 1200n, currency: "USD", refundId }),
    ).toEqual(result);
    expect(
      [...fake.refunds.values()].filter((r) => r.payment_intent === providerPaymentId),
    ).toHaveLength(1);
  });

  it("returns Stripe's reason when the refund is refused", async () => {
    const providerPaymentId = await succeededCharge(1000n);
    const result = await stripe.refund({
      providerPaymentId,
      amount: 1001n,
      currency: "USD",
      refundId: unique("re"),
    });
    expect(result).toEqual({
      status: "failed",
      message: expect.stringMatching(
        /Stripe refused the refund: Refund amount \(1001\) is greater/,
      ),
    });
  });
});

describe("createCheckout", () => {
  it("creates a payment-mode Checkout Session that carries Abono's checkout id", async () => {
    const request = checkoutRequest();
    const session = await stripe.createCheckout(request);
    expect(session.providerCheckoutId).toMatch(/^cs_test_/);
    expect(session.redirectUrl).toBe(
      `https://checkout.stripe.com/c/pay/${session.providerCheckoutId}`,
    );
    const sent = fake.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(sent?.idempotencyKey).toBe(request.checkoutId);
    expect(sent?.body).toEqual({
      mode: "payment",
      line_items: [
        {
          price_data: {
            currency: "usd",
            unit_amount: "4900",
            product_data: { name: "Pro (monthly)" },
          },
          quantity: "1",
        },
      ],
      client_reference_id: request.checkoutId,
      metadata: { checkoutId: request.checkoutId, organizationId: request.organizationId },
      payment_intent_data: {
        metadata: { checkoutId: request.checkoutId, organizationId: request.organizationId },
        description: "Pro (monthly)",
      },
      success_url: "https://app.example.com/billing/success",
      cancel_url: "https://app.example.com/billing/cancel",
      customer_email: "buyer@example.com",
      locale: "es",
    });
  });

  it("omits customer_email when there is none and returns the same session for the same checkout", async () => {
    const request = checkoutRequest({ customerEmail: null, locale: "en" });
    const first = await stripe.createCheckout(request);
    const second = await stripe.createCheckout(request);
    expect(second).toEqual(first);
    const sent = fake.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(sent?.body).not.toHaveProperty("customer_email");
    expect(sent?.body.locale).toBe("en");
    expect(sent?.replayed).toBe(true);
  });
});

describe("verifyWebhook", () => {
  const body = JSON.stringify({
    id: "evt_test_1",
    object: "event",
    type: "customer.created",
    data: { object: {} },
  });
  const rawBody = Buffer.from(body);
  const verify = (
    signature: string | undefined,
    { now = new Date(), provider = stripe, payload = rawBody } = {},
  ) =>
    provider.verifyWebhook({
      rawBody: payload,
      headers: signature === undefined ? {} : { "stripe-signature": signature },
      query: {},
      now,
    });

  it("accepts a correctly signed event and returns it", async () => {
    const verified = await verify(fake.signWebhook(body, fake.webhookSecret));
    expect(verified).toEqual({
      eventId: "evt_test_1",
      eventType: "customer.created",
      payload: JSON.parse(body),
    });
  });

  it("accepts a header where any one of several v1 signatures matches (secret rotation)", async () => {
    const header = fake.signWebhook(body, ["whsec_previousSecret", fake.webhookSecret]);
    expect(header.match(/v1=/g)).toHaveLength(2);
    await expect(verify(header)).resolves.toMatchObject({ eventId: "evt_test_1" });
  });

  it("measures age from the given now, not the wall clock", async () => {
    const then = new Date("2024-03-01T12:00:00Z");
    const signed = fake.signWebhook(body, fake.webhookSecret, then.getTime() / 1000 - 120);
    await expect(verify(signed, { now: then })).resolves.toMatchObject({ eventId: "evt_test_1" });
    await expect(verify(signed)).rejects.toThrow(/old/);
  });

  it("rejects a signature made with another secret", async () => {
    await expect(verify(fake.signWebhook(body, "whsec_someoneElse"))).rejects.toThrow(
      /does not match the request body/,
    );
  });

  it("rejects a tampered body", async () => {
    const header = fake.signWebhook(body, fake.webhookSecret);
    const tampered = Buffer.from(body.replace("customer.created", "charge.refunded"));
    await expect(verify(header, { payload: tampered })).rejects.toThrow(WebhookVerificationError);
  });

  it("rejects a request without the Stripe-Signature header", async () => {
    await expect(verify(undefined)).rejects.toThrow(/Stripe-Signature header is missing/);
  });

  it("rejects a header without a usable timestamp", async () => {
    const valid = fake.signWebhook(body, fake.webhookSecret);
    await expect(verify(valid.replace(/^t=\d+/, "t=soon"))).rejects.toThrow(/no valid timestamp/);
    await expect(verify(valid.replace(/^t=\d+,/, ""))).rejects.toThrow(/no valid timestamp/);
  });

  it("accepts up to 300 s of age and skew, and rejects beyond", async () => {
    const now = new Date();
    const at = (offset: number) =>
      fake.signWebhook(body, fake.webhookSecret, nowSeconds() + offset);
    await expect(verify(at(-300), { now })).resolves.toMatchObject({ eventId: "evt_test_1" });
    await expect(verify(at(300), { now })).resolves.toMatchObject({ eventId: "evt_test_1" });
    await expect(verify(at(-301), { now })).rejects.toThrow(
      /301 s old; Stripe webhooks are accepted for 300 s/,
    );
    await expect(verify(at(301), { now })).rejects.toThrow(/301 s in the future/);
    await expect(verify(at(-3600), { now })).rejects.toThrow(WebhookVerificationError);
  });

  it("rejects every webhook when no webhook secret is configured", async () => {
    const unconfigured = createStripeProvider(
      { secretKey: fake.secretKey, webhookSecret: undefined, apiUrl: fake.apiUrl },
      { maxNetworkRetries: 0 },
    );
    const error = await verify(fake.signWebhook(body, fake.webhookSecret), {
      provider: unconfigured,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as Error).message).toBe(
      "Stripe webhooks are not configured: set ABONO_STRIPE_WEBHOOK_SECRET",
    );
  });

  it("rejects a signed body that is not a Stripe event", async () => {
    const notJson = "this is not json";
    await expect(
      verify(fake.signWebhook(notJson, fake.webhookSecret), { payload: Buffer.from(notJson) }),
    ).rejects.toThrow(/not a JSON event/);
    const notEvent = JSON.stringify({ hello: "world" });
    await expect(
      verify(fake.signWebhook(notEvent, fake.webhookSecret), { payload: Buffer.from(notEvent) }),
    ).rejects.toThrow(/not a Stripe event/);
  });
});

describe("interpretWebhook", () => {
  it("maps a paid Checkout: both events name the same PaymentIntent", async () => {
    const request = checkoutRequest({ amount: 4900n });
    const session = await stripe.createCheckout(request);
    const { events, paymentIntentId } = fake.completeCheckout(session.providerCheckoutId);
    expect(events.map((event) => event.type)).toEqual([
      "checkout.session.completed",
      "payment_intent.succeeded",
    ]);
    const notices = await Promise.all(events.map((event) => deliver(event)));
    const expected: PaymentNotice = {
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
      providerPaymentId: paymentIntentId,
      amount: 4900n,
      currency: "USD",
    };
    expect(notices).toEqual([expected, expected]);
  });

  it("keeps a large amount exact and converts Stripe's unit back (COP)", async () => {
    const large = await stripe.createCheckout(checkoutRequest({ amount: 12345678901n }));
    const [completed] = fake.completeCheckout(large.providerCheckoutId).events;
    expect(completed?.data.object.amount_total).toBe(12345678901);
    expect(await deliver(completed as StripeEvent)).toMatchObject({ amount: 12345678901n });

    const pesos = await stripe.createCheckout(checkoutRequest({ amount: 50000n, currency: "COP" }));
    const [paid] = fake.completeCheckout(pesos.providerCheckoutId).events;
    expect(paid?.data.object.amount_total).toBe(5000000);
    expect(await deliver(paid as StripeEvent)).toMatchObject({ amount: 50000n, currency: "COP" });
  });

  it("maps a declined Checkout payment to payment_failed with the decline code", async () => {
    const request = checkoutRequest();
    const session = await stripe.createCheckout(request);
    const { events, paymentIntentId } = fake.completeCheckout(session.providerCheckoutId, {
      outcome: "failed",
      card: "pm_card_chargeDeclinedInsufficientFunds",
    });
    expect(events.map((event) => event.type)).toEqual(["payment_intent.payment_failed"]);
    expect(await deliver(events[0] as StripeEvent)).toEqual({
      kind: "payment_failed",
      checkoutId: request.checkoutId,
      providerPaymentId: paymentIntentId,
      code: "insufficient_funds",
      message: "Your card has insufficient funds.",
    });
  });

  it("keeps one PaymentIntent across a declined attempt and the customer's next try", async () => {
    const session = await stripe.createCheckout(checkoutRequest());
    const declined = fake.completeCheckout(session.providerCheckoutId, { outcome: "failed" });
    const paid = fake.completeCheckout(session.providerCheckoutId);
    expect(paid.paymentIntentId).toBe(declined.paymentIntentId);
    const [failedNotice, ...succeeded] = await Promise.all(
      [...declined.events, ...paid.events].map((event) => deliver(event)),
    );
    expect(failedNotice).toMatchObject({ kind: "payment_failed", code: "card_declined" });
    expect(succeeded.map((notice) => notice.kind)).toEqual([
      "payment_succeeded",
      "payment_succeeded",
    ]);
  });

  it("maps a completed but unpaid Checkout (delayed payment method) to pending", async () => {
    const request = checkoutRequest();
    const session = await stripe.createCheckout(request);
    const { events, paymentIntentId } = fake.completeCheckout(session.providerCheckoutId, {
      outcome: "unpaid",
    });
    expect(await deliver(events[0] as StripeEvent)).toEqual({
      kind: "pending",
      checkoutId: request.checkoutId,
      providerPaymentId: paymentIntentId,
    });
  });

  it("maps charge.refunded to the cumulative amount and the latest refund", async () => {
    const session = await stripe.createCheckout(checkoutRequest({ amount: 10000n }));
    const { paymentIntentId } = fake.completeCheckout(session.providerCheckoutId);
    const first = fake.refund(paymentIntentId, 2500);
    expect(await deliver(first.event)).toEqual({
      kind: "refunded",
      providerPaymentId: paymentIntentId,
      amountRefunded: 2500n,
      currency: "USD",
      providerRefundId: first.refundId,
    });
    const second = fake.refund(paymentIntentId, 1000);
    expect(await deliver(second.event)).toMatchObject({
      amountRefunded: 3500n,
      providerRefundId: second.refundId,
    });
  });

  it("maps the events of an off-session charge and refund made through the adapter", async () => {
    const { storedToken } = await storedCard();
    const charged = await stripe.charge(chargeRequest(storedToken, { amount: 3000n }));
    if (charged.status !== "succeeded") throw new Error("charge failed");
    const succeeded = fake.events.findLast((event) => event.type === "payment_intent.succeeded");
    expect(await deliver(succeeded as StripeEvent)).toEqual({
      kind: "payment_succeeded",
      checkoutId: null,
      providerPaymentId: charged.providerPaymentId,
      amount: 3000n,
      currency: "USD",
    });
    const refunded = await stripe.refund({
      providerPaymentId: charged.providerPaymentId,
      amount: 3000n,
      currency: "USD",
      refundId: unique("re"),
    });
    if (refunded.status !== "succeeded") throw new Error(`refund ${refunded.status}`);
    const refundEvent = fake.events.findLast((event) => event.type === "charge.refunded");
    expect(await deliver(refundEvent as StripeEvent)).toEqual({
      kind: "refunded",
      providerPaymentId: charged.providerPaymentId,
      amountRefunded: 3000n,
      currency: "USD",
      providerRefundId: refunded.providerRefundId,
    });

    const { storedToken: failing } = await storedCard("pm_card_chargeCustomerFail");
    const declined = await stripe.charge(chargeRequest(failing));
    if (declined.status !== "failed") throw new Error(`charge ${declined.status}`);
    const failed = fake.events.findLast((event) => event.type === "payment_intent.payment_failed");
    // The event of this very charge, not an earlier test's decline.
    expect(await deliver(failed as StripeEvent)).toMatchObject({
      kind: "payment_failed",
      checkoutId: null,
      providerPaymentId: declined.providerPaymentId,
      code: "card_declined",
    });
  });

  it("ignores other events, naming the type", async () => {
    const event = {
      id: "evt_x",
      object: "event",
      type: "customer.updated",
      data: { object: { id: "cus_x" } },
    };
    expect(
      await stripe.interpretWebhook({ eventId: "evt_x", eventType: event.type, payload: event }),
    ).toEqual({
      kind: "ignored",
      reason: "customer.updated",
    });
  });

  it("refuses a fractional amount rather than turning a float into money", async () => {
    const event = {
      id: "evt_y",
      object: "event",
      type: "payment_intent.succeeded",
      data: { object: { id: "pi_y", amount_received: 19.99, currency: "usd", metadata: {} } },
    };
    await expect(
      stripe.interpretWebhook({ eventId: "evt_y", eventType: event.type, payload: event }),
    ).rejects.toThrow(MoneyError);
  });
});
