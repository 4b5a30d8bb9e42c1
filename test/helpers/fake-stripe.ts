import { createHmac, randomInt } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestApp } from "./app.ts";

/**
 * A stand-in for api.stripe.com on 127.0.0.1 that the real `stripe` SDK talks to (point the SDK's
 * host/port/protocol, i.e. `ABONO_STRIPE_API_URL`, at `apiUrl`). It speaks Stripe's wire format
 * (form-encoded bodies with bracket notation in, JSON out, Stripe-shaped errors), checks the secret key,
 * honours `Idempotency-Key` and records every request. Test helpers play the customer and Stripe:
 * `completeCheckout` pays a Checkout Session, `refund` refunds from the "dashboard", and `signWebhook`
 * signs an event the way Stripe does, computed here with node:crypto so the adapter's SDK verification
 * is checked against an independent implementation of the scheme.
 *
 * Test cards (PaymentMethod ids, as in Stripe's test mode):
 * - `pm_card_visa` (Visa 4242), `pm_card_mastercard` (Mastercard 4444): charges succeed.
 * - `pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`,
 *   `pm_card_chargeDeclinedExpiredCard`: decline on charge, and (as in Stripe) already on attach.
 * - `pm_card_chargeCustomerFail`: attaches, then every charge is declined (generic_decline).
 * - `pm_card_authenticationRequired`: attaches, off-session charges fail with authentication_required.
 * Attaching a test card clones it into a new `pm_…` id, as Stripe does; charging a test card id directly
 * works too.
 */

export const fakeStripeApiVersion = "2026-10-28.endive";
export const fakeStripeSecretKey = "sk_test_fakeStripeSecretKey";
export const fakeStripeWebhookSecret = "whsec_fakeStripeWebhookSecret";

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

export interface RecordedStripeRequest {
  method: string;
  /** Without the query string, e.g. `/v1/payment_intents`. */
  path: string;
  query: FormObject;
  /** The form body, brackets expanded: `metadata[checkoutId]=x` → `{ metadata: { checkoutId: "x" } }`. */
  body: FormObject;
  headers: http.IncomingHttpHeaders;
  idempotencyKey: string | undefined;
  status: number;
  /** Answered from an earlier request with the same idempotency key. */
  replayed: boolean;
}

export interface StripeEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

type StripeObject = Record<string, unknown> & { id: string };

interface Decline {
  code: string;
  decline_code: string;
  message: string;
}

interface TestCard {
  brand: string;
  last4: string;
  decline?: Decline;
  declinesOnAttach?: boolean;
}

const decline = (code: string, declineCode: string, message: string): Decline => ({
  code,
  decline_code: declineCode,
  message,
});
const genericDecline = decline("card_declined", "generic_decline", "Your card was declined.");
const visa = (last4: string, declines?: Decline, declinesOnAttach = false): TestCard => ({
  brand: "visa",
  last4,
  decline: declines,
  declinesOnAttach,
});

const testCards: Record<string, TestCard> = {
  pm_card_visa: visa("4242"),
  pm_card_mastercard: { brand: "mastercard", last4: "4444" },
  pm_card_amex: { brand: "amex", last4: "8431" },
  pm_card_chargeDeclined: visa("0002", genericDecline, true),
  pm_card_chargeDeclinedInsufficientFunds: visa(
    "9995",
    decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    true,
  ),
  pm_card_chargeDeclinedExpiredCard: visa(
    "0069",
    decline("expired_card", "expired_card", "Your card has expired."),
    true,
  ),
  pm_card_chargeCustomerFail: visa("0341", genericDecline),
  pm_card_authenticationRequired: visa(
    "3184",
    decline(
      "authentication_required",
      "authentication_required",
      "Your card was declined. This transaction requires authentication.",
    ),
  ),
};

interface Reply {
  status: number;
  body: unknown;
}

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
  ) {
    super(String(error.message));
  }
}

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
function stripeId(prefix: string): string {
  let suffix = "1";
  for (let index = 0; index < 23; index += 1) suffix += alphabet[randomInt(alphabet.length)];
  return `${prefix}_${suffix}`;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Parses Stripe's `application/x-www-form-urlencoded` bodies: `a[b][0][c]=v` → `{a:{b:[{c:"v"}]}}`.
 * Objects whose keys are exactly 0..n-1 become arrays; `[]` appends.
 */
export function parseStripeForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match?.[1]) throw new Error(`Malformed parameter name ${JSON.stringify(key)}`);
    const path = [
      match[1],
      ...[...(match[2] ?? "").matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? ""),
    ];
    let container: FormObject = root;
    path.forEach((segment, index) => {
      const name = segment === "" ? String(Object.keys(container).length) : segment;
      if (index === path.length - 1) {
        container[name] = value;
        return;
      }
      const next = container[name];
      if (typeof next !== "object" || next === null || Array.isArray(next)) container[name] = {};
      container = container[name] as FormObject;
    });
  }
  return arraysOf(root) as FormObject;
}

