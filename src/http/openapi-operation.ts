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
  payload_too_large: "The request body is too large. Send a smaller body.",
  rate_limited: "Too many requests; slow down and retry.",
};

/** Id prefixes by the property that holds the id (a response's `id` takes its resource's from the path). */
const idPrefixes: Record<string, string> = {
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

const sampleTime = "2026-01-15T09:30:00.000Z";
const moneyName = /amount|total|subtotal|discount|balance|due|paid|refunded|price|available/i;

/** A plausible value for a JSON schema: its own example, default, const or first enum, else by name and type. */
export function sampleFromSchema(schema: JsonSchema, name = "", depth = 0): unknown {
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
      const chosen = (variants as JsonSchema[]).find((variant) => variant.type !== "null");
      if (chosen) return sampleFromSchema(chosen, name, depth + 1);
    }
  }
  const type = Array.isArray(schema.type)
    ? (schema.type as string[]).find((candidate) => candidate !== "null")
    : schema.type;
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const sample: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        sample[key] = sampleFromSchema(property, key, depth + 1);
      }
      return sample;
    }
    case "array": {
      const items = (schema.items ?? {}) as JsonSchema;
      return [sampleFromSchema(items, name, depth + 1)];
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
      return sampleString(schema, name);
    default:
      return null;
  }
}

function sampleString(schema: JsonSchema, name: string): string {
  if (schema.format === "date-time" || /At$|Start$|End$|^since$|^until$|Time$/.test(name)) {
    return sampleTime;
  }
  const prefix = idPrefixes[name];
  if (prefix) return `${prefix}_01J8Z6Q3M9X2V7K4T5R1N0P8W3`;
  if (name === "currency") return "USD";
  if (name === "email") return "ana@example.com";
  if (name === "locale") return "en";
  if (name === "planId") return "pro";
  if (name === "addonId") return "extra_seats";
  if (name === "packId") return "encounters_500";
  if (name === "couponCode" || name === "code") return "FOUNDERS";
  if (name === "feature" || name === "key") return "encounters";
  if (name === "name") return "Acme Corp";
  if (name === "reason") return "Support ticket 4312: goodwill credit";
  if (name === "description") return "Pro plan (month)";
  if (name === "nextCursor" || name === "cursor") return "inv_01J8Z6Q3M9X2V7K4T5R1N0P8W3";
  const minimum = typeof schema.minLength === "number" ? schema.minLength : 0;
  return "example".padEnd(minimum, "x");
}

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
  for (const [status, responseSchema] of Object.entries(response)) {
    if (status.startsWith("2") && responseSchema.content === undefined) {
      response[status] = withExample(responseSchema);
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
    ...(body === undefined ? {} : { body: withExample(body) }),
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

function withExample(schema: JsonSchema): JsonSchema {
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return schema;
  return { ...schema, examples: [sampleFromSchema(schema)] };
}
