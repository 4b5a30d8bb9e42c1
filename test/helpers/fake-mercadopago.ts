import { createHmac, randomUUID } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { currencyExponent, toDecimalString } from "../../src/money/index.ts";

export interface RecordedMercadoPagoRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/payments/1310000001`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (to check how amounts were written), and parsed. */
  rawBody: string;
  body: unknown;
  /** True when the answer was replayed for a repeated X-Idempotency-Key. */
  replayed: boolean;
}

export type FakePaymentStatus =
  | "approved"
  | "rejected"
  | "pending"
  | "in_process"
  | "authorized"
  | "cancelled"
  | "refunded"
  | "charged_back"
  | "in_mediation";

export interface FakeRefund {
  id: number;
  payment_id: number;
  amount: number;
  status: "approved";
  date_created: string;
  source: { id: string; name: string; type: string };
  refund_mode: "standard";
  unique_sequence_number: null;
  adjustment_amount: 0;
  metadata: Record<string, unknown>;
  reason: null;
}

/** What `GET /v1/payments/:id` returns (the fields MercadoPago sends that Abono may read). */
export interface FakePayment {
  id: number;
  date_created: string;
  date_approved: string | null;
  date_last_updated: string;
  status: FakePaymentStatus;
  status_detail: string;
  currency_id: string;
  transaction_amount: number;
  transaction_amount_refunded: number;
  external_reference: string | null;
  description: string;
  live_mode: false;
  operation_type: "regular_payment";
  payment_method_id: "visa";
  payment_type_id: "credit_card";
  installments: 1;
  captured: true;
  collector_id: number;
  payer: { email: string | null };
  metadata: Record<string, unknown>;
  notification_url: string | null;
  order: { id: string; type: "mercadopago" };
  refunds: FakeRefund[];
  transaction_details: { total_paid_amount: number; net_received_amount: number };
}

/** A notification as MercadoPago would POST it to the preference's `notification_url`. */
export interface FakeNotification {
  paymentId: string;
  body: {
    id: number;
    live_mode: false;
    type: "payment";
    date_created: string;
    user_id: number;
    api_version: "v1";
    action: "payment.created" | "payment.updated";
    data: { id: string };
  };
  /** `JSON.stringify(body)`, the bytes MercadoPago sends. */
  rawBody: Buffer;
  /** The query string MercadoPago appends to `notification_url`. */
  query: { "data.id": string; type: "payment" };
  /** `notification_url` with that query appended (null when the preference had none). */
  url: string | null;
}

interface StoredPreference {
  id: string;
  body: Record<string, unknown>;
  response: Record<string, unknown>;
  item: { title: string; unit_price: number; currency_id: string; quantity: number };
}

const collectorId = 1_987_654_321;

/**
 * A stand-in for MercadoPago's REST API on 127.0.0.1 for the real `mercadopago` SDK to talk to. It
 * checks `Authorization: Bearer <accessToken>` (401 otherwise), replays the first answer for a repeated
 * `X-Idempotency-Key`, records every request, and implements:
 *
 * - `POST /checkout/preferences` (and `GET /checkout/preferences/:id`);
 * - `GET /v1/payments/:id`;
 * - `POST /v1/payments/:id/refunds` (partial or, without `amount`, full).
 *
 * Test-side, it plays the customer and MercadoPago: `pay` pays a preference and returns the notification
 * MercadoPago would send, `refund` and `update` change a payment as the MercadoPago dashboard or the
 * card network would, and `signNotification` signs a notification with MercadoPago's documented
 * `x-signature` scheme (written here from the docs, independently of the adapter). Amounts are kept in
 * minor units inside, so refund sums are exact.
 */
export async function startFakeMercadoPago({
  accessToken = "TEST-8675309-fake-mercadopago-token",
}: {
  accessToken?: string;
} = {}) {
  const requests: RecordedMercadoPagoRequest[] = [];
  const preferences = new Map<string, StoredPreference>();
  const payments = new Map<string, FakePayment>();
  const idempotentAnswers = new Map<string, { status: number; body: unknown }>();
  const failures: { method: string; path: RegExp; status: number; body: unknown }[] = [];
  let nextPaymentId = 1_310_000_001;
  let nextRefundId = 2_170_000_001;
  let nextNotificationId = 112_233_445_501;

  const now = () => new Date().toISOString();
  const minor = (value: number, currency: string) => minorUnits(value, currency);
  const major = (amount: bigint, currency: string) => Number(toDecimalString({ amount, currency }));

  const handle = (
    method: string,
    path: string,
    body: unknown,
  ): { status: number; body: unknown } => {
    const preferenceMatch = /^\/checkout\/preferences\/?$/.exec(path);
    if (method === "POST" && preferenceMatch) return createPreference(body);
    const preferenceGet = /^\/checkout\/preferences\/([^/]+)$/.exec(path);
    if (method === "GET" && preferenceGet) {
      const preference = preferences.get(decodeURIComponent(preferenceGet[1] ?? ""));
      return preference
        ? { status: 200, body: preference.response }
        : notFound("Preference not found");
    }
    const paymentGet = /^\/v1\/payments\/([^/]+)$/.exec(path);
    if (method === "GET" && paymentGet) {
      const payment = payments.get(decodeURIComponent(paymentGet[1] ?? ""));
      return payment ? { status: 200, body: payment } : notFound("Payment not found", 2000);
    }
    const refundPost = /^\/v1\/payments\/([^/]+)\/refunds\/?$/.exec(path);
    if (method === "POST" && refundPost) {
      const payment = payments.get(decodeURIComponent(refundPost[1] ?? ""));
      if (!payment) return notFound("Payment not found", 2000);
      const requested = (body as { amount?: unknown } | null)?.amount;
      if (requested !== undefined && (typeof requested !== "number" || !(requested > 0))) {
        return badRequest("Invalid refund amount: amount must be a positive number");
      }
      return applyRefund(payment, requested);
    }
    return notFound(`Resource ${method} ${path} not found`);
  };

  function createPreference(body: unknown): { status: number; body: unknown } {
    const request = (body ?? {}) as Record<string, unknown>;
    const items = request.items;
    if (!Array.isArray(items) || items.length === 0) return badRequest("items needed");
    const item = items[0] as Record<string, unknown>;
    const { title, unit_price, currency_id, quantity } = item;
    if (typeof title !== "string" || title === "") return badRequest("title needed");
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1)
      return badRequest("quantity must be a positive integer");
    if (typeof currency_id !== "string") return badRequest("currency_id needed");
    if (typeof unit_price !== "number" || !(unit_price > 0))
      return badRequest("unit_price must be a positive number");
    if (!hasAtMostDecimals(unit_price, currencyExponent(currency_id)))
      return badRequest(`unit_price invalid: ${currency_id} does not allow ${unit_price}`);
    const backUrls = (request.back_urls ?? {}) as Record<string, unknown>;
    if (request.auto_return !== undefined && typeof backUrls.success !== "string")
      return badRequest("auto_return invalid. back_url.success must be defined");

    const id = `${collectorId}-${randomUUID()}`;
    const response = {
      id,
      init_point: `https://www.mercadopago.com/checkout/v1/redirect?pref_id=${id}`,
      sandbox_init_point: `https://sandbox.mercadopago.com/checkout/v1/redirect?pref_id=${id}`,
      collector_id: collectorId,
      client_id: "8675309",
      date_created: now(),
      operation_type: "regular_payment",
      items: items.map((entry) => ({ description: "", picture_url: "", ...(entry as object) })),
      external_reference: request.external_reference ?? "",
      metadata: request.metadata ?? {},
      back_urls: { success: "", failure: "", pending: "", ...backUrls },
      auto_return: request.auto_return ?? "",
      notification_url: request.notification_url ?? null,
      payer: { email: "", ...((request.payer as object | undefined) ?? {}) },
      expires: false,
    };
    preferences.set(id, {
      id,
      body: request,
      response,
      item: { title, unit_price, currency_id, quantity },
    });
    return { status: 201, body: response };
  }

  function applyRefund(
    payment: FakePayment,
    requested: number | undefined,
  ): { status: number; body: unknown } {
    if (payment.status !== "approved") {
      return badRequest(`Payment ${payment.id} cannot be refunded in status ${payment.status}`);
    }
    const currency = payment.currency_id;
    const total = minor(payment.transaction_amount, currency);
    const refunded = minor(payment.transaction_amount_refunded, currency);
    const remaining = total - refunded;
    if (requested !== undefined && !hasAtMostDecimals(requested, currencyExponent(currency))) {
      return badRequest(`Invalid refund amount ${requested} for ${currency}`);
    }
    const amount = requested === undefined ? remaining : minor(requested, currency);
    if (amount > remaining) {
      return badRequest(
        `The refund amount ${requested} is greater than the remaining ${major(remaining, currency)}`,
      );
    }
    const refund: FakeRefund = {
      id: nextRefundId++,
      payment_id: payment.id,
      amount: major(amount, currency),
      status: "approved",
      date_created: now(),
      source: { id: String(collectorId), name: "Fake Seller", type: "collector" },
      refund_mode: "standard",
      unique_sequence_number: null,
      adjustment_amount: 0,
      metadata: {},
      reason: null,
    };
    const refundedNow = refunded + amount;
    payment.refunds.push(refund);
    payment.transaction_amount_refunded = major(refundedNow, currency);
    payment.status = refundedNow === total ? "refunded" : "approved";
    payment.status_detail = refundedNow === total ? "refunded" : "partially_refunded";
    payment.date_last_updated = refund.date_created;
    return { status: 201, body: refund };
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const method = request.method ?? "GET";
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let body: unknown = null;
      try {
        body = rawBody ? JSON.parse(rawBody) : null;
      } catch {
        body = rawBody;
      }
      const idempotencyKey = request.headers["x-idempotency-key"];
      const replayKey =
        method !== "GET" && typeof idempotencyKey === "string"
          ? `${method} ${url.pathname} ${idempotencyKey}`
          : undefined;
      const replay = replayKey === undefined ? undefined : idempotentAnswers.get(replayKey);
      requests.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        rawBody,
        body,
        replayed: replay !== undefined,
      });
      const reply = ({ status, body: payload }: { status: number; body: unknown }) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };

      if (request.headers.authorization !== `Bearer ${accessToken}`) {
        return reply({
          status: 401,
          body: { message: "invalid access token", error: "unauthorized", status: 401, cause: [] },
        });
      }
      const failure = failures.findIndex(
        (entry) => entry.method === method && entry.path.test(url.pathname),
      );
      if (failure >= 0) {
        const [injected] = failures.splice(failure, 1);
        if (injected) return reply({ status: injected.status, body: injected.body });
      }
      if (replay) return reply(replay);
      const answer = handle(method, url.pathname, body);
      if (replayKey !== undefined && answer.status < 500) idempotentAnswers.set(replayKey, answer);
      return reply(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const notify = (
    payment: FakePayment,
    action: FakeNotification["body"]["action"],
  ): FakeNotification => {
    const paymentId = String(payment.id);
    const body: FakeNotification["body"] = {
      id: nextNotificationId++,
      live_mode: false,
      type: "payment",
      date_created: now(),
      user_id: collectorId,
      api_version: "v1",
      action,
      data: { id: paymentId },
    };
    const query = { "data.id": paymentId, type: "payment" as const };
    let url: string | null = null;
    if (payment.notification_url) {
      const target = new URL(payment.notification_url);
      target.searchParams.set("data.id", paymentId);
      target.searchParams.set("type", "payment");
      url = target.toString();
    }
    return { paymentId, body, rawBody: Buffer.from(JSON.stringify(body)), query, url };
  };

  const requirePayment = (paymentId: string | number) => {
    const payment = payments.get(String(paymentId));
    if (!payment) throw new Error(`The fake MercadoPago has no payment ${paymentId}.`);
    return payment;
  };

  return {
    /** The API origin to give the adapter as `apiUrl`. */
    apiUrl: `http://127.0.0.1:${port}`,
    accessToken,
    requests,
    preferences,
    payments,

    /**
     * The customer pays preference `preferenceId` (the amount is the item's `unit_price` × quantity);
     * returns the `payment.created` notification MercadoPago would send. Default `status_detail`s:
     * accredited, cc_rejected_other_reason, pending_waiting_payment.
     */
    pay(
      preferenceId: string,
      {
        status,
        statusDetail,
        payerEmail = null,
      }: { status: FakePaymentStatus; statusDetail?: string; payerEmail?: string | null },
    ): FakeNotification {
      const preference = preferences.get(preferenceId);
      if (!preference) throw new Error(`The fake MercadoPago has no preference ${preferenceId}.`);
      const { currency_id: currency, unit_price, quantity, title } = preference.item;
      const amount = major(minor(unit_price, currency) * BigInt(quantity), currency);
      const created = now();
      const payment: FakePayment = {
        id: nextPaymentId++,
        date_created: created,
        date_approved: status === "approved" ? created : null,
        date_last_updated: created,
        status,
        status_detail: statusDetail ?? defaultStatusDetail(status),
        currency_id: currency,
        transaction_amount: amount,
        transaction_amount_refunded: 0,
        external_reference: (preference.body.external_reference as string | undefined) ?? null,
        description: title,
        live_mode: false,
        operation_type: "regular_payment",
        payment_method_id: "visa",
        payment_type_id: "credit_card",
        installments: 1,
        captured: true,
        collector_id: collectorId,
        payer: {
          email:
            payerEmail ??
            ((preference.body.payer as { email?: string } | undefined)?.email || null),
        },
        metadata: (preference.body.metadata as Record<string, unknown> | undefined) ?? {},
        notification_url: (preference.body.notification_url as string | undefined) ?? null,
        order: { id: String(nextPaymentId + 5_000_000), type: "mercadopago" },
        refunds: [],
        transaction_details: { total_paid_amount: amount, net_received_amount: amount },
      };
      payments.set(String(payment.id), payment);
      return notify(payment, "payment.created");
    },

    /**
     * The seller refunds `amount` (major units, as in MercadoPago's dashboard; the remainder when
     * omitted) of an approved payment; returns the `payment.updated` notification.
     */
    refund(paymentId: string | number, amount?: number): FakeNotification {
      const payment = requirePayment(paymentId);
      const result = applyRefund(payment, amount);
      if (result.status !== 201) throw new Error(JSON.stringify(result.body));
      return notify(payment, "payment.updated");
    },

    /** Moves a payment to another status (pending → approved, approved → charged_back…). */
    update(
      paymentId: string | number,
      { status, statusDetail }: { status: FakePaymentStatus; statusDetail?: string },
    ): FakeNotification {
      const payment = requirePayment(paymentId);
      payment.status = status;
      payment.status_detail = statusDetail ?? defaultStatusDetail(status);
      payment.date_last_updated = now();
      if (status === "approved") payment.date_approved ??= payment.date_last_updated;
      return notify(payment, "payment.updated");
    },

    /**
     * The `x-signature` and `x-request-id` headers MercadoPago sends with a notification about
     * `dataId`: HMAC-SHA256 (hex) of `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` with the
     * application's secret, `data.id` lower-cased when alphanumeric. `ts` is in seconds (now when omitted).
     */
    signNotification({
      dataId,
      secret,
      requestId = randomUUID(),
      ts = Math.floor(Date.now() / 1000),
    }: {
      dataId: string;
      secret: string;
      requestId?: string;
      ts?: number | string;
    }): { "x-signature": string; "x-request-id": string } {
      const id = /^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId;
      const manifest = `id:${id};request-id:${requestId};ts:${ts};`;
      const v1 = createHmac("sha256", secret).update(manifest, "utf8").digest("hex");
      return { "x-signature": `ts=${ts},v1=${v1}`, "x-request-id": requestId };
    },

    /** The next `method` request whose path matches gets `status` and a MercadoPago-shaped error. */
    failNext({
      method,
      path,
      status,
      message = "injected failure",
    }: {
      method: string;
      path: RegExp;
      status: number;
      message?: string;
    }) {
      failures.push({
        method,
        path,
        status,
        body: {
          message,
          error: status >= 500 ? "internal_error" : "bad_request",
          status,
          cause: [],
        },
      });
    },

    requestsTo(method: string, path: string | RegExp): RecordedMercadoPagoRequest[] {
      return requests.filter(
        (entry) =>
          entry.method === method &&
          (typeof path === "string" ? entry.path === path : path.test(entry.path)),
      );
    },

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeMercadoPago = Awaited<ReturnType<typeof startFakeMercadoPago>>;

function defaultStatusDetail(status: FakePaymentStatus): string {
  const details: Record<FakePaymentStatus, string> = {
    approved: "accredited",
    rejected: "cc_rejected_other_reason",
    pending: "pending_waiting_payment",
    in_process: "pending_contingency",
    authorized: "pending_capture",
    cancelled: "expired",
    refunded: "refunded",
    charged_back: "settled",
    in_mediation: "in_process",
  };
  return details[status];
}

function badRequest(message: string) {
  return { status: 400, body: { message, error: "bad_request", status: 400, cause: [] } };
}

function notFound(message: string, code?: number) {
  return {
    status: 404,
    body: {
      message,
      error: "not_found",
      status: 404,
      cause: code === undefined ? [] : [{ code, description: message, data: null }],
    },
  };
}

/** Whether a JSON number has at most `exponent` decimals, judged by its printed form. */
function hasAtMostDecimals(value: number, exponent: number): boolean {
  const fraction = /\.([0-9]+)$/.exec(String(value))?.[1] ?? "";
  return !String(value).includes("e") && fraction.length <= exponent;
}

/** 19.99 USD → 1999n, via the printed decimal (the fake's own, simple conversion). */
function minorUnits(value: number, currency: string): bigint {
  const exponent = currencyExponent(currency);
  const [whole = "0", fraction = ""] = String(value).split(".");
  return BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, "0") || "0");
}
