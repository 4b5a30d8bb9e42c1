import type { Access } from "../auth/principal.ts";
import { type ErrorCode, errorStatus } from "../errors.ts";

/**
 * What every operation of the OpenAPI document gets from its route's configuration, so no route has to
 * repeat it: the `Idempotency-Key` header on mutating calls, the concrete 4xx statuses it can answer
 * (each with its error codes, an example body and `code` as an enum), and examples of its request and
 * responses built from the schemas where the route gives none of its own. Codes and what they mean are
 * listed in docs/errors.md.
 */

type JsonSchema = Record<string, unknown>;

const errorCodes = Object.keys(errorStatus) as ErrorCode[];

/** One line per code, for the description of the status that answers it (docs/errors.md has more). */
const codeMeanings: Partial<Record<string, string>> = {
  validation_error:
    "a field, parameter or header is missing or invalid; `details.issues` says which",
  confirmation_mismatch: "the confirmation in the body does not match the target",
  webhook_signature_invalid: "the webhook could not be verified; nothing changed",
  unauthenticated: "no credential, or one that is unknown, revoked, expired or badly signed",
  payment_failed: "the payment was declined or there is no payment method; nothing changed",
  forbidden: "the credential lacks the role, or belongs to another organization",
  not_found: "the resource in the path (or named in the body) does not exist",
  conflict:
    "the resource already exists, or a request with this Idempotency-Key is still being processed",
  invalid_state: "the operation does not fit the resource's current state",
  idempotency_key_reused: "this Idempotency-Key was used for a different request",
  limit_exceeded: "the usage would exceed the feature's limit; nothing recorded",
  request_timeout: "the request did not arrive in time",
  payload_too_large: "the body is over the size limit",
  rate_limited: "too many requests; retry later",
  internal_error: "a failure of ours; quote `details.requestId`",
  provider_error: "the payment provider failed to answer; retry later",
};

export function errorBodySchema(codes: readonly string[]): JsonSchema {
  return {
    type: "object",
    description:
      "An error. `code` is stable (every code, its status and what to do: docs/errors.md); `message` says how to fix the request.",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", enum: [...codes] },
          message: { type: "string" },
          details: { type: "object", additionalProperties: true },
        },
      },
    },
  };
}

const mutatingMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const idempotencyKeyHeader: JsonSchema = {
  type: "string",
  minLength: 1,
  maxLength: 255,
  description:
    "Makes a retry safe: the same key with the same request within 24 hours replays the first answer (status and body) without running it again; the same key with a different request answers 409 `idempotency_key_reused`. 1 to 255 visible ASCII characters; a UUID is a good choice.",
  examples: ["3f2c9d1e-7b4a-4c55-9e0f-2a1b6c8d9e10"],
};

/** The error codes an operation can answer, from its access, its inputs and what it declares itself. */
export function operationErrorCodes({
  method,
  routeAccess,
  hasBody,
  hasInput,
  hasPathParameters,
  pathHasOrganization,
  declared,
}: {
  method: string;
  routeAccess: Access;
  hasBody: boolean;
  hasInput: boolean;
  hasPathParameters: boolean;
  pathHasOrganization: boolean;
  declared: readonly string[];
}): string[] {
  const codes = new Set<string>();
  const authenticated = routeAccess.kind !== "public";
  const idempotent = authenticated && mutatingMethods.has(method);
  if (hasInput || idempotent) codes.add("validation_error");
  if (authenticated) codes.add("unauthenticated");
  if (routeAccess.kind === "root" || routeAccess.kind === "organization" || pathHasOrganization) {
    codes.add("forbidden");
  }
  if (hasPathParameters) codes.add("not_found");
  if (idempotent) {
    codes.add("conflict");
    codes.add("idempotency_key_reused");
  }
  if (hasBody && "payload_too_large" in errorStatus) codes.add("payload_too_large");
  for (const code of declared) codes.add(code);
  return [...codes].filter((code) => {
    const status = errorStatus[code as ErrorCode] as number | undefined;
    return status !== undefined && status >= 400 && status < 500;
  });
}

