import { createHmac } from "node:crypto";
import { AppConfig } from "mercadopago/dist/utils/config/index.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MoneyError } from "../../src/money/index.ts";
import {
  type CheckoutProvider,
  type CheckoutRequest,
  type VerifiedWebhook,
  WebhookVerificationError,
} from "../../src/payments/checkout-provider.ts";
import { PaymentMethodRejectedError } from "../../src/payments/payment-provider.ts";
import { fromMercadoPagoAmount } from "../../src/providers/mercadopago/from-mercadopago-amount.ts";
import { MercadoPagoApiError } from "../../src/providers/mercadopago/mercadopago-api-error.ts";
import { createMercadoPagoProvider } from "../../src/providers/mercadopago/mercadopago-provider.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../helpers/fake-mercadopago.ts";

const secret = "mp-webhook-secret-for-tests";
const now = new Date("2026-03-02T15:04:05.000Z");
const nowSeconds = Math.floor(now.getTime() / 1000);

let fake: FakeMercadoPago;
let provider: CheckoutProvider;

beforeAll(async () => {
  fake = await startFakeMercadoPago();
  provider = createMercadoPagoProvider({
    accessToken: fake.accessToken,
    webhookSecret: secret,
    apiUrl: fake.apiUrl,
  });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
});

let checkoutCount = 0;
function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  checkoutCount += 1;
  return {
    checkoutId: `chk_test${String(checkoutCount).padStart(4, "0")}`,
    organizationId: "org_acme",
    amount: 1999n,
    currency: "USD",
    description: "Pro (monthly)",
    customerEmail: "billing@acme.test",
    locale: "es",
    successUrl: "https://app.acme.test/billing/success",
    cancelUrl: "https://app.acme.test/billing/cancelled",
    webhookUrl: "https://abono.example/v1/webhooks/mercadopago",
    ...overrides,
  };
}

/** Creates a checkout through the adapter and has the customer pay it on the fake. */
async function paidCheckout(
  payment: Parameters<FakeMercadoPago["pay"]>[1],
  overrides: Partial<CheckoutRequest> = {},
) {
  const request = checkoutRequest(overrides);
  const session = await provider.createCheckout(request);
  const notification = fake.pay(session.providerCheckoutId, payment);
  return { request, session, notification };
}

/** The signed request MercadoPago would make for a notification (ts in seconds at `now`). */
function signedRequest(
  notification: ReturnType<FakeMercadoPago["pay"]>,
  options: { ts?: number | string; requestId?: string; secret?: string } = {},
) {
  const headers = fake.signNotification({
    dataId: notification.query["data.id"],
    secret: options.secret ?? secret,
    ts: options.ts ?? nowSeconds,
    ...(options.requestId ? { requestId: options.requestId } : {}),
  });
  return {
    rawBody: notification.rawBody,
    headers: { "content-type": "application/json", ...headers } as Record<
      string,
      string | undefined
    >,
    query: { ...notification.query } as Record<string, string | undefined>,
    now,
  };
}

async function interpret(notification: ReturnType<FakeMercadoPago["pay"]>) {
  const event = await provider.verifyWebhook(signedRequest(notification));
  return provider.interpretWebhook(event);
}

