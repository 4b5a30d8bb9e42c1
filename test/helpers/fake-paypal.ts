import { execFileSync } from "node:child_process";
import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from "node:crypto";
import fs from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { currencyExponent, toDecimalString } from "../../src/money/index.ts";

/**
 * A PayPal REST API stand-in on 127.0.0.1 for the adapter and end-to-end tests. It speaks the subset of
 * the real API Abono uses, as the official server SDK calls it:
 *
 * - `POST /v1/oauth2/token` (client credentials, Basic auth); every other call needs the Bearer token.
 * - `POST /v2/checkout/orders`, `GET /v2/checkout/orders/:id`, `POST /v2/checkout/orders/:id/capture`.
 * - `POST /v2/payments/captures/:id/refund`.
 * - `POST /v1/notifications/verify-webhook-signature`, which does PayPal's real signature check (below).
 * - `GET /v1/notifications/certs/:name`, the signing certificate (a real self-signed X.509 certificate
 *   made with `openssl`; a PEM public key when `openssl` is missing).
 *
 * `PayPal-Request-Id` is honoured on POSTs: a repeated id replays the first successful (2xx) answer;
 * failed answers are not stored, so a capture refused before approval can be retried under the same id.
 * `forgetRequestIds()` plays PayPal's key expiry (6 hours). Every request is recorded in `requests`.
 *
 * Webhooks: `signWebhook` serializes the event with `JSON.stringify` (the fake's canonical form, as PayPal
 * sends its own) and signs `<transmission_id>|<transmission_time>|<webhook_id>|<crc32(raw body)>` with
 * SHA256withRSA. The verify endpoint receives the event parsed inside the request, re-serializes it with
 * `JSON.stringify` and checks the signature over the CRC32 of those bytes against the certificate behind
 * `cert_url`, which must be one the fake issued (PayPal only trusts its own certificates). So a changed
 * byte in the event, another webhook id, another key or a foreign certificate all answer FAILURE.
 */