function errorResponses(codes: readonly string[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = errorStatus[code as ErrorCode];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const first = statusCodes[0] ?? "validation_error";
    responses[String(status)] = {
      ...errorBodySchema(statusCodes),
      description: statusCodes
        .map((code) => `\`${code}\`: ${codeMeanings[code] ?? "see docs/errors.md"}`)
        .join("; "),
      examples: [
        { error: { code: first, message: sampleMessages[first] ?? "See docs/errors.md." } },
      ],
    };
  }
  return responses;
}

const sampleMessages: Partial<Record<string, string>> = {
  validation_error:
    "The request is invalid: body.name: Too small: expected string to have >=1 characters",
  confirmation_mismatch:
    'The confirmation "org_other" does not match the organization in the path.',
  webhook_signature_invalid: "The Stripe-Signature header does not match the body.",
  unauthenticated: "Missing Authorization header. Send `Authorization: Bearer <API key or JWT>`.",
  payment_failed: "The card was declined. Add another payment method and try again.",
  forbidden: "This operation needs the owner or billing_admin role of the organization.",
  not_found: 'Organization "org_01J8Z6Q3M9X2V7K4T5R1N0P8W3" was not found.',
  conflict: 'A plan with id "pro" already exists.',
  invalid_state: "The organization is already on plan pro (month).",
  idempotency_key_reused:
    "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
  limit_exceeded: 'Feature "active_projects" is at its limit (3 of 3).',
  request_timeout:
    "The request did not arrive in time: send the headers and the whole body promptly.",
  payload_too_large: "The request body is too large. Send a smaller body.",
  rate_limited:
    "Too many webhook requests from this address: at most 1200 a minute. Retry in 12 seconds.",
};

/** Sample ids by the property that holds them, or by the object they identify (`subscription.id`). */
const sampleIds: Record<string, string> = {
  org: "org_01J8Z6Q3M9X2V7K4T5R1N0P8W3",
  sub: "sub_01J8Z6R0B4C8D2E6F0G4H8J2K6",
  inv: "inv_01J8Z6R7N1P5Q9R3S7T1V5W9X3",
  pay: "pay_01J8Z6S2A6B0C4D8E2F6G0H4J8",
  pm: "pm_01J8Z6S9K3M7N1P5Q9R3S7T1V5",
  txn: "txn_01J8Z6T4W8X2Y6Z0A4B8C2D6E0",
  aud: "aud_01J8Z6V1F5G9H3J7K1M5N9P3Q7",
  clock: "clock_01J8Z6V8R2S6T0V4W8X2Y6Z0A4",
  evt: "evt_01J8Z6W3B7C1D5E9F3G7H1J5K9",
  key: "key_01J8Z6X0M4N8P2Q6R0S4T8V2W6",
  chk: "chk_01J8Z6X7X1Y5Z9A3B7C1D5E9F3",
  pev: "pev_01J8Z6Y2G6H0J4K8M2N6P0Q4R8",
  ntf: "ntf_01J8Z6Y9S3T7V1W5X9Y3Z7A1B5",
  eml: "eml_01J8Z6Z4C8D2E6F0G4H8J2K6M0",
  req: "req_01J8Z6Z9N3P7Q1R5S9T3V7W1X5",
  grt: "grt_01J8Z70A4B8C2D6E0F4G8H2J6K0",
};
const idByProperty: Record<string, string> = {
  orgId: "org",
  organizationId: "org",
  subscriptionId: "sub",
  invoiceId: "inv",
  paymentId: "pay",
  paymentMethodId: "pm",
  testClockId: "clock",
  checkoutId: "chk",
  keyId: "key",
  auditLogId: "aud",
  requestId: "req",
};
/** The kind of id an `id` property holds, by the object (or the route's collection) it belongs to. */
const idByOwner: Record<string, string> = {
  organization: "org",
  organizations: "org",
  subscription: "sub",
  invoice: "inv",
  invoices: "inv",
  transactions: "txn",
  grant: "grt",
  "test-clocks": "clock",
  "api-keys": "key",
  checkouts: "chk",
  checkout: "chk",
  "audit-logs": "aud",
  "payment-events": "pev",
  notifications: "ntf",
  mailbox: "eml",
  "payment-methods": "pm",
  paymentMethod: "pm",
  payments: "pay",
  payment: "pay",
};
const catalogIds: Record<string, string> = {
  plans: "pro",
  addons: "extra_seats",
  packs: "encounters_500",
  features: "encounters",
};