describe("createCheckout", () => {
  it("creates a Checkout Pro preference through the SDK with the exact decimal amount", async () => {
    const request = checkoutRequest();
    const session = await provider.createCheckout(request);

    const preferenceCalls = fake.requestsTo("POST", /^\/checkout\/preferences\/?$/);
    expect(preferenceCalls).toHaveLength(1);
    const [sent] = preferenceCalls;
    if (!sent) throw new Error("no preference request");
    expect(sent.rawBody).toContain('"unit_price":19.99');
    expect(sent.body).toEqual({
      items: [
        {
          id: request.checkoutId,
          title: "Pro (monthly)",
          quantity: 1,
          unit_price: 19.99,
          currency_id: "USD",
        },
      ],
      external_reference: request.checkoutId,
      metadata: { checkout_id: request.checkoutId, organization_id: "org_acme" },
      back_urls: {
        success: "https://app.acme.test/billing/success",
        failure: "https://app.acme.test/billing/cancelled",
        pending: "https://app.acme.test/billing/success",
      },
      auto_return: "approved",
      notification_url: "https://abono.example/v1/webhooks/mercadopago?source_news=webhooks",
      payer: { email: "billing@acme.test" },
    });
    expect(sent.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(sent.headers["x-idempotency-key"]).toBe(request.checkoutId);
    expect(sent.headers["user-agent"]).toMatch(/^MercadoPago Node\.js SDK v3\./);
    expect(sent.headers["content-type"]).toBe("application/json");

    const preference = fake.preferences.get(session.providerCheckoutId);
    expect(preference).toBeDefined();
    expect(session.providerCheckoutId).toMatch(/^[0-9]+-[0-9a-f-]{36}$/);
    expect(session.redirectUrl).toBe(preference?.response.init_point);
    expect(session.redirectUrl).toContain(`pref_id=${session.providerCheckoutId}`);
  });

  it.each([
    { currency: "ARS", amount: 123456789n, written: "1234567.89" },
    { currency: "ARS", amount: 1050n, written: "10.5" },
    { currency: "CLP", amount: 15990n, written: "15990" },
    { currency: "COP", amount: 1234567890123n, written: "1234567890123" },
    { currency: "ARS", amount: 99999999999999n, written: "999999999999.99" },
    { currency: "USD", amount: 1n, written: "0.01" },
  ])(
    "writes $amount minor units of $currency as unit_price $written",
    async ({ currency, amount, written }) => {
      await provider.createCheckout(checkoutRequest({ currency, amount }));
      const [sent] = fake.requestsTo("POST", /^\/checkout\/preferences\/?$/);
      expect(sent?.rawBody).toContain(`"unit_price":${written},"currency_id":"${currency}"`);
    },
  );

  it("refuses an amount a JSON number cannot carry exactly, before calling MercadoPago", async () => {
    for (const [amount, currency] of [
      [9007199254740993n, "CLP"],
      [12345678901234567891n, "USD"],
    ] as const) {
      await expect(provider.createCheckout(checkoutRequest({ amount, currency }))).rejects.toThrow(
        /more digits than a JSON number carries exactly/,
      );
    }
    await expect(provider.createCheckout(checkoutRequest({ amount: 0n }))).rejects.toThrow(
      MoneyError,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("leaves out the payer without a customer email", async () => {
    await provider.createCheckout(checkoutRequest({ customerEmail: null }));
    const [sent] = fake.requestsTo("POST", /^\/checkout\/preferences\/?$/);
    expect(sent?.body).not.toHaveProperty("payer");
  });

  it("keeps the webhook URL's own query string", async () => {
    await provider.createCheckout(
      checkoutRequest({ webhookUrl: "https://abono.example/v1/webhooks/mercadopago?env=test" }),
    );
    const [sent] = fake.requestsTo("POST", /^\/checkout\/preferences\/?$/);
    expect(sent?.body).toHaveProperty(
      "notification_url",
      "https://abono.example/v1/webhooks/mercadopago?env=test&source_news=webhooks",
    );
  });

  it("uses the checkout id as idempotency key, so a retry gets the same preference", async () => {
    const request = checkoutRequest();
    const first = await provider.createCheckout(request);
    const second = await provider.createCheckout(request);
    expect(second).toEqual(first);
    expect(fake.requests.map((entry) => entry.replayed)).toEqual([false, true]);
  });

  it("does not carry one call's idempotency key into the next call", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    await provider.refund({
      providerPaymentId: notification.paymentId,
      amount: 100n,
      currency: "USD",
      refundId: "ref_first",
    });
    const next = checkoutRequest();
    await provider.createCheckout(next);
    const preferenceCalls = fake.requestsTo("POST", /^\/checkout\/preferences\/?$/);
    expect(preferenceCalls.at(-1)?.headers["x-idempotency-key"]).toBe(next.checkoutId);
  });

  it("throws MercadoPagoApiError naming the setting when the access token is refused", async () => {
    const wrongToken = createMercadoPagoProvider({
      accessToken: "TEST-not-the-right-token",
      webhookSecret: secret,
      apiUrl: fake.apiUrl,
    });
    const failure = await wrongToken.createCheckout(checkoutRequest()).catch((error) => error);
    expect(failure).toBeInstanceOf(MercadoPagoApiError);
    expect(failure.status).toBe(401);
    expect(failure.message).toContain("ABONO_MERCADOPAGO_ACCESS_TOKEN");
  });

  it("reports a preference MercadoPago refuses", async () => {
    fake.failNext({ method: "POST", path: /^\/checkout\/preferences/, status: 400 });
    const failure = await provider.createCheckout(checkoutRequest()).catch((error) => error);
    expect(failure).toBeInstanceOf(MercadoPagoApiError);
    expect(failure.status).toBe(400);
    expect(failure.message).toContain("injected failure");
  });

  it("sends each provider's requests to its own origin, even concurrently, and restores the SDK", async () => {
    const other = await startFakeMercadoPago({ accessToken: "TEST-the-other-fake" });
    try {
      const otherProvider = createMercadoPagoProvider({
        accessToken: other.accessToken,
        webhookSecret: secret,
        apiUrl: `${other.apiUrl}/`,
      });
      const requests = [1, 2, 3].map(() => checkoutRequest());
      const otherRequests = [1, 2, 3].map(() => checkoutRequest());
      await Promise.all([
        ...requests.map((request) => provider.createCheckout(request)),
        ...otherRequests.map((request) => otherProvider.createCheckout(request)),
      ]);
      const references = (entries: FakeMercadoPago["requests"]) =>
        entries.map((entry) => (entry.body as { external_reference: string }).external_reference);
      expect(references(fake.requests).sort()).toEqual(requests.map((r) => r.checkoutId).sort());
      expect(references(other.requests).sort()).toEqual(
        otherRequests.map((r) => r.checkoutId).sort(),
      );
      expect(AppConfig.BASE_URL).toBe("https://api.mercadopago.com");
    } finally {
      await other.close();
    }
  });
});

describe("verifyWebhook", () => {
  it("accepts a correctly signed notification", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const event = await provider.verifyWebhook(signedRequest(notification));
    expect(event).toEqual({
      eventId: String(notification.body.id),
      eventType: "payment",
      payload: notification.body,
    });
  });

  it("matches an independent, by-hand computation of the documented manifest", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const requestId = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e";
    const manifest = `id:${notification.paymentId};request-id:${requestId};ts:${nowSeconds};`;
    const v1 = createHmac("sha256", secret).update(manifest).digest("hex");
    const request = signedRequest(notification);
    request.headers["x-signature"] = `ts=${nowSeconds},v1=${v1}`;
    request.headers["x-request-id"] = requestId;
    await expect(provider.verifyWebhook(request)).resolves.toMatchObject({ eventType: "payment" });
  });

  it("takes data.id from the body when the query string has none", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const request = signedRequest(notification);
    request.query = {};
    await expect(provider.verifyWebhook(request)).resolves.toMatchObject({
      eventId: String(notification.body.id),
    });
  });

  it("lower-cases an alphanumeric data.id for the manifest, as MercadoPago signs it", async () => {
    const body = {
      id: 9988776655,
      type: "subscription_preapproval",
      action: "updated",
      data: { id: "2C938084726FCA480172750000000000" },
    };
    const headers = fake.signNotification({ dataId: body.data.id, secret, ts: nowSeconds });
    const manifest = `id:2c938084726fca480172750000000000;request-id:${headers["x-request-id"]};ts:${nowSeconds};`;
    expect(headers["x-signature"]).toBe(
      `ts=${nowSeconds},v1=${createHmac("sha256", secret).update(manifest).digest("hex")}`,
    );
    const event = await provider.verifyWebhook({
      rawBody: Buffer.from(JSON.stringify(body)),
      headers,
      query: { "data.id": body.data.id, type: "subscription_preapproval" },
      now,
    });
    expect(event.eventType).toBe("subscription_preapproval");
  });

  it("accepts a ts in milliseconds as well as in seconds", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    await expect(
      provider.verifyWebhook(signedRequest(notification, { ts: now.getTime() - 120_000 })),
    ).resolves.toMatchObject({ eventType: "payment" });
  });

  it("accepts a ts up to 300 s away and rejects one further away, either way", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    await expect(
      provider.verifyWebhook(signedRequest(notification, { ts: nowSeconds - 300 })),
    ).resolves.toMatchObject({ eventId: String(notification.body.id), eventType: "payment" });
    await expect(
      provider.verifyWebhook(signedRequest(notification, { ts: nowSeconds + 300 })),
    ).resolves.toMatchObject({ eventId: String(notification.body.id), eventType: "payment" });
    for (const ts of [nowSeconds - 301, nowSeconds + 301, now.getTime() - 3_600_000]) {
      const failure = await provider
        .verifyWebhook(signedRequest(notification, { ts }))
        .catch((error) => error);
      expect(failure).toBeInstanceOf(WebhookVerificationError);
      expect(failure.message).toMatch(/s away from now/);
    }
  });

  it("rejects a signature made with another secret", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    await expect(
      provider.verifyWebhook(signedRequest(notification, { secret: "someone-elses-secret" })),
    ).rejects.toThrow(/x-signature does not match/);
  });

  it("rejects a signature for another data.id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const { notification: other } = await paidCheckout({ status: "approved" });
    const request = signedRequest(notification);
    // The signature and headers of `notification`, presented for `other`'s payment.
    await expect(
      provider.verifyWebhook({ ...request, rawBody: other.rawBody, query: { ...other.query } }),
    ).rejects.toThrow(/x-signature does not match/);
    // Only the body changed: its data.id no longer matches the signed one in the query.
    await expect(provider.verifyWebhook({ ...request, rawBody: other.rawBody })).rejects.toThrow(
      /data\.id differs/,
    );
  });

  it("rejects a signature for another request id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const request = signedRequest(notification);
    request.headers["x-request-id"] = "00000000-0000-4000-8000-000000000000";
    await expect(provider.verifyWebhook(request)).rejects.toThrow(/x-signature does not match/);
  });

  it("rejects missing and malformed headers", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const without = (name: string) => {
      const request = signedRequest(notification);
      delete request.headers[name];
      return request;
    };
    await expect(provider.verifyWebhook(without("x-signature"))).rejects.toThrow(
      /no x-signature header/,
    );
    // Left out of the manifest, as documented, so the signature made with it no longer matches.
    await expect(provider.verifyWebhook(without("x-request-id"))).rejects.toThrow(
      /x-signature does not match/,
    );
    const signature = signedRequest(notification).headers["x-signature"] ?? "";
    const v1 = signature.split("v1=")[1];
    for (const malformed of [
      "garbage",
      `v1=${v1}`,
      `ts=${nowSeconds}`,
      `ts=soon,v1=${v1}`,
      `ts=${nowSeconds},v1=not-hex`,
      `ts=${nowSeconds},v1=${v1?.slice(2)}`,
    ]) {
      const request = signedRequest(notification);
      request.headers["x-signature"] = malformed;
      await expect(provider.verifyWebhook(request)).rejects.toThrow(/malformed/);
    }
  });

  it("rejects a body that is not a JSON object, or has no id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    for (const rawBody of ["not json", "[1,2]", JSON.stringify({ data: notification.body.data })]) {
      await expect(
        provider.verifyWebhook({ ...signedRequest(notification), rawBody: Buffer.from(rawBody) }),
      ).rejects.toThrow(WebhookVerificationError);
    }
  });

  it("rejects everything, even a correctly signed notification, without a webhook secret", async () => {
    const unconfigured = createMercadoPagoProvider({
      accessToken: fake.accessToken,
      webhookSecret: undefined,
      apiUrl: fake.apiUrl,
    });
    const { notification } = await paidCheckout({ status: "approved" });
    for (const request of [
      signedRequest(notification),
      { ...signedRequest(notification), headers: {} },
    ]) {
      const failure = await unconfigured.verifyWebhook(request).catch((error) => error);
      expect(failure).toBeInstanceOf(WebhookVerificationError);
      expect(failure.message).toBe(
        "MercadoPago webhooks are not configured: set ABONO_MERCADOPAGO_WEBHOOK_SECRET",
      );
    }
  });
});