export async function startFakePayPal({
  clientId = "fake-paypal-client-id",
  clientSecret = "fake-paypal-client-secret",
  webhookId = "4JH86294D6297924G",
}: {
  clientId?: string;
  clientSecret?: string;
  webhookId?: string;
} = {}) {
  const signing = createSigningCertificate();
  const orders = new Map<string, FakeOrder>();
  const captures = new Map<string, FakeCapture>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const accessTokens = new Set<string>();
  const requests: RecordedPayPalRequest[] = [];
  const events: PayPalEvent[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const url = new URL(request.url ?? "/", apiUrl);
      const recorded: RecordedPayPalRequest = {
        method: request.method ?? "GET",
        path: url.pathname,
        headers: request.headers,
        rawBody,
        body: parseBody(rawBody, request.headers["content-type"]),
      };
      requests.push(recorded);
      const answer = route(recorded);
      if (typeof answer.body === "string") {
        response.writeHead(answer.status, { "content-type": "application/x-pem-file" });
        response.end(answer.body);
        return;
      }
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const certUrl = `${apiUrl}/v1/notifications/certs/CERT-360caa42-fca2a594-fake`;
  const trustedCertificates = new Map([[certUrl, signing.certificatePem]]);

  function route(request: RecordedPayPalRequest): Answer {
    const { method, path: pathname } = request;
    if (method === "POST" && pathname === "/v1/oauth2/token") return issueToken(request);
    if (method === "GET" && trustedCertificates.has(`${apiUrl}${pathname}`)) {
      return { status: 200, body: trustedCertificates.get(`${apiUrl}${pathname}`) };
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (token === undefined || !accessTokens.has(token)) {
      return {
        status: 401,
        body: { error: "invalid_token", error_description: "Token signature verification failed" },
      };
    }
    const requestId = header(request.headers, "paypal-request-id");
    const key = requestId === undefined ? undefined : `${method} ${pathname} ${requestId}`;
    const replay = key === undefined ? undefined : idempotent.get(key);
    if (method === "POST" && replay !== undefined) return replay;
    const answer = handle(request);
    if (method === "POST" && key !== undefined && answer.status < 300) idempotent.set(key, answer);
    return answer;
  }

  function handle(request: RecordedPayPalRequest): Answer {
    const { method, path: pathname } = request;
    const body = (request.body ?? {}) as Record<string, any>;
    if (method === "POST" && pathname === "/v2/checkout/orders") return createOrder(body);
    let match = /^\/v2\/checkout\/orders\/([^/]+)$/.exec(pathname);
    if (method === "GET" && match?.[1]) {
      const order = orders.get(match[1]);
      return order ? { status: 200, body: orderJson(order) } : notFound();
    }
    match = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(pathname);
    if (method === "POST" && match?.[1]) return captureOrder(match[1]);
    match = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(pathname);
    if (method === "POST" && match?.[1]) return refundCapture(match[1], body.amount);
    if (method === "POST" && pathname === "/v1/notifications/verify-webhook-signature") {
      return verifyWebhookSignature(request);
    }
    return notFound();
  }

  function issueToken(request: RecordedPayPalRequest): Answer {
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
    if (request.headers.authorization !== expected) {
      return {
        status: 401,
        body: { error: "invalid_client", error_description: "Client Authentication failed" },
      };
    }
    const form = request.body as Record<string, string> | undefined;
    if (form?.grant_type !== "client_credentials") {
      return {
        status: 400,
        body: { error: "unsupported_grant_type", error_description: "Grant Type is NULL" },
      };
    }
    const accessToken = `A21AA${randomBytes(24).toString("base64url")}`;
    accessTokens.add(accessToken);
    return {
      status: 200,
      body: {
        scope:
          "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/applications/webhooks",
        access_token: accessToken,
        token_type: "Bearer",
        app_id: "APP-80W284485P519543T",
        expires_in: 32400,
        nonce: `${new Date().toISOString()}${randomBytes(8).toString("hex")}`,
      },
    };
  }

  function createOrder(body: Record<string, any>): Answer {
    const units = body.purchase_units;
    if (!["CAPTURE", "AUTHORIZE"].includes(body.intent) || !Array.isArray(units)) {
      return unprocessable(400, "INVALID_REQUEST", "intent and purchase_units are required.");
    }
    if (units.length !== 1) {
      return unprocessable(422, "UNSUPPORTED", "The fake takes exactly one purchase unit.");
    }
    const unit = units[0];
    const amount = unit?.amount;
    const minor = amount ? parseValue(amount.value, amount.currency_code) : null;
    if (minor === null) {
      return unprocessable(
        422,
        "DECIMAL_PRECISION",
        "If the currency supports decimals, only two decimal place precision is supported.",
      );
    }
    const id = paypalId();
    const order: FakeOrder = {
      id,
      intent: body.intent,
      status: body.payment_source?.paypal ? "PAYER_ACTION_REQUIRED" : "CREATED",
      unit: {
        reference_id: unit.reference_id ?? "default",
        custom_id: unit.custom_id,
        description: unit.description,
        amount: { currency_code: amount.currency_code, value: amount.value },
      },
      paymentSource: body.payment_source,
      createTime: new Date().toISOString(),
      updateTime: new Date().toISOString(),
      captureOutcome: "COMPLETED",
      instrumentDeclined: false,
      captureId: null,
    };
    orders.set(id, order);
    return { status: 201, body: orderJson(order) };
  }

  function captureOrder(orderId: string): Answer {
    const order = orders.get(orderId);
    if (order === undefined) return notFound();
    if (order.captureId !== null) {
      return unprocessable(
        422,
        "ORDER_ALREADY_CAPTURED",
        "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
      );
    }
    if (order.status !== "APPROVED") {
      return unprocessable(
        422,
        "ORDER_NOT_APPROVED",
        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.",
      );
    }
    if (order.instrumentDeclined) {
      return unprocessable(
        422,
        "INSTRUMENT_DECLINED",
        "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.",
      );
    }
    const now = new Date().toISOString();
    const capture: FakeCapture = {
      id: paypalId(),
      orderId,
      status: order.captureOutcome,
      amount: { ...order.unit.amount },
      customId: order.unit.custom_id,
      refunds: [],
      createTime: now,
      updateTime: now,
    };
    captures.set(capture.id, capture);
    order.captureId = capture.id;
    order.status = "COMPLETED";
    order.updateTime = now;
    const eventType = {
      COMPLETED: "PAYMENT.CAPTURE.COMPLETED",
      PENDING: "PAYMENT.CAPTURE.PENDING",
      DECLINED: "PAYMENT.CAPTURE.DECLINED",
    }[capture.status as "COMPLETED" | "PENDING" | "DECLINED"];
    events.push(event({ eventType, resourceType: "capture", resource: captureJson(capture) }));
    return { status: 201, body: orderJson(order) };
  }

  function refundCapture(captureId: string, requested: unknown): Answer {
    const capture = captures.get(captureId);
    if (capture === undefined) return notFound();
    const currency = capture.amount.currency_code;
    const captured = parseValue(capture.amount.value, currency) ?? 0n;
    const refunded = capture.refunds.reduce((sum, refund) => sum + refund.minor, 0n);
    let minor = captured - refunded;
    if (requested !== undefined) {
      const amount = requested as { currency_code?: string; value?: string };
      if (amount.currency_code !== currency) {
        return unprocessable(
          422,
          "CURRENCY_MISMATCH",
          "Refund must be in the same currency as the capture.",
        );
      }
      const parsed = parseValue(amount.value, currency);
      if (parsed === null || parsed <= 0n) {
        return unprocessable(422, "DECIMAL_PRECISION", "The refund amount is not valid.");
      }
      minor = parsed;
    }
    if (captured - refunded === 0n) {
      return unprocessable(
        422,
        "CAPTURE_FULLY_REFUNDED",
        "The capture has already been fully refunded.",
      );
    }
    if (minor > captured - refunded) {
      return unprocessable(
        422,
        "REFUND_AMOUNT_EXCEEDED",
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded.",
      );
    }
    const refund: FakeRefund = { id: paypalId(), minor, createTime: new Date().toISOString() };
    capture.refunds.push(refund);
    capture.status = refunded + minor === captured ? "REFUNDED" : "PARTIALLY_REFUNDED";
    capture.updateTime = refund.createTime;
    const resource = refundJson(capture, refund);
    events.push(event({ eventType: "PAYMENT.CAPTURE.REFUNDED", resourceType: "refund", resource }));
    return { status: 201, body: resource };
  }

  function verifyWebhookSignature(request: RecordedPayPalRequest): Answer {
    const body = request.body as Record<string, unknown> | undefined;
    const fields = [
      "auth_algo",
      "cert_url",
      "transmission_id",
      "transmission_sig",
      "transmission_time",
      "webhook_id",
    ] as const;
    const missing = fields.filter((field) => typeof body?.[field] !== "string");
    const event = body?.webhook_event;
    if (body === undefined || missing.length > 0 || typeof event !== "object" || event === null) {
      return unprocessable(
        400,
        "MISSING_REQUIRED_PARAMETER",
        `Missing: ${[...missing, ...(typeof event === "object" && event !== null ? [] : ["webhook_event"])].join(", ")}`,
      );
    }
    const value = (field: (typeof fields)[number]) => body[field] as string;
    const certificate = trustedCertificates.get(value("cert_url"));
    const valid =
      value("auth_algo") === "SHA256withRSA" &&
      certificate !== undefined &&
      verify(
        "sha256",
        Buffer.from(
          signedMessage({
            transmissionId: value("transmission_id"),
            transmissionTime: value("transmission_time"),
            webhookId: value("webhook_id"),
            rawBody: Buffer.from(JSON.stringify(event)),
          }),
        ),
        createPublicKey(certificate),
        Buffer.from(value("transmission_sig"), "base64"),
      );
    return { status: 200, body: { verification_status: valid ? "SUCCESS" : "FAILURE" } };
  }

  function orderJson(order: FakeOrder) {
    const capture = order.captureId === null ? undefined : captures.get(order.captureId);
    const approved = order.status === "APPROVED" || order.status === "COMPLETED";
    return {
      id: order.id,
      intent: order.intent,
      status: order.status,
      payment_source: approved
        ? { paypal: { email_address: "buyer@example.com", account_id: "QYR5Z8XDVJNXQ" } }
        : { paypal: {} },
      purchase_units: [
        {
          ...order.unit,
          payee: { email_address: "merchant@example.com", merchant_id: "7KNGBPH2U58GQ" },
          ...(capture ? { payments: { captures: [captureJson(capture)] } } : {}),
        },
      ],
      ...(approved
        ? {
            payer: {
              name: { given_name: "John", surname: "Doe" },
              email_address: "buyer@example.com",
              payer_id: "QYR5Z8XDVJNXQ",
            },
          }
        : {}),
      create_time: order.createTime,
      update_time: order.updateTime,
      links: [
        { href: `${apiUrl}/v2/checkout/orders/${order.id}`, rel: "self", method: "GET" },
        ...(order.status === "PAYER_ACTION_REQUIRED"
          ? [{ href: checkoutUrl(order.id), rel: "payer-action", method: "GET" }]
          : order.status === "CREATED"
            ? [{ href: checkoutUrl(order.id), rel: "approve", method: "GET" }]
            : []),
        ...(order.status === "APPROVED"
          ? [
              {
                href: `${apiUrl}/v2/checkout/orders/${order.id}/capture`,
                rel: "capture",
                method: "POST",
              },
            ]
          : []),
      ],
    };
  }

  function captureJson(capture: FakeCapture) {
    return {
      id: capture.id,
      status: capture.status,
      amount: capture.amount,
      final_capture: true,
      seller_protection: {
        status: "ELIGIBLE",
        dispute_categories: ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
      },
      ...(capture.customId === undefined ? {} : { custom_id: capture.customId }),
      links: [
        { href: `${apiUrl}/v2/payments/captures/${capture.id}`, rel: "self", method: "GET" },
        {
          href: `${apiUrl}/v2/payments/captures/${capture.id}/refund`,
          rel: "refund",
          method: "POST",
        },
        { href: `${apiUrl}/v2/checkout/orders/${capture.orderId}`, rel: "up", method: "GET" },
      ],
      create_time: capture.createTime,
      update_time: capture.updateTime,
    };
  }

  function refundJson(capture: FakeCapture, refund: FakeRefund) {
    const currency = capture.amount.currency_code;
    const money = (minor: bigint) => ({
      currency_code: currency,
      value: toDecimalString({ amount: minor, currency }),
    });
    const upTo = capture.refunds.slice(0, capture.refunds.indexOf(refund) + 1);
    const total = upTo.reduce((sum, each) => sum + each.minor, 0n);
    return {
      id: refund.id,
      status: "COMPLETED",
      amount: money(refund.minor),
      seller_payable_breakdown: {
        gross_amount: money(refund.minor),
        net_amount: money(refund.minor),
        total_refunded_amount: money(total),
      },
      ...(capture.customId === undefined ? {} : { custom_id: capture.customId }),
      links: [
        { href: `${apiUrl}/v2/payments/refunds/${refund.id}`, rel: "self", method: "GET" },
        { href: `${apiUrl}/v2/payments/captures/${capture.id}`, rel: "up", method: "GET" },
      ],
      create_time: refund.createTime,
      update_time: refund.createTime,
    };
  }

  function event({
    eventType,
    resourceType,
    resource,
  }: {
    eventType: string;
    resourceType: string;
    resource: Record<string, unknown>;
  }): PayPalEvent {
    const id = `WH-${paypalId()}-${paypalId()}`;
    return {
      id,
      event_version: "1.0",
      create_time: new Date().toISOString(),
      resource_type: resourceType,
      resource_version: "2.0",
      event_type: eventType,
      summary: `${eventType} (fake PayPal)`,
      resource,
      links: [
        {
          href: `${apiUrl}/v1/notifications/webhooks-events/${id}`,
          rel: "self",
          method: "GET",
        },
      ],
    };
  }

  function requireOrder(orderId: string): FakeOrder {
    const order = orders.get(orderId);
    if (order === undefined) throw new Error(`The fake PayPal has no order ${orderId}.`);
    if (order.status !== "CREATED" && order.status !== "PAYER_ACTION_REQUIRED") {
      throw new Error(`Order ${orderId} is ${order.status}; only a new order can be approved.`);
    }
    return order;
  }

  function requireCapture(captureId: string): FakeCapture {
    const capture = captures.get(captureId);
    if (capture === undefined) throw new Error(`The fake PayPal has no capture ${captureId}.`);
    return capture;
  }

  return {
    apiUrl,
    clientId,
    clientSecret,
    webhookId,
    /** The URL of the fake's signing certificate (what `paypal-cert-url` carries). */
    certUrl,
    /** Every request received, in order. */
    requests,
    /** Events the fake's API calls and test actions produced (approval, capture, refund), in order. */
    events,
    /** Requests with this method whose path matches. */
    requestsTo(method: string, pathPattern: string | RegExp): RecordedPayPalRequest[] {
      return requests.filter(
        (request) =>
          request.method === method &&
          (typeof pathPattern === "string"
            ? request.path === pathPattern
            : pathPattern.test(request.path)),
      );
    },
    /** An order as the API shows it (snake_case JSON), or undefined. */
    order(orderId: string) {
      const order = orders.get(orderId);
      return order ? orderJson(order) : undefined;
    },
    /**
     * The buyer approves the order at PayPal. `captureStatus` is what the later capture reports
     * (PENDING for an eCheck under review, DECLINED for a capture the processor refuses).
     */
    approve(
      orderId: string,
      {
        captureStatus = "COMPLETED",
      }: { captureStatus?: "COMPLETED" | "PENDING" | "DECLINED" } = {},
    ): PayPalEvent {
      const order = requireOrder(orderId);
      order.status = "APPROVED";
      order.captureOutcome = captureStatus;
      order.updateTime = new Date().toISOString();
      const approved = event({
        eventType: "CHECKOUT.ORDER.APPROVED",
        resourceType: "checkout-order",
        resource: orderJson(order),
      });
      events.push(approved);
      return approved;
    },
    /** The buyer approves with a funding source that will be declined: capture answers INSTRUMENT_DECLINED. */
    decline(orderId: string): void {
      const order = requireOrder(orderId);
      order.status = "APPROVED";
      order.instrumentDeclined = true;
      order.updateTime = new Date().toISOString();
    },
    /**
     * Refunds `amount` (minor units) of a capture as the merchant would in the PayPal dashboard, and
     * returns the `PAYMENT.CAPTURE.REFUNDED` event PayPal sends for it.
     */
    refund(captureId: string, amount: bigint): PayPalEvent {
      const capture = requireCapture(captureId);
      const answer = refundCapture(captureId, {
        currency_code: capture.amount.currency_code,
        value: toDecimalString({ amount, currency: capture.amount.currency_code }),
      });
      if (answer.status !== 201) throw new Error(`Refund refused: ${JSON.stringify(answer.body)}`);
      return events.at(-1) as PayPalEvent;
    },
    /** The `PAYMENT.CAPTURE.COMPLETED` event for a capture, as PayPal sends it. */
    captureCompletedEvent(captureId: string): PayPalEvent {
      const resource = { ...captureJson(requireCapture(captureId)), status: "COMPLETED" };
      return event({ eventType: "PAYMENT.CAPTURE.COMPLETED", resourceType: "capture", resource });
    },
    /** The `PAYMENT.CAPTURE.DENIED` event for a capture (a pending capture that was then refused). */
    captureDeniedEvent(captureId: string): PayPalEvent {
      const resource = { ...captureJson(requireCapture(captureId)), status: "DECLINED" };
      return event({ eventType: "PAYMENT.CAPTURE.DENIED", resourceType: "capture", resource });
    },
    /** Any event, for types the fake does not produce itself. */
    event,
    /**
     * Signs an event as PayPal delivers it to `webhookId`: returns the body bytes and the `paypal-*`
     * headers (lower-case names, as Abono's webhook route passes them). `privateKey` signs with another
     * key; `certUrl` names another certificate.
     */
    signWebhook(
      event: object,
      signedForWebhookId: string = webhookId,
      {
        transmissionTime = new Date(),
        transmissionId = randomUUID(),
        privateKey = signing.privateKey,
        certUrl: signedCertUrl = certUrl,
      }: {
        transmissionTime?: Date;
        transmissionId?: string;
        privateKey?: KeyObject;
        certUrl?: string;
      } = {},
    ): { headers: Record<string, string>; rawBody: Buffer } {
      const rawBody = Buffer.from(JSON.stringify(event));
      const time = transmissionTime.toISOString().replace(/\.\d{3}Z$/, "Z");
      const signature = sign(
        "sha256",
        Buffer.from(
          signedMessage({
            transmissionId,
            transmissionTime: time,
            webhookId: signedForWebhookId,
            rawBody,
          }),
        ),
        privateKey,
      ).toString("base64");
      return {
        rawBody,
        headers: {
          "content-type": "application/json",
          "paypal-auth-algo": "SHA256withRSA",
          "paypal-cert-url": signedCertUrl,
          "paypal-transmission-id": transmissionId,
          "paypal-transmission-sig": signature,
          "paypal-transmission-time": time,
        },
      };
    },
    /** PayPal forgets request ids after 6 hours; later retries are new requests. */
    forgetRequestIds(): void {
      idempotent.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakePayPal = Awaited<ReturnType<typeof startFakePayPal>>;

export interface RecordedPayPalRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON, or the form fields of the token call. */
  body: unknown;
}

export interface PayPalEvent {
  id: string;
  event_type: string;
  resource: Record<string, any>;
  [field: string]: unknown;
}

/** The CRC-32 (IEEE, as zlib) of `bytes`; Node 20's zlib has no `crc32`. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc = (crc >>> 8) ^ (crcTable[(crc ^ byte) & 0xff] ?? 0);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const crcTable = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit++) {
    value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  }
  return value >>> 0;
});

function signedMessage({
  transmissionId,
  transmissionTime,
  webhookId,
  rawBody,
}: {
  transmissionId: string;
  transmissionTime: string;
  webhookId: string;
  rawBody: Buffer;
}): string {
  return `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(rawBody)}`;
}

interface FakeOrder {
  id: string;
  intent: string;
  status: "CREATED" | "PAYER_ACTION_REQUIRED" | "APPROVED" | "COMPLETED";
  unit: {
    reference_id: string;
    custom_id?: string;
    description?: string;
    amount: { currency_code: string; value: string };
  };
  paymentSource: unknown;
  createTime: string;
  updateTime: string;
  captureOutcome: "COMPLETED" | "PENDING" | "DECLINED";
  instrumentDeclined: boolean;
  captureId: string | null;
}

interface FakeCapture {
  id: string;
  orderId: string;
  status: string;
  amount: { currency_code: string; value: string };
  customId: string | undefined;
  refunds: FakeRefund[];
  createTime: string;
  updateTime: string;
}

interface FakeRefund {
  id: string;
  minor: bigint;
  createTime: string;
}

interface Answer {
  status: number;
  body: unknown;
}

function createSigningCertificate(): { privateKey: KeyObject; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "fake-paypal-"));
  try {
    const keyFile = path.join(directory, "key.pem");
    fs.writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }));
    const certificatePem = execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-x509",
        "-key",
        keyFile,
        "-subj",
        "/CN=messageverificationcerts.sandbox.paypal.com",
        "-days",
        "2",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    ).toString("utf8");
    return { privateKey, certificatePem };
  } catch {
    return {
      privateKey,
      certificatePem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function parseBody(rawBody: string, contentType: string | undefined): unknown {
  if (rawBody === "") return undefined;
  if (contentType?.startsWith("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
  try {
    return JSON.parse(rawBody);
  } catch {
    return undefined;
  }
}

/** A PayPal `value` in minor units, or null when it has more decimals than PayPal allows. */
function parseValue(value: unknown, currency: unknown): bigint | null {
  if (typeof value !== "string" || typeof currency !== "string") return null;
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(value);
  if (match === null) return null;
  const exponent = ["HUF", "TWD"].includes(currency) ? 0 : currencyExponent(currency);
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return null;
  const scale = ["HUF", "TWD"].includes(currency) ? currencyExponent(currency) : exponent;
  return BigInt(`${match[1]}${fraction.padEnd(scale, "0")}`);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function paypalId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return Array.from(randomBytes(17), (byte) => alphabet[byte % alphabet.length]).join("");
}

function checkoutUrl(orderId: string): string {
  return `https://www.sandbox.paypal.com/checkoutnow?token=${orderId}`;
}

function notFound(): Answer {
  return unprocessable(
    404,
    "INVALID_RESOURCE_ID",
    "Specified resource ID does not exist. Please check the resource ID and try again.",
    "RESOURCE_NOT_FOUND",
  );
}

function unprocessable(
  status: number,
  issue: string,
  description: string,
  name = status === 422 ? "UNPROCESSABLE_ENTITY" : "INVALID_REQUEST",
): Answer {
  return {
    status,
    body: {
      name,
      details: [{ issue, description }],
      message:
        {
          404: "The specified resource does not exist.",
          422: "The requested action could not be performed, semantically incorrect, or failed business validation.",
        }[status] ?? "Request is not well-formed, syntactically incorrect, or violates schema.",
      debug_id: randomBytes(7).toString("hex"),
      links: [
        {
          href: `https://developer.paypal.com/api/rest/reference/orders/v2/errors/#${issue.toLowerCase()}`,
          rel: "information_link",
          method: "GET",
        },
      ],
    },
  };
}