const catalogNames: Record<string, string> = {
  plans: "Pro",
  addons: "Extra seat",
  packs: "500 encounters",
  features: "Encounters",
  coupons: "Founders",
  "api-keys": "Billing backend",
};

const sampleTime = "2026-01-15T09:30:00.000Z";
const moneyName = /amount|total|subtotal|discount|balance|due|paid|refunded|price|available/i;

export interface SampleContext {
  /** The property that holds the value. */
  name?: string;
  /** The property that holds the object the value is in (`subscription` for `subscription.id`). */
  owner?: string;
  /** `request`: only required fields and defaults; `response`: every field, nullable ones null. */
  mode: "request" | "response";
  depth?: number;
}

/** A plausible value for a JSON schema: its own example, default, const or first enum, else by name and type. */
export function sampleFromSchema(schema: JsonSchema, context: SampleContext): unknown {
  const { name = "", owner = "", mode, depth = 0 } = context;
  if (depth > 8) return null;
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const variants = schema[key];
    if (Array.isArray(variants)) {
      const typed = variants as JsonSchema[];
      const nullable = typed.some((variant) => variant.type === "null");
      if (nullable && mode === "response") return null;
      const chosen = typed.find((variant) => variant.type !== "null");
      if (chosen) return sampleFromSchema(chosen, context);
    }
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  if (types.includes("null") && mode === "response") return null;
  const type = types.find((candidate) => candidate !== "null");
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const sample: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        const explicit = property.examples !== undefined || property.default !== undefined;
        if (mode === "request" && !required.has(key) && !explicit) continue;
        sample[key] = sampleFromSchema(property, {
          name: key,
          owner: name && name !== "data" ? name : owner,
          mode,
          depth: depth + 1,
        });
      }
      // A body whose fields are all optional (a PATCH) still needs one of them.
      const [first] = Object.entries(properties);
      if (Object.keys(sample).length === 0 && first && mode === "request") {
        sample[first[0]] = sampleFromSchema(first[1], {
          name: first[0],
          owner: name && name !== "data" ? name : owner,
          mode,
          depth: depth + 1,
        });
      }
      return sample;
    }
    case "array": {
      const items = (schema.items ?? {}) as JsonSchema;
      return [sampleFromSchema(items, { ...context, depth: depth + 1 })];
    }
    case "integer":
    case "number": {
      if (moneyName.test(name)) return 4000;
      const minimum = typeof schema.minimum === "number" ? schema.minimum : 1;
      return Math.max(minimum, 1);
    }
    case "boolean":
      return false;
    case "string":
      return sampleString(schema, name, owner);
    default:
      return null;
  }
}