function arraysOf(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = arraysOf(value[key] as FormValue);
  const isList = keys.length > 0 && keys.every((key, index) => key === String(index));
  return isList ? keys.map((key) => converted[key] as FormValue) : converted;
}

/**
 * A real `Stripe-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`, one `v1`
 * per secret (Stripe sends several while an endpoint's secret is being rolled).
 */
export function signWebhook(
  payload: string,
  secret: string | string[],
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  const secrets = Array.isArray(secret) ? secret : [secret];
  const signatures = secrets.map(
    (key) =>
      `v1=${createHmac("sha256", key).update(`${timestamp}.${payload}`, "utf8").digest("hex")}`,
  );
  return [`t=${timestamp}`, ...signatures].join(",");
}

export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** Customer search never finds anything, like Stripe's index in the first minute after a create. */
  customerSearchLags?: boolean;
}

export class FakeStripe {
  readonly secretKey: string;
  readonly webhookSecret: string;
  customerSearchLags: boolean;
  /** Every request received, in order. */
  readonly requests: RecordedStripeRequest[] = [];
  /** Every event Stripe would have sent to a webhook endpoint, in order. */
  readonly events: StripeEvent[] = [];
  readonly customers = new Map<string, StripeObject>();
  readonly paymentMethods = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly refunds = new Map<string, StripeObject>();
  readonly checkoutSessions = new Map<string, StripeObject>();
  readonly setupIntents = new Map<string, StripeObject>();

  private readonly cardOf = new Map<string, TestCard>();
  private readonly sessionPaymentIntentData = new Map<
    string,
    { metadata: Record<string, string>; description: string | null; intentId?: string }
  >();
  private readonly idempotent = new Map<string, { fingerprint: string; reply: Reply }>();
  private failures: { status: number; remaining: number; path: string | undefined }[] = [];
  private holds: { ms: number; remaining: number; path: string | undefined }[] = [];
  private readonly heldReplies = new Set<() => void>();
  private server: http.Server | undefined;
  private origin: string | undefined;

  constructor(options: FakeStripeOptions = {}) {
    this.secretKey = options.secretKey ?? fakeStripeSecretKey;
    this.webhookSecret = options.webhookSecret ?? fakeStripeWebhookSecret;
    this.customerSearchLags = options.customerSearchLags ?? false;
  }