describe("interpretWebhook", () => {
  it("confirms an approved payment by fetching it", async () => {
    const { request, notification } = await paidCheckout({ status: "approved" });
    fake.requests.length = 0;
    await expect(interpret(notification)).resolves.toEqual({
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
      providerPaymentId: notification.paymentId,
      amount: 1999n,
      currency: "USD",
    });
    const fetches = fake.requestsTo("GET", `/v1/payments/${notification.paymentId}`);
    expect(fetches).toHaveLength(1);
    expect(fetches[0]?.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(fake.requests).toHaveLength(1);
  });

  it("reads amounts in the currency's own exponent", async () => {
    const clp = await paidCheckout({ status: "approved" }, { currency: "CLP", amount: 15990n });
    await expect(interpret(clp.notification)).resolves.toMatchObject({
      amount: 15990n,
      currency: "CLP",
    });
    const ars = await paidCheckout(
      { status: "approved" },
      { currency: "ARS", amount: 99999999999999n },
    );
    await expect(interpret(ars.notification)).resolves.toMatchObject({
      amount: 99999999999999n,
      currency: "ARS",
    });
  });

  it("believes the payment MercadoPago returns, not the notification", async () => {
    const { request, notification } = await paidCheckout({ status: "pending" });
    fake.update(notification.paymentId, { status: "approved" });
    await expect(interpret(notification)).resolves.toMatchObject({
      kind: "payment_succeeded",
      checkoutId: request.checkoutId,
    });
  });

  it.each([
    {
      statusDetail: "cc_rejected_insufficient_amount",
      code: "insufficient_funds",
      message: "The card has insufficient funds.",
    },
    {
      statusDetail: "cc_rejected_bad_filled_date",
      code: "expired_card",
      message: "The card's expiration date is wrong or the card has expired.",
    },
    {
      statusDetail: "cc_rejected_high_risk",
      code: "card_declined",
      message: "MercadoPago rejected the payment to prevent fraud.",
    },
    {
      statusDetail: "cc_rejected_something_new",
      code: "card_declined",
      message: "MercadoPago rejected the payment (cc_rejected_something_new).",
    },
  ])(
    "maps a payment rejected with $statusDetail to $code",
    async ({ statusDetail, code, message }) => {
      const { request, notification } = await paidCheckout({ status: "rejected", statusDetail });
      await expect(interpret(notification)).resolves.toEqual({
        kind: "payment_failed",
        checkoutId: request.checkoutId,
        providerPaymentId: notification.paymentId,
        code,
        message,
      });
    },
  );

  it("maps a cancelled payment to payment_failed", async () => {
    const { notification } = await paidCheckout({ status: "cancelled", statusDetail: "expired" });
    await expect(interpret(notification)).resolves.toMatchObject({
      kind: "payment_failed",
      code: "card_declined",
      message: "MercadoPago cancelled the payment (expired).",
    });
  });

  it.each(["pending", "in_process", "authorized"] as const)(
    "maps %s to pending",
    async (status) => {
      const { request, notification } = await paidCheckout({ status });
      await expect(interpret(notification)).resolves.toEqual({
        kind: "pending",
        checkoutId: request.checkoutId,
        providerPaymentId: notification.paymentId,
      });
    },
  );

  it("reports partial and full refunds cumulatively with the latest refund id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const partial = fake.refund(notification.paymentId, 5.5);
    const payment = fake.payments.get(notification.paymentId);
    expect(payment?.status).toBe("approved");
    await expect(interpret(partial)).resolves.toEqual({
      kind: "refunded",
      providerPaymentId: notification.paymentId,
      amountRefunded: 550n,
      currency: "USD",
      providerRefundId: String(payment?.refunds[0]?.id),
    });
    const full = fake.refund(notification.paymentId);
    expect(payment?.status).toBe("refunded");
    await expect(interpret(full)).resolves.toEqual({
      kind: "refunded",
      providerPaymentId: notification.paymentId,
      amountRefunded: 1999n,
      currency: "USD",
      providerRefundId: String(payment?.refunds[1]?.id),
    });
  });

  it("reports a chargeback as the whole payment returned, without a refund id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const chargeback = fake.update(notification.paymentId, { status: "charged_back" });
    await expect(interpret(chargeback)).resolves.toEqual({
      kind: "refunded",
      providerPaymentId: notification.paymentId,
      amountRefunded: 1999n,
      currency: "USD",
      providerRefundId: null,
    });
  });

  it("ignores a payment in mediation", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const dispute = fake.update(notification.paymentId, { status: "in_mediation" });
    await expect(interpret(dispute)).resolves.toMatchObject({ kind: "ignored" });
  });

  it("ignores other notification types without calling MercadoPago", async () => {
    const event: VerifiedWebhook = {
      eventId: "5544332211",
      eventType: "merchant_order",
      payload: { id: 5544332211, type: "merchant_order", data: { id: "998877" } },
    };
    await expect(provider.interpretWebhook(event)).resolves.toEqual({
      kind: "ignored",
      reason: "MercadoPago merchant_order notifications are not used.",
    });
    expect(fake.requests).toHaveLength(0);
  });

  it("throws MercadoPagoApiError when the payment cannot be fetched", async () => {
    const event: VerifiedWebhook = {
      eventId: "1",
      eventType: "payment",
      payload: { id: 1, type: "payment", data: { id: "404404404" } },
    };
    const failure = await provider.interpretWebhook(event).catch((error) => error);
    expect(failure).toBeInstanceOf(MercadoPagoApiError);
    expect(failure.status).toBe(404);
  });
});