function sampleString(schema: JsonSchema, name: string, owner: string): string {
  if (schema.format === "date-time" || /At$|Start$|End$|^since$|^until$|Time$/.test(name)) {
    return sampleTime;
  }
  const idKind = name === "id" ? (idByOwner[owner] ?? "") : (idByProperty[name] ?? "");
  const id = sampleIds[idKind];
  if (id) return id;
  if (name === "id" && catalogIds[owner]) return catalogIds[owner] as string;
  if (name === "currency") return "USD";
  if (name === "email" || name === "to") return "ana@example.com";
  if (name === "locale") return "en";
  if (name === "planId") return "pro";
  if (name === "addonId") return "extra_seats";
  if (name === "packId") return "encounters_500";
  if (name === "couponCode" || name === "code") return "FOUNDERS";
  if (name === "feature" || name === "key") return "encounters";
  if (name === "eventId") return "usage-2026-01-15-0001";
  if (name === "name") return catalogNames[owner] ?? "Acme Corp";
  if (name === "reason") return "Support ticket 4312: goodwill credit";
  if (name === "description") return "Pro plan (month)";
  if (name === "nextCursor" || name === "cursor") return sampleIds.inv as string;
  if (name === "actor") return sampleIds.key as string;
  const minimum = typeof schema.minLength === "number" ? schema.minLength : 0;
  return "example".padEnd(minimum, "x");
}

/** Path segments that name an action on a resource, not a resource. */
const actions = new Set([
  "archive",
  "unarchive",
  "advance",
  "provisioning",
  "retry",
  "preview-change",
  "change",
  "cancel",
  "items",
  "capture",
]);

/** Adds the derived parts to one operation's JSON schema (the swagger transform's output). */
export function documentOperation({
  schema,
  method,
  url,
  routeAccess,
  declaredErrors,
}: {
  schema: JsonSchema;
  method: string;
  url: string;
  routeAccess: Access;
  declaredErrors: readonly string[];
}): JsonSchema {
  const body = schema.body as JsonSchema | undefined;
  const params = schema.params as JsonSchema | undefined;
  const response = { ...((schema.response ?? {}) as Record<string, JsonSchema>) };
  const authenticated = routeAccess.kind !== "public";
  const codes = operationErrorCodes({
    method,
    routeAccess,
    hasBody: body !== undefined,
    hasInput: body !== undefined || params !== undefined || schema.querystring !== undefined,
    hasPathParameters: url.includes(":"),
    pathHasOrganization: url.includes(":orgId"),
    declared: declaredErrors,
  });
  // The route's collection (`/v1/organizations/:orgId/invoices` → invoices) names a top-level `id`.
  const resource =
    url
      .split("/")
      .filter((segment) => segment !== "" && !segment.startsWith(":") && !actions.has(segment))
      .at(-1) ?? "";
  for (const [status, responseSchema] of Object.entries(response)) {
    if (status.startsWith("2") && responseSchema.content === undefined) {
      response[status] = withExample(responseSchema, { owner: resource, mode: "response" });
    }
  }
  const headers =
    authenticated && mutatingMethods.has(method)
      ? {
          type: "object",
          ...(schema.headers as JsonSchema | undefined),
          properties: {
            ...((schema.headers as JsonSchema | undefined)?.properties as JsonSchema | undefined),
            "Idempotency-Key": idempotencyKeyHeader,
          },
        }
      : schema.headers;
  return {
    ...schema,
    ...(body === undefined
      ? {}
      : { body: withExample(body, { owner: resource, mode: "request" }) }),
    ...(headers === undefined ? {} : { headers }),
    ...(authenticated ? { security: [{ bearerAuth: [] }] } : {}),
    response: {
      ...response,
      ...errorResponses(codes),
      "4XX": {
        ...errorBodySchema(errorCodes),
        description: "Any other client error (the codes and what to do: docs/errors.md).",
      },
      "5XX": {
        ...errorBodySchema(errorCodes),
        description:
          "`internal_error`: a failure of ours, never caused by the request (quote `details.requestId`); `provider_error`: a payment provider failed to answer, retry later.",
      },
    },
  };
}

function withExample(schema: JsonSchema, context: SampleContext): JsonSchema {
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return schema;
  return { ...schema, examples: [sampleFromSchema(schema, context)] };
}