  /** Listens on 127.0.0.1, a free port; returns `apiUrl`. */
  async start(): Promise<string> {
    const server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { type: "api_error", message: String(error) } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  get apiUrl(): string {
    if (!this.origin) throw new Error("FakeStripe is not started; await start() first.");
    return this.origin;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const release of this.heldReplies) release();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` requests (to `path`, if given) fail with `status` and a Stripe `api_error`. */
  failNext({
    status = 500,
    times = 1,
    path,
  }: {
    status?: number;
    times?: number;
    path?: string;
  } = {}) {
    this.failures.push({ status, remaining: times, path });
  }

  /**
   * The next `times` requests (to `path`, if given) are carried out at once (a PaymentIntent is created
   * and confirmed, its idempotency key saved) but answered only after `ms`: a slow Stripe, or one whose
   * answer never reaches a process that dies meanwhile. `close()` answers held requests at once.
   */
  holdNext({ ms, times = 1, path }: { ms: number; times?: number; path?: string }) {
    this.holds.push({ ms, remaining: times, path });
  }

  requestsTo(method: string, path: string): RecordedStripeRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  signWebhook(payload: string, secret: string | string[], timestamp?: number): string {
    return signWebhook(payload, secret, timestamp);
  }

  /** An event as a webhook delivery: the exact body bytes and the signed headers (lower-case names). */
  webhookRequest(
    event: StripeEvent,
    {
      timestamp,
      secret = this.webhookSecret,
    }: { timestamp?: number; secret?: string | string[] } = {},
  ): { body: string; rawBody: Buffer; headers: Record<string, string> } {
    const body = JSON.stringify(event, null, 2);
    return {
      body,
      rawBody: Buffer.from(body, "utf8"),
      headers: {
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": signWebhook(body, secret, timestamp),
      },
    };
  }

  /**
   * The customer pays (or fails to pay) a Checkout Session. `paid`: a succeeded PaymentIntent and charge,
   * the session complete; Stripe would send `checkout.session.completed` and `payment_intent.succeeded`.
   * `failed`: the card is declined, the session stays open; Stripe sends `payment_intent.payment_failed`.
   * `unpaid`: a delayed payment method, the session complete but `payment_status: "unpaid"`.
   */
  completeCheckout(
    sessionId: string,
    {
      outcome = "paid",
      card = outcome === "failed" ? "pm_card_chargeDeclined" : "pm_card_visa",
    }: { outcome?: "paid" | "failed" | "unpaid"; card?: string } = {},
  ): { events: StripeEvent[]; paymentIntentId: string; chargeId: string | null } {
    const session = this.checkoutSessions.get(sessionId);
    if (!session) throw new Error(`No Checkout Session ${sessionId}`);
    if (session.status !== "open")
      throw new Error(`Checkout Session ${sessionId} is ${session.status}`);
    const data = this.sessionPaymentIntentData.get(sessionId);
    const method = this.clonePaymentMethod(card, null);
    // One PaymentIntent per session: a declined attempt and the customer's next try share it.
    const earlier = data?.intentId ? this.paymentIntents.get(data.intentId) : undefined;
    const intent =
      earlier ??
      this.newPaymentIntent({
        amount: session.amount_total as number,
        currency: session.currency as string,
        customer: null,
        payment_method: method.id,
        description: data?.description ?? null,
        metadata: data?.metadata ?? {},
      });
    if (data) data.intentId = intent.id;
    intent.payment_method = method.id;
    intent.last_payment_error = null;
    if (outcome === "failed") {
      const decline = this.cardOf.get(method.id)?.decline ?? genericDecline;
      const charge = this.newCharge(intent, decline);
      this.fail(intent, charge, decline);
      return {
        events: [this.event("payment_intent.payment_failed", intent)],
        paymentIntentId: intent.id,
        chargeId: charge.id,
      };
    }
    session.status = "complete";
    session.payment_intent = intent.id;
    if (outcome === "unpaid") {
      intent.status = "processing";
      return {
        events: [this.event("checkout.session.completed", session)],
        paymentIntentId: intent.id,
        chargeId: null,
      };
    }
    const charge = this.newCharge(intent, undefined);
    this.succeed(intent);
    session.payment_status = "paid";
    return {
      events: [
        this.event("checkout.session.completed", session),
        this.event("payment_intent.succeeded", intent),
      ],
      paymentIntentId: intent.id,
      chargeId: charge.id,
    };
  }

  /**
   * A refund made outside Abono (the dashboard), of `amount` in Stripe's unit (all that remains when
   * omitted): the `charge.refunded` event Stripe would send.
   */
  refund(paymentIntentId: string, amount?: number): { event: StripeEvent; refundId: string } {
    const refund = this.createRefund({ paymentIntentId, amount, metadata: {} });
    const event = this.events.findLast((candidate) => candidate.type === "charge.refunded");
    if (!event) throw new Error("createRefund sent no charge.refunded event");
    return { event, refundId: refund.id };
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake-stripe");
    const method = request.method ?? "GET";
    const idempotencyKey = header(request, "idempotency-key");
    const recorded: RecordedStripeRequest = {
      method,
      path: url.pathname,
      query: {},
      body: {},
      headers: request.headers,
      idempotencyKey,
      status: 0,
      replayed: false,
    };
    this.requests.push(recorded);

    let reply: Reply;
    const fingerprint = `${method} ${url.pathname} ${rawBody}`;
    const saved =
      idempotencyKey && method === "POST" ? this.idempotent.get(idempotencyKey) : undefined;
    try {
      recorded.query = parseStripeForm(url.search.slice(1));
      recorded.body = parseStripeForm(rawBody);
      const failure = this.failures.find(
        (candidate) =>
          candidate.remaining > 0 && (!candidate.path || candidate.path === url.pathname),
      );
      if (failure) {
        failure.remaining -= 1;
        throw new StripeApiError(failure.status, {
          type: "api_error",
          message: "An unknown error occurred (injected by FakeStripe.failNext).",
        });
      }
      this.authenticate(header(request, "authorization"));
      if (saved && saved.fingerprint !== fingerprint) {
        throw new StripeApiError(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      if (saved) {
        reply = saved.reply;
        recorded.replayed = true;
      } else {
        reply = {
          status: 200,
          body: this.route(method, url.pathname, recorded.query, recorded.body),
        };
      }
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      reply = { status: error.status, body: { error: error.error } };
    }
    // Stripe saves a result once the endpoint ran (declines included), not validation errors or outages.
    if (
      idempotencyKey &&
      method === "POST" &&
      !saved &&
      (reply.status === 200 || reply.status === 402)
    ) {
      this.idempotent.set(idempotencyKey, { fingerprint, reply });
    }
    recorded.status = reply.status;
    const hold = this.holds.find(
      (candidate) =>
        candidate.remaining > 0 && (!candidate.path || candidate.path === url.pathname),
    );
    if (hold) {
      hold.remaining -= 1;
      await new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          this.heldReplies.delete(release);
          resolve();
        };
        const timer = setTimeout(release, hold.ms);
        this.heldReplies.add(release);
      });
      if (response.destroyed) return;
    }
    response.writeHead(reply.status, {
      "content-type": "application/json",
      "request-id": stripeId("req"),
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
      ...(recorded.replayed ? { "idempotent-replayed": "true" } : {}),
    });
    response.end(JSON.stringify(reply.body));
  }

  private authenticate(authorization: string | undefined) {
    if (authorization === `Bearer ${this.secretKey}`) return;
    const key = (authorization ?? "").replace(/^Bearer /, "");
    const message = key
      ? `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`
      : "You did not provide an API key. Provide it in the Authorization header, using Bearer auth.";
    throw invalid({ message }, 401);
  }

  private route(method: string, path: string, query: FormObject, body: FormObject): unknown {
    const segments = path.split("/").filter(Boolean);
    const [version, resource, id, action] = segments;
    if (version === "v1") {
      if (method === "POST" && resource === "customers" && segments.length === 2) {
        return this.createCustomer(body);
      }
      if (method === "GET" && resource === "customers" && id === "search") {
        return this.searchCustomers(query);
      }
      if (method === "POST" && resource === "payment_methods" && id && action === "attach") {
        return this.attachPaymentMethod(id, body);
      }
      if (method === "GET" && resource === "payment_methods" && id && segments.length === 3) {
        return this.retrievePaymentMethod(id);
      }
      if (method === "POST" && resource === "payment_intents" && segments.length === 2) {
        return this.createPaymentIntent(body);
      }
      if (method === "POST" && resource === "refunds" && segments.length === 2) {
        return this.createRefund({
          paymentIntentId: requiredString(body, "payment_intent"),
          amount: optionalAmount(body, "amount"),
          metadata: stringRecord(body.metadata),
        });
      }
      if (
        method === "POST" &&
        resource === "checkout" &&
        id === "sessions" &&
        segments.length === 3
      ) {
        return this.createCheckoutSession(body);
      }
      if (method === "GET" && resource === "checkout" && id === "sessions" && action) {
        return clone(this.find(this.checkoutSessions, action, "checkout.session", "id"));
      }
      const stores: Record<string, [Map<string, StripeObject>, string]> = {
        customers: [this.customers, "customer"],
        payment_intents: [this.paymentIntents, "payment_intent"],
        charges: [this.charges, "charge"],
        refunds: [this.refunds, "refund"],
        setup_intents: [this.setupIntents, "setup_intent"],
      };
      const store = resource ? stores[resource] : undefined;
      if (method === "GET" && store && id && segments.length === 3) {
        return clone(this.find(store[0], id, store[1], "id"));
      }
    }
    throw invalid({ message: `Unrecognized request URL (${method}: ${path}).` }, 404);
  }

  private find(store: Map<string, StripeObject>, id: string, what: string, param: string) {
    const found = store.get(id);
    if (!found) throw missing(what, id, param, 404);
    return found;
  }

  private createCustomer(body: FormObject): StripeObject {
    const customer: StripeObject = {
      id: stripeId("cus"),
      object: "customer",
      balance: 0,
      created: now(),
      description: optionalString(body, "description") ?? null,
      email: optionalString(body, "email") ?? null,
      invoice_settings: { default_payment_method: null },
      livemode: false,
      metadata: stringRecord(body.metadata),
      name: optionalString(body, "name") ?? null,
    };
    this.customers.set(customer.id, customer);
    return clone(customer);
  }

  /** Supports the one clause Abono sends: `metadata['key']:'value'`. */
  private searchCustomers(query: FormObject): unknown {
    const text = typeof query.query === "string" ? query.query : "";
    const clause = /^metadata\['((?:[^'\\]|\\.)*)'\]:'((?:[^'\\]|\\.)*)'$/.exec(text);
    if (!clause?.[1] || clause[2] === undefined) {
      throw invalid({
        code: "parameter_invalid_string",
        param: "query",
        message: `FakeStripe cannot search customers by ${JSON.stringify(text)}.`,
      });
    }
    const unquote = (value: string) => value.replace(/\\(.)/g, "$1");
    const [field, value] = [unquote(clause[1]), unquote(clause[2])];
    const data = this.customerSearchLags
      ? []
      : [...this.customers.values()].filter(
          (customer) => (customer.metadata as Record<string, string>)[field] === value,
        );
    return {
      object: "search_result",
      data: clone(data),
      has_more: false,
      next_page: null,
      url: "/v1/customers/search",
    };
  }

  private retrievePaymentMethod(id: string): StripeObject {
    const stored = this.paymentMethods.get(id);
    if (stored) return clone(stored);
    const card = testCards[id];
    if (!card) throw missing("PaymentMethod", id, "id", 404);
    return paymentMethodObject(id, card, null);
  }

  private attachPaymentMethod(id: string, body: FormObject): StripeObject {
    const customerId = requiredString(body, "customer");
    if (!this.customers.has(customerId)) throw missing("customer", customerId, "customer");
    const stored = this.paymentMethods.get(id);
    if (stored) {
      if (stored.customer && stored.customer !== customerId) {
        throw invalid({
          message: "The payment method you provided has already been attached to a customer.",
        });
      }
      stored.customer = customerId;
      return clone(stored);
    }
    const card = testCards[id];
    if (!card) throw missing("PaymentMethod", id, "payment_method", 404);
    if (card.declinesOnAttach && card.decline) {
      throw new StripeApiError(402, { type: "card_error", ...card.decline, param: "" });
    }
    return clone(this.clonePaymentMethod(id, customerId));
  }

  /** Test-mode card ids are templates: using one creates a new PaymentMethod, as in Stripe. */
  private clonePaymentMethod(id: string, customerId: string | null): StripeObject {
    const stored = this.paymentMethods.get(id);
    if (stored) return stored;
    const card = testCards[id];
    if (!card) throw missing("PaymentMethod", id, "payment_method");
    const method = paymentMethodObject(stripeId("pm"), card, customerId);
    this.paymentMethods.set(method.id, method);
    this.cardOf.set(method.id, card);
    return method;
  }

  private createPaymentIntent(body: FormObject): StripeObject {
    const amount = requiredAmount(body, "amount");
    const currency = requiredString(body, "currency");
    if (!/^[a-z]{3}$/.test(currency)) {
      throw invalid({
        code: "parameter_invalid_string",
        param: "currency",
        message: `Invalid currency: ${currency}. Stripe currencies are three lower-case letters.`,
      });
    }
    if (currency === "isk" && amount % 100 !== 0) {
      throw invalid({
        code: "invalid_charge_amount_no_decimal_compatible",
        param: "amount",
        message:
          "Invalid amount. Currency ISK has become effectively zero-decimal and charged amounts must be evenly divisible by 100.",
      });
    }
    const customerId = optionalString(body, "customer");
    if (customerId && !this.customers.has(customerId)) {
      throw missing("customer", customerId, "customer");
    }
    const paymentMethodId = optionalString(body, "payment_method");
    let method: StripeObject | undefined;
    if (paymentMethodId) {
      if (!this.paymentMethods.has(paymentMethodId) && !testCards[paymentMethodId]) {
        throw missing("PaymentMethod", paymentMethodId, "payment_method");
      }
      method = this.clonePaymentMethod(paymentMethodId, null);
      if (customerId && method.customer && method.customer !== customerId) {
        throw invalid({
          param: "payment_method",
          message: `The provided PaymentMethod belongs to a different Customer (${String(method.customer)}).`,
        });
      }
    }
    const intent = this.newPaymentIntent({
      amount,
      currency,
      customer: customerId ?? null,
      payment_method: method?.id ?? null,
      description: optionalString(body, "description") ?? null,
      metadata: stringRecord(body.metadata),
    });
    if (body.confirm !== "true") {
      intent.status = method ? "requires_confirmation" : "requires_payment_method";
      return clone(intent);
    }
    if (!method) {
      throw invalid({
        param: "payment_method",
        message: "You cannot confirm this PaymentIntent because it's missing a payment method.",
      });
    }
    const decline = this.cardOf.get(method.id)?.decline;
    const charge = this.newCharge(intent, decline);
    if (decline) {
      this.fail(intent, charge, decline);
      this.event("payment_intent.payment_failed", intent);
      throw new StripeApiError(402, {
        type: "card_error",
        ...decline,
        charge: charge.id,
        doc_url: `https://stripe.com/docs/error-codes/${decline.code.replaceAll("_", "-")}`,
        payment_intent: clone(intent),
        payment_method: clone(method),
        request_log_url: "https://dashboard.stripe.com/test/logs/req_fake",
      });
    }
    this.succeed(intent);
    this.event("payment_intent.succeeded", intent);
    return clone(intent);
  }

  private newPaymentIntent(fields: {
    amount: number;
    currency: string;
    customer: string | null;
    payment_method: string | null;
    description: string | null;
    metadata: Record<string, string>;
  }): StripeObject {
    const id = stripeId("pi");
    const intent: StripeObject = {
      id,
      object: "payment_intent",
      ...fields,
      amount_received: 0,
      automatic_payment_methods: { allow_redirects: "never", enabled: true },
      capture_method: "automatic_async",
      client_secret: `${id}_secret_${stripeId("s").slice(2)}`,
      created: now(),
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      payment_method_types: ["card"],
      status: "requires_payment_method",
    };
    this.paymentIntents.set(id, intent);
    return intent;
  }

  private newCharge(intent: StripeObject, decline: Decline | undefined): StripeObject {
    const id = stripeId("ch");
    const charge: StripeObject = {
      id,
      object: "charge",
      amount: intent.amount,
      amount_captured: decline ? 0 : intent.amount,
      amount_refunded: 0,
      balance_transaction: decline ? null : stripeId("txn"),
      captured: !decline,
      created: now(),
      currency: intent.currency,
      customer: intent.customer,
      description: intent.description,
      failure_code: decline?.code ?? null,
      failure_message: decline?.message ?? null,
      livemode: false,
      metadata: {},
      outcome: {
        type: decline ? "issuer_declined" : "authorized",
        reason: decline?.decline_code ?? null,
      },
      paid: !decline,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      refunded: false,
      refunds: {
        object: "list",
        data: [],
        has_more: false,
        total_count: 0,
        url: `/v1/charges/${id}/refunds`,
      },
      status: decline ? "failed" : "succeeded",
    };
    this.charges.set(id, charge);
    intent.latest_charge = id;
    return charge;
  }

  private succeed(intent: StripeObject) {
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
  }

  private fail(intent: StripeObject, charge: StripeObject, decline: Decline) {
    intent.status = "requires_payment_method";
    intent.last_payment_error = {
      type: "card_error",
      ...decline,
      charge: charge.id,
      payment_method: clone(this.paymentMethods.get(String(intent.payment_method)) ?? null),
    };
  }

  /** Refunds a PaymentIntent's charge (the only way Abono refunds), emitting `charge.refunded`. */
  private createRefund({
    paymentIntentId,
    amount,
    metadata,
  }: {
    paymentIntentId: string;
    amount: number | undefined;
    metadata: Record<string, string>;
  }): StripeObject {
    const intent = this.paymentIntents.get(paymentIntentId);
    if (!intent) throw missing("payment_intent", paymentIntentId, "payment_intent");
    const charge = this.charges.get(String(intent.latest_charge));
    if (!charge || intent.status !== "succeeded") {
      throw invalid({
        code: "charge_not_refundable",
        message: `This PaymentIntent (${paymentIntentId}) does not have a successful charge to refund.`,
      });
    }
    const remaining = (charge.amount as number) - (charge.amount_refunded as number);
    if (remaining === 0) {
      throw invalid({
        code: "charge_already_refunded",
        message: `Charge ${charge.id} has already been refunded.`,
      });
    }
    const refundAmount = amount ?? remaining;
    if (refundAmount > remaining) {
      throw invalid({
        code: "amount_too_large",
        param: "amount",
        message: `Refund amount (${refundAmount}) is greater than unrefunded amount on charge (${remaining})`,
      });
    }
    const refund: StripeObject = {
      id: stripeId("re"),
      object: "refund",
      amount: refundAmount,
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      metadata,
      payment_intent: charge.payment_intent,
      reason: null,
      status: "succeeded",
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded = (charge.amount_refunded as number) + refundAmount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const list = charge.refunds as { data: StripeObject[]; total_count: number };
    list.data.unshift(refund);
    list.total_count = list.data.length;
    this.event("charge.refunded", charge);
    return clone(refund);
  }

  private createCheckoutSession(body: FormObject): StripeObject {
    const mode = requiredString(body, "mode");
    if (mode === "setup") return this.createSetupSession(body);
    if (mode !== "payment") {
      throw invalid({
        param: "mode",
        message: `FakeStripe supports Checkout Sessions in payment and setup mode only, got ${mode}.`,
      });
    }
    const items = body.line_items;
    const onlyItem = formObject(
      Array.isArray(items) && items.length === 1 ? items[0] : undefined,
      "line_items",
    );
    const priceData = formObject(onlyItem.price_data, "line_items[0][price_data]");
    const unitAmount = requiredAmount(
      priceData,
      "unit_amount",
      "line_items[0][price_data][unit_amount]",
    );
    const currency = requiredString(priceData, "currency", "line_items[0][price_data][currency]");
    const quantity = requiredAmount(onlyItem, "quantity", "line_items[0][quantity]");
    const total = BigInt(unitAmount) * BigInt(quantity);
    const successUrl = requiredString(body, "success_url");
    const cancelUrl = requiredString(body, "cancel_url");
    const intentData = body.payment_intent_data;
    const id = `cs_test_${stripeId("a").slice(2)}`;
    const session: StripeObject = {
      id,
      object: "checkout.session",
      amount_subtotal: Number(total),
      amount_total: Number(total),
      cancel_url: cancelUrl,
      client_reference_id: optionalString(body, "client_reference_id") ?? null,
      created: now(),
      currency,
      customer: optionalString(body, "customer") ?? null,
      customer_details: null,
      customer_email: optionalString(body, "customer_email") ?? null,
      expires_at: now() + 24 * 60 * 60,
      livemode: false,
      locale: optionalString(body, "locale") ?? null,
      metadata: stringRecord(body.metadata),
      mode,
      payment_intent: null,
      payment_status: "unpaid",
      status: "open",
      success_url: successUrl,
      ui_mode: "hosted",
      url: `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.checkoutSessions.set(id, session);
    this.sessionPaymentIntentData.set(id, {
      metadata:
        typeof intentData === "object" && !Array.isArray(intentData)
          ? stringRecord(intentData.metadata)
          : {},
      description:
        typeof intentData === "object" && !Array.isArray(intentData)
          ? (optionalString(intentData, "description") ?? null)
          : null,
    });
    return clone(session);
  }

  /**
   * A Checkout Session in `setup` mode: it collects a card for later off-session charges and pays nothing.
   * As in Stripe, it needs a `customer` (the card is attached to it) or `customer_creation`, and
   * `setup_intent_data[metadata]` is copied onto the SetupIntent the session creates when completed.
   */
  private createSetupSession(body: FormObject): StripeObject {
    const customerId = optionalString(body, "customer");
    if (!customerId) throw missingParam("customer");
    if (!this.customers.has(customerId)) throw missing("customer", customerId, "customer");
    if (body.line_items !== undefined) {
      throw invalid({
        param: "line_items",
        message: "You cannot pass `line_items` in `setup` mode.",
      });
    }
    const allowed = Array.isArray(body.allowed_payment_method_types)
      ? body.allowed_payment_method_types
      : undefined;
    if (!allowed && !optionalString(body, "currency")) {
      throw invalid({
        param: "currency",
        message: "currency is required in setup mode when allowed_payment_method_types is not set.",
      });
    }
    const intentData = body.setup_intent_data;
    const id = `cs_test_${stripeId("c").slice(2)}`;
    const session: StripeObject = {
      id,
      object: "checkout.session",
      amount_subtotal: null,
      amount_total: null,
      cancel_url: requiredString(body, "cancel_url"),
      client_reference_id: optionalString(body, "client_reference_id") ?? null,
      created: now(),
      currency: optionalString(body, "currency") ?? null,
      customer: customerId,
      customer_details: null,
      customer_email: null,
      expires_at: now() + 24 * 60 * 60,
      livemode: false,
      locale: optionalString(body, "locale") ?? null,
      metadata: stringRecord(body.metadata),
      mode: "setup",
      payment_intent: null,
      payment_method_types: allowed ?? ["card"],
      payment_status: "no_payment_required",
      setup_intent: null,
      status: "open",
      success_url: requiredString(body, "success_url"),
      ui_mode: "hosted",
      url: `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.checkoutSessions.set(id, session);
    this.sessionPaymentIntentData.set(id, {
      metadata:
        typeof intentData === "object" && !Array.isArray(intentData)
          ? stringRecord(intentData.metadata)
          : {},
      description: null,
    });
    return clone(session);
  }

  /**
   * The customer enters `card` in a `setup`-mode Checkout Session: a succeeded SetupIntent whose new
   * PaymentMethod is attached to the session's customer, the session complete. Returns the events Stripe
   * would send (`setup_intent.succeeded`, then `checkout.session.completed`) and where Stripe sends the
   * browser (`success_url` with `{CHECKOUT_SESSION_ID}` filled in). A card that declines on attach
   * leaves the session open and throws, as Stripe's page shows the customer the error.
   */
  completeSetupSession(
    sessionId: string,
    { card = "pm_card_visa" }: { card?: string } = {},
  ): { events: StripeEvent[]; setupIntentId: string; paymentMethodId: string; returnUrl: string } {
    const session = this.checkoutSessions.get(sessionId);
    if (session?.mode !== "setup") throw new Error(`No setup Checkout Session ${sessionId}`);
    if (session.status !== "open")
      throw new Error(`Checkout Session ${sessionId} is ${session.status}`);
    const template = testCards[card];
    if (template?.declinesOnAttach) throw new Error(`${card} is declined: the session stays open`);
    const customerId = session.customer as string;
    const method = this.clonePaymentMethod(card, customerId);
    method.customer = customerId;
    const intent: StripeObject = {
      id: stripeId("seti"),
      object: "setup_intent",
      cancellation_reason: null,
      client_secret: `seti_secret_${stripeId("x").slice(2)}`,
      created: now(),
      customer: customerId,
      description: null,
      last_setup_error: null,
      livemode: false,
      metadata: this.sessionPaymentIntentData.get(sessionId)?.metadata ?? {},
      payment_method: method.id,
      payment_method_types: ["card"],
      status: "succeeded",
      usage: "off_session",
    };
    this.setupIntents.set(intent.id, intent);
    session.status = "complete";
    session.setup_intent = intent.id;
    return {
      events: [
        this.event("setup_intent.succeeded", intent),
        this.event("checkout.session.completed", session),
      ],
      setupIntentId: intent.id,
      paymentMethodId: method.id,
      returnUrl: String(session.success_url).replaceAll("{CHECKOUT_SESSION_ID}", sessionId),
    };
  }

  private event(type: string, object: StripeObject): StripeEvent {
    const event: StripeEvent = {
      id: stripeId("evt"),
      object: "event",
      api_version: fakeStripeApiVersion,
      created: now(),
      data: { object: clone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    return event;
  }
}

/** Creates and starts a fake; `close()` it in `afterAll`. */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const fake = new FakeStripe(options);
  await fake.start();
  return fake;
}

function paymentMethodObject(id: string, card: TestCard, customer: string | null): StripeObject {
  return {
    id,
    object: "payment_method",
    allow_redisplay: "unspecified",
    billing_details: { address: null, email: null, name: null, phone: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
      country: "US",
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: `fp${card.last4}`,
      funding: "credit",
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: now(),
    customer,
    livemode: false,
    metadata: {},
    type: "card",
  };
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Stripe's `invalid_request_error` (400 unless said otherwise). */
function invalid(error: Record<string, unknown>, status = 400): StripeApiError {
  return new StripeApiError(status, { type: "invalid_request_error", ...error });
}

function missing(what: string, id: string, param: string, status = 400): StripeApiError {
  return invalid({ code: "resource_missing", param, message: `No such ${what}: '${id}'` }, status);
}

const missingParam = (param: string) =>
  invalid({ code: "parameter_missing", param, message: `Missing required param: ${param}.` });

function optionalString(body: FormObject, name: string): string | undefined {
  const value = body[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function requiredString(body: FormObject, name: string, param = name): string {
  const value = optionalString(body, name);
  if (value === undefined) throw missingParam(param);
  return value;
}

function optionalAmount(body: FormObject, name: string, param = name): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid({
      code: "parameter_invalid_integer",
      param,
      message: `Invalid integer: ${value}`,
    });
  }
  return Number(value);
}

function requiredAmount(body: FormObject, name: string, param = name): number {
  const value = optionalAmount(body, name, param);
  if (value === undefined) throw missingParam(param);
  return value;
}

/** A nested form value that must be an object, such as `line_items[0][price_data]`. */
function formObject(value: FormValue | undefined, param: string): FormObject {
  if (typeof value !== "object" || Array.isArray(value)) throw missingParam(param);
  return value;
}

function stringRecord(value: FormValue | undefined): Record<string, string> {
  if (typeof value !== "object" || Array.isArray(value)) return {};
  const record: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === "string") record[key] = entry;
  }
  return record;
}

/** The settings that point Abono's Stripe adapter at this fake. */
export function fakeStripeEnvironment(fake: FakeStripe): Record<string, string> {
  return {
    ABONO_STRIPE_SECRET_KEY: fake.secretKey,
    ABONO_STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    ABONO_STRIPE_API_URL: fake.apiUrl,
  };
}

/** Delivers a signed Stripe event to the app's webhook route, as Stripe would. */
export function deliverStripeEvent(
  app: { request: TestApp["request"] },
  fake: FakeStripe,
  event: StripeEvent,
  options: { timestamp?: number; secret?: string | string[] } = {},
) {
  const request = fake.webhookRequest(event, options);
  return app.request("POST", "/v1/webhooks/stripe", {
    auth: null,
    rawBody: request.body,
    headers: request.headers,
  });
}