describe("refund", () => {
  it("refunds the exact decimal amount with the refund id as idempotency key", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    fake.requests.length = 0;
    const result = await provider.refund({
      providerPaymentId: notification.paymentId,
      amount: 550n,
      currency: "USD",
      refundId: "ref_partial_1",
    });
    const [sent] = fake.requestsTo("POST", `/v1/payments/${notification.paymentId}/refunds`);
    expect(sent?.rawBody).toBe('{"amount":5.5}');
    expect(sent?.headers["x-idempotency-key"]).toBe("ref_partial_1");
    const refunds = fake.payments.get(notification.paymentId)?.refunds ?? [];
    expect(refunds).toHaveLength(1);
    expect(result).toEqual({ status: "succeeded", providerRefundId: String(refunds[0]?.id) });
  });

  it("writes amounts of zero-exponent currencies as whole numbers", async () => {
    const { notification } = await paidCheckout(
      { status: "approved" },
      { currency: "CLP", amount: 15990n },
    );
    await provider.refund({
      providerPaymentId: notification.paymentId,
      amount: 5990n,
      currency: "CLP",
      refundId: "ref_clp",
    });
    const [sent] = fake.requestsTo("POST", /\/refunds$/);
    expect(sent?.rawBody).toBe('{"amount":5990}');
    expect(fake.payments.get(notification.paymentId)?.transaction_amount_refunded).toBe(5990);
  });

  it("is idempotent on the refund id", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const args = {
      providerPaymentId: notification.paymentId,
      amount: 1000n,
      currency: "USD",
      refundId: "ref_retried",
    };
    const first = await provider.refund(args);
    const second = await provider.refund(args);
    expect(second).toEqual(first);
    expect(fake.payments.get(notification.paymentId)?.refunds).toHaveLength(1);
  });

  it("returns failed when MercadoPago refuses the refund", async () => {
    const { notification } = await paidCheckout({ status: "approved" });
    const result = await provider.refund({
      providerPaymentId: notification.paymentId,
      amount: 2000n,
      currency: "USD",
      refundId: "ref_too_much",
    });
    expect(result).toEqual({
      status: "failed",
      message: expect.stringMatching(/HTTP 400.*greater than/),
    });
    expect(fake.payments.get(notification.paymentId)?.refunds).toHaveLength(0);
  });
});

describe("stored payment methods", () => {
  it("refuses to store MercadoPago payment methods", async () => {
    const failure = await provider
      .validatePaymentMethod({ token: "anything", organizationId: "org_acme", email: null })
      .catch((error) => error);
    expect(failure).toBeInstanceOf(PaymentMethodRejectedError);
    expect(failure.message).toBe(
      "MercadoPago payments are made through checkout (POST /v1/organizations/:orgId/checkout); MercadoPago payment methods cannot be stored for automatic charges.",
    );
  });

  it("fails automatic charges without calling MercadoPago", async () => {
    const result = await provider.charge({
      token: "anything",
      amount: 1999n,
      currency: "USD",
      paymentId: "pay_1",
      invoiceId: "inv_1",
      organizationId: "org_acme",
      description: "Pro (monthly)",
    });
    expect(result).toMatchObject({
      status: "failed",
      code: "processing_error",
      providerPaymentId: null,
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe("fromMercadoPagoAmount", () => {
  it("converts through the printed decimal", () => {
    expect(fromMercadoPagoAmount({ value: 19.99, currency: "USD" })).toBe(1999n);
    expect(fromMercadoPagoAmount({ value: 0.1, currency: "USD" })).toBe(10n);
    expect(fromMercadoPagoAmount({ value: 15990, currency: "CLP" })).toBe(15990n);
    expect(fromMercadoPagoAmount({ value: 999999999999.99, currency: "ARS" })).toBe(
      99999999999999n,
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, "19.99", null, 1e21, 19.999])(
    "refuses %s",
    (value) => {
      expect(() => fromMercadoPagoAmount({ value, currency: "USD" })).toThrow(MoneyError);
    },
  );

  it("refuses decimals in a zero-exponent currency", () => {
    expect(() => fromMercadoPagoAmount({ value: 100.5, currency: "CLP" })).toThrow(MoneyError);
  });
});
