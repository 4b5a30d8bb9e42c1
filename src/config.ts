import path from "node:path";
import { z } from "zod";
import { apiKeySecretPrefix } from "./auth/api-key-secret-prefix.ts";
import type { InvoiceIssuerDetails, TaxIdType } from "./db/schema/billing-details.ts";
import { taxIdTypes } from "./db/schema/billing-details.ts";
import {
  defaultIdempotencyTiming,
  type IdempotencyTiming,
  shortenedIdempotencyTiming,
} from "./idempotency/idempotency-timing.ts";
import { taxIdProblem } from "./taxes/tax-id.ts";

const rootApiKeyPattern = new RegExp(`^${apiKeySecretPrefix}[A-Za-z0-9_-]{24,}$`);

/**
 * The only module that reads the environment. Everything else receives a `Config`.
 * Variables are documented in README.md ("Configuration").
 */

const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const port = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `5s`, `30m`, `2h`, `5d`, `250ms` in milliseconds; null when it is not such a duration. */
export function parseDuration(value: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value);
  if (!match) return null;
  const milliseconds = Number(match[1]) * (durationUnits[match[2] ?? ""] ?? 0);
  return milliseconds > 0 && milliseconds <= 366 * 86_400_000 ? milliseconds : null;
}

/** A whole number in [min, max]; one message for every way the value can be wrong. */
const wholeNumber = (min: number, max: number, unit: string) =>
  z.coerce
    .number({ error: `must be a whole number of ${unit} from ${min} to ${max}` })
    .int()
    .min(min)
    .max(max);

/**
 * Rules between variables run only once every variable is valid on its own (so a bad value is reported
 * once, by its own rule), and their messages name the variables themselves.
 */
const issuerText = z.string().trim().min(1).max(200, "must be at most 200 characters");

const crossField = {
  path: [],
  when: (payload: { issues: unknown[] }) => payload.issues.length === 0,
};

const environmentSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection URL")
      .optional(),
    DATABASE_REPLICA_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection URL")
      .optional(),
    ABONO_MIGRATION_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection URL")
      .optional(),
    ABONO_DATA_DIR: z.string().min(1).default("./.abono"),
    PORT: port.default(8080),
    HOST: z.string().min(1).default("127.0.0.1"),
    ABONO_ROOT_API_KEY: z
      .string()
      .regex(
        rootApiKeyPattern,
        `must be "${apiKeySecretPrefix}" followed by at least 24 letters, digits, "_" or "-" (only such bearer tokens are API keys), e.g. ${apiKeySecretPrefix}$(openssl rand -hex 24)`,
      )
      .optional(),
    ABONO_TEST_MODE: booleanString.optional(),
    /** Set by npm (and the other package managers' script runners) for the script they run. */
    npm_lifecycle_event: z.string().optional(),
    /** Tests only (honoured in test mode): a shorter Idempotency-Key lease, to test takeovers quickly. */
    ABONO_TEST_IDEMPOTENCY_LEASE_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number of milliseconds")
      .min(100, "must be at least 100 (milliseconds)")
      .max(60_000, "must be at most 60000 (milliseconds)")
      .optional(),
    /**
     * Tests only (honoured in test mode): the process kills itself (SIGKILL) right after committing a
     * transaction of a request with this Idempotency-Key, to test what a resend finds.
     */
    ABONO_TEST_KILL_AFTER_COMMIT: z.string().min(1).optional(),
    ABONO_FREE_PLAN_ID: z.string().min(1).default("free"),
    ABONO_LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
    ABONO_BODY_LIMIT_BYTES: wholeNumber(1, 1024 * 1024 * 1024, "bytes").default(5 * 1024 * 1024),
    ABONO_REQUEST_TIMEOUT_MS: wholeNumber(1000, 600_000, "milliseconds").default(30_000),
    ABONO_HEADERS_TIMEOUT_MS: wholeNumber(500, 600_000, "milliseconds").default(10_000),
    ABONO_CONNECTION_TIMEOUT_MS: wholeNumber(1000, 3_600_000, "milliseconds").default(120_000),
    ABONO_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(1000, 600_000, "milliseconds").default(72_000),
    ABONO_MAX_CONNECTIONS: wholeNumber(1, 1_000_000, "connections").default(1000),
    ABONO_TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|[0-9]{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/,
        "must be true, false, a number of proxy hops, or comma-separated proxy addresses/CIDRs",
      )
      .default("false"),
    ABONO_WEBHOOK_BODY_LIMIT_BYTES: wholeNumber(1024, 16 * 1024 * 1024, "bytes").default(
      256 * 1024,
    ),
    ABONO_WEBHOOK_RATE_LIMIT: wholeNumber(1, 1_000_000, "requests per minute").default(1200),
    ABONO_WORKER_CONCURRENCY: wholeNumber(1, 64, "jobs").default(4),
    ABONO_WORKER_POLL_MS: wholeNumber(10, 60_000, "milliseconds").optional(),
    ABONO_USAGE_RETENTION_MONTHS: wholeNumber(1, 1200, "months").optional(),
    ABONO_JWT_JWKS_URL: z.url({ error: "must be a URL (the issuer's JWKS endpoint)" }).optional(),
    ABONO_JWT_ISSUER: z.string().min(1).optional(),
    ABONO_JWT_AUDIENCE: commaList.optional(),
    ABONO_JWT_ROOT_CLAIM: z.string().min(1).default("root"),
    ABONO_JWT_ROOT_GROUPS: commaList.default([]),
    ABONO_JWT_GROUPS_CLAIM: z.string().min(1).default("cognito:groups"),
    ABONO_JWT_GROUP_ROLE_PATTERN: z
      .string()
      .default("^org:(?<organization>[^:]+)(?::(?<role>owner|billing_admin|member))?$")
      .refine(isValidGroupPattern, {
        message: "must be a regular expression with a named group (?<organization>…)",
      }),
    ABONO_IDENTITY_DIRECTORY: z
      .enum(["builtin", "cognito"], { error: "must be builtin or cognito" })
      .default("builtin"),
    ABONO_IDENTITY_ADMIN_GROUP: z.string().max(128, "must be at most 128 characters").optional(),
    ABONO_COGNITO_USER_POOL_ID: z
      .string()
      .regex(/^[\w-]+_[0-9a-zA-Z]+$/, "must be a user pool id such as us-east-1_AbCdEf123")
      .optional(),
    ABONO_COGNITO_REGION: z.string().min(1).optional(),
    ABONO_COGNITO_ENDPOINT: z.url({ error: "must be a URL" }).optional(),
    ABONO_COGNITO_ACCESS_KEY_ID: z.string().min(1).optional(),
    ABONO_COGNITO_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    ABONO_INVOICE_PREFIX: z
      .string()
      .regex(/^[A-Z0-9]{1,10}$/, "must be 1–10 upper-case letters or digits, e.g. ABN")
      .default("ABN"),
    ABONO_CREDIT_NOTE_PREFIX: z
      .string()
      .regex(
        /^[A-Z0-9]{1,10}(-[A-Z0-9]{1,10})?$/,
        "must be 1–10 upper-case letters or digits, optionally a dash and 1–10 more, e.g. ABN-NC",
      )
      .optional(),
    ABONO_ISSUER_NAME: issuerText.default("Abono"),
    ABONO_ISSUER_ADDRESS_LINE1: issuerText.optional(),
    ABONO_ISSUER_ADDRESS_LINE2: issuerText.optional(),
    ABONO_ISSUER_CITY: issuerText.optional(),
    ABONO_ISSUER_REGION: issuerText.optional(),
    ABONO_ISSUER_POSTAL_CODE: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$/, "must be a postal code such as C1043 or 28001")
      .optional(),
    ABONO_ISSUER_COUNTRY: z
      .string()
      .regex(
        /^[A-Z]{2}$/,
        "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. AR or ES",
      )
      .optional(),
    ABONO_ISSUER_TAX_ID: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,49}$/, "must be a tax id such as 30-71234567-1")
      .optional(),
    ABONO_ISSUER_TAX_ID_TYPE: z
      .enum(taxIdTypes, { error: `must be one of ${taxIdTypes.join(", ")}` })
      .optional(),
    ABONO_ISSUER_EMAIL: z.email({ error: "must be an email address" }).optional(),
    ABONO_ISSUER_LOGO: z
      .string()
      .regex(
        /\.(png|jpe?g)$/i,
        "must be the path of a PNG or JPEG file (ending .png, .jpg or .jpeg)",
      )
      .optional(),
    ABONO_DUNNING_RETRY_DAYS: z
      .string()
      .default("1,3,5")
      .transform((value) => value.split(",").map((day) => Number(day.trim())))
      .refine(
        (days) =>
          days.length > 0 &&
          days.every(
            (day, index) =>
              Number.isInteger(day) && day > 0 && (index === 0 || day > (days[index - 1] ?? 0)),
          ),
        {
          message:
            "must be increasing whole days after the failed renewal, comma-separated, e.g. 1,3,5",
        },
      ),
    ABONO_PAST_DUE_GRACE_DAYS: wholeNumber(0, 90, "days").default(7),
    ABONO_ANNUAL_AUTO_RENEW: booleanString.default(false),
    ABONO_FOUNDERS_OPENS_AT: z.iso
      .datetime({ offset: true, error: "must be an ISO 8601 date-time" })
      .optional(),
    ABONO_FOUNDERS_CLOSES_AT: z.iso
      .datetime({ offset: true, error: "must be an ISO 8601 date-time" })
      .optional(),
    ABONO_FOUNDERS_SEATS: wholeNumber(1, 1_000_000_000, "seats").optional(),
    ABONO_FOUNDERS_BENEFIT: z
      .string()
      .regex(
        /^(discount:(100|[1-9][0-9]?)|price_lock)$/,
        "must be discount:<percent 1–100> or price_lock",
      )
      .default("discount:20"),
    ABONO_TENANT_SCHEMAS: booleanString.default(false),
    ABONO_PUBLIC_URL: z.url({ error: "must be the URL this service is reached at" }).optional(),
    ABONO_CHECKOUT_SUCCESS_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_CHECKOUT_CANCEL_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_PORTAL_FRAME_ANCESTORS: z
      .string()
      .regex(
        /^[^;\r\n,]+$/,
        "must be a space-separated list of CSP sources (e.g. 'self' https://app.example.com), without ';' or ','",
      )
      .default("'self'"),
    ABONO_PORTAL_ACCENT_COLOR: z
      .string()
      .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "must be a hex color such as #1d4ed8")
      .optional(),
    ABONO_PORTAL_COOKIE_SAMESITE: z
      .enum(["lax", "strict", "none"], { error: "must be lax, strict or none" })
      .default("lax"),
    ABONO_STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\w+$/, "must be a Stripe secret key (sk_test_… or sk_live_…)")
      .optional(),
    ABONO_STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_\w+$/, "must be a Stripe webhook signing secret (whsec_…)")
      .optional(),
    ABONO_STRIPE_API_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_MERCADOPAGO_ACCESS_TOKEN: z
      .string()
      .min(10, "must be a MercadoPago access token")
      .optional(),
    ABONO_MERCADOPAGO_WEBHOOK_SECRET: z
      .string()
      .min(8, "must be the webhook secret signature")
      .optional(),
    ABONO_MERCADOPAGO_API_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_PAYPAL_CLIENT_ID: z.string().min(1).optional(),
    ABONO_PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
    ABONO_PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
    ABONO_PAYPAL_ENVIRONMENT: z
      .enum(["sandbox", "production"], { error: "must be sandbox or production" })
      .default("sandbox"),
    ABONO_PAYPAL_API_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_APPLE_BUNDLE_ID: z.string().min(1).optional(),
    ABONO_APPLE_APP_APPLE_ID: z
      .string()
      .regex(/^[1-9][0-9]{0,14}$/, "must be the app's Apple ID (a number)")
      .transform(Number)
      .optional(),
    ABONO_APPLE_ENVIRONMENT: z
      .enum(["Production", "Sandbox"], { error: "must be Production or Sandbox" })
      .default("Production"),
    ABONO_APPLE_ROOT_CERTIFICATES: z.string().min(1).optional(),
    ABONO_APPLE_ONLINE_CHECKS: booleanString.default(true),
    ABONO_APPLE_NOTIFICATION_MAX_AGE_HOURS: wholeNumber(1, 720, "hours").default(192),
    ABONO_APPLE_ISSUER_ID: z.string().min(1).optional(),
    ABONO_APPLE_KEY_ID: z.string().min(1).optional(),
    ABONO_APPLE_PRIVATE_KEY_PATH: z.string().min(1).optional(),
    ABONO_APPLE_API_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_GOOGLE_PACKAGE_NAME: z.string().min(1).optional(),
    ABONO_GOOGLE_SERVICE_ACCOUNT_KEY_PATH: z.string().min(1).optional(),
    ABONO_GOOGLE_PUSH_AUDIENCE: z.string().min(1).optional(),
    ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT: z.string().min(1).optional(),
    ABONO_GOOGLE_PUSH_JWKS_URL: z
      .url({ error: "must be a URL" })
      .default("https://www.googleapis.com/oauth2/v3/certs"),
    ABONO_GOOGLE_PUSH_ISSUER: z.string().min(1).default("https://accounts.google.com"),
    ABONO_GOOGLE_API_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_GOOGLE_OAUTH_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
      .optional(),
    ABONO_EMAIL_FROM: z
      .string()
      .min(3, "must be a sender address such as Abono <billing@example.com>")
      .default("Abono <billing@localhost>"),
    ABONO_ADMIN_EMAIL: z.email({ error: "must be an email address" }).optional(),
    ABONO_PORTAL_URL: z.url({ error: "must be a URL" }).optional(),
    ABONO_WEBHOOK_ALLOW_PRIVATE_URLS: booleanString.optional(),
    ABONO_WEBHOOK_ALLOWED_HOSTS: commaList.default([]),
    ABONO_WEBHOOK_TIMEOUT_MS: wholeNumber(100, 60_000, "milliseconds").default(10_000),
    ABONO_WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .default("5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h")
      .transform((value, context) => {
        const delays = value.split(",").map((item) => parseDuration(item.trim()));
        if (delays.length === 0 || delays.some((delay) => delay === null)) {
          context.addIssue({
            code: "custom",
            message:
              "must be comma-separated delays such as 5s,5m,30m,2h (units ms, s, m, h, d), one per retry",
          });
          return z.NEVER;
        }
        return delays as number[];
      }),
    ABONO_WEBHOOK_DISABLE_AFTER: z
      .string()
      .default("5d")
      .transform((value, context) => {
        const delay = parseDuration(value.trim());
        if (delay === null) {
          context.addIssue({
            code: "custom",
            message: "must be a duration such as 5d, 12h or 30m (units ms, s, m, h, d)",
          });
          return z.NEVER;
        }
        return delay;
      }),
    ABONO_WEBHOOK_CONCURRENCY: wholeNumber(1, 256, "deliveries").default(8),
    ABONO_SQS_ACCESS_KEY_ID: z.string().min(1).optional(),
    ABONO_SQS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    ABONO_TENANT_TEMPLATE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case PostgreSQL schema name")
      .default("tenant_template"),
  })
  .refine(
    (env) =>
      env.ABONO_IDENTITY_DIRECTORY !== "cognito" ||
      (env.ABONO_COGNITO_USER_POOL_ID !== undefined && env.ABONO_COGNITO_REGION !== undefined),
    {
      message:
        "ABONO_COGNITO_USER_POOL_ID and ABONO_COGNITO_REGION are required with the cognito directory",
      ...crossField,
    },
  )
  .refine(
    (env) =>
      Boolean(env.ABONO_COGNITO_ACCESS_KEY_ID) === Boolean(env.ABONO_COGNITO_SECRET_ACCESS_KEY),
    {
      message: "ABONO_COGNITO_ACCESS_KEY_ID and ABONO_COGNITO_SECRET_ACCESS_KEY go together",
      ...crossField,
    },
  )
  .refine(
    (env) =>
      [env.ABONO_FOUNDERS_OPENS_AT, env.ABONO_FOUNDERS_CLOSES_AT, env.ABONO_FOUNDERS_SEATS].every(
        (value) => value === undefined,
      ) ||
      [env.ABONO_FOUNDERS_OPENS_AT, env.ABONO_FOUNDERS_CLOSES_AT, env.ABONO_FOUNDERS_SEATS].every(
        (value) => value !== undefined,
      ),
    {
      message:
        "ABONO_FOUNDERS_OPENS_AT, ABONO_FOUNDERS_CLOSES_AT and ABONO_FOUNDERS_SEATS open the founders program together",
      ...crossField,
    },
  )
  .refine((env) => !env.ABONO_STRIPE_WEBHOOK_SECRET || env.ABONO_STRIPE_SECRET_KEY !== undefined, {
    message: "ABONO_STRIPE_WEBHOOK_SECRET needs ABONO_STRIPE_SECRET_KEY",
    ...crossField,
  })
  .refine(
    (env) =>
      !env.ABONO_MERCADOPAGO_WEBHOOK_SECRET || env.ABONO_MERCADOPAGO_ACCESS_TOKEN !== undefined,
    {
      message: "ABONO_MERCADOPAGO_WEBHOOK_SECRET needs ABONO_MERCADOPAGO_ACCESS_TOKEN",
      ...crossField,
    },
  )
  .refine(
    (env) =>
      [env.ABONO_PAYPAL_CLIENT_ID, env.ABONO_PAYPAL_CLIENT_SECRET].every((v) => v === undefined) ||
      [env.ABONO_PAYPAL_CLIENT_ID, env.ABONO_PAYPAL_CLIENT_SECRET].every((v) => v !== undefined),
    {
      message: "ABONO_PAYPAL_CLIENT_ID and ABONO_PAYPAL_CLIENT_SECRET go together",
      ...crossField,
    },
  )
  .refine((env) => !env.DATABASE_REPLICA_URL || env.DATABASE_URL !== undefined, {
    message: "DATABASE_REPLICA_URL needs DATABASE_URL (the primary it replicates)",
    ...crossField,
  })
  .refine((env) => !env.ABONO_MIGRATION_DATABASE_URL || env.DATABASE_URL !== undefined, {
    message: "ABONO_MIGRATION_DATABASE_URL needs DATABASE_URL (the service's own role)",
    ...crossField,
  })
  .refine((env) => env.ABONO_HEADERS_TIMEOUT_MS <= env.ABONO_REQUEST_TIMEOUT_MS, {
    message: "ABONO_HEADERS_TIMEOUT_MS must not be longer than ABONO_REQUEST_TIMEOUT_MS",
    ...crossField,
  })
  .refine(
    (env) => Boolean(env.ABONO_SQS_ACCESS_KEY_ID) === Boolean(env.ABONO_SQS_SECRET_ACCESS_KEY),
    {
      message: "ABONO_SQS_ACCESS_KEY_ID and ABONO_SQS_SECRET_ACCESS_KEY go together",
      ...crossField,
    },
  )
  .refine(
    (env) =>
      [env.ABONO_ISSUER_ADDRESS_LINE1, env.ABONO_ISSUER_CITY, env.ABONO_ISSUER_COUNTRY].every(
        (value) => value !== undefined,
      ) ||
      [
        env.ABONO_ISSUER_ADDRESS_LINE1,
        env.ABONO_ISSUER_ADDRESS_LINE2,
        env.ABONO_ISSUER_CITY,
        env.ABONO_ISSUER_REGION,
        env.ABONO_ISSUER_POSTAL_CODE,
        env.ABONO_ISSUER_COUNTRY,
      ].every((value) => value === undefined),
    {
      message:
        "ABONO_ISSUER_ADDRESS_LINE1, ABONO_ISSUER_CITY and ABONO_ISSUER_COUNTRY make the issuer's address together (with ABONO_ISSUER_ADDRESS_LINE2, ABONO_ISSUER_REGION and ABONO_ISSUER_POSTAL_CODE optional)",
      ...crossField,
    },
  )
  .refine((env) => !env.ABONO_ISSUER_TAX_ID_TYPE || env.ABONO_ISSUER_TAX_ID !== undefined, {
    message: "ABONO_ISSUER_TAX_ID_TYPE needs ABONO_ISSUER_TAX_ID",
    ...crossField,
  })
  .refine(
    (env) =>
      !env.ABONO_ISSUER_TAX_ID ||
      taxIdProblem({
        type: env.ABONO_ISSUER_TAX_ID_TYPE ?? "other",
        value: env.ABONO_ISSUER_TAX_ID,
      }) === null,
    {
      message:
        "ABONO_ISSUER_TAX_ID is not a valid id of its ABONO_ISSUER_TAX_ID_TYPE (a CUIT is 11 digits with a valid check digit, an NIF has a valid letter…)",
      ...crossField,
    },
  )
  .refine((env) => Boolean(env.ABONO_JWT_JWKS_URL) === Boolean(env.ABONO_JWT_ISSUER), {
    message: "ABONO_JWT_JWKS_URL and ABONO_JWT_ISSUER must be set together to enable JWT auth",
    ...crossField,
  });

/** Variables whose value is a secret (or may carry one): a configuration error never echoes it. */
const secretVariables = new Set([
  "DATABASE_URL",
  "ABONO_MIGRATION_DATABASE_URL",
  "DATABASE_REPLICA_URL",
  "ABONO_ROOT_API_KEY",
  "ABONO_COGNITO_SECRET_ACCESS_KEY",
  "ABONO_STRIPE_SECRET_KEY",
  "ABONO_STRIPE_WEBHOOK_SECRET",
  "ABONO_MERCADOPAGO_ACCESS_TOKEN",
  "ABONO_MERCADOPAGO_WEBHOOK_SECRET",
  "ABONO_PAYPAL_CLIENT_SECRET",
  "ABONO_SMTP_URL",
  "ABONO_SQS_SECRET_ACCESS_KEY",
]);

/** The ` (got …)` suffix of a configuration error: added here only, once, never for a secret. */
function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return "";
  if (secretVariables.has(name)) return ` (got a value of ${value.length} characters, not shown)`;
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return ` (got ${JSON.stringify(shown)})`;
}

/** Every variable `loadConfig` reads. */
export const environmentVariableNames = Object.keys(environmentSchema.shape);

function isValidGroupPattern(pattern: string): boolean {
  try {
    return new RegExp(pattern).source.includes("?<organization>");
  } catch {
    return false;
  }
}

export interface JwtConfig {
  jwksUrl: string;
  issuer: string;
  audience: string[] | undefined;
  rootClaim: string;
  rootGroups: string[];
  groupsClaim: string;
  groupRolePattern: RegExp;
}

export type IdentityConfig =
  | { directory: "builtin"; adminGroup: string | undefined }
  | {
      directory: "cognito";
      adminGroup: string | undefined;
      userPoolId: string;
      region: string;
      endpoint: string | undefined;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export interface Config {
  /** The service's own role; unset means the embedded database. */
  databaseUrl: string | undefined;
  /** The tables' owner, for migrations, when DATABASE_URL is a restricted role. */
  migrationDatabaseUrl: string | undefined;
  /**
   * A read replica for lists and reports only (docs/data-growth.md "Read replica"); money decisions
   * (balances, limits, payments, plan changes) always read the primary.
   */
  databaseReplicaUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  rootApiKey: string | undefined;
  testMode: boolean;
  /** Started by a package manager's script runner (`npm start`): `abono serve` stops when it is gone. */
  startedByScriptRunner: boolean;
  freePlanId: string;
  logLevel: string;
  bodyLimitBytes: number;
  /** Timeouts, the connection cap and the webhook route's own limits (README "Configuration"). */
  http: HttpLimits;
  workerConcurrency: number;
  /**
   * Whole months of usage events kept before the current month (docs/data-growth.md "Retention"); older
   * monthly partitions are dropped once no open billing period overlaps them. Null: kept forever.
   */
  usageRetentionMonths: number | null;
  /** How often the worker looks for jobs it was not notified of (queued behind others, scheduled). */
  workerPollIntervalMs: number;
  /** The Idempotency-Key lease and its heartbeat (docs/idempotency.md). */
  idempotency: IdempotencyTiming;
  /** Tests only: the Idempotency-Key after whose request's commit the process kills itself. */
  killAfterCommitKey?: string;
  jwt: JwtConfig | undefined;
  identity: IdentityConfig;
  /** When set, each organization gets a PostgreSQL schema `tenant_<6 digits>` copied from this one. */
  tenantTemplateSchema: string | undefined;
  /** Invoice numbers are `<prefix>-000001`, gapless per prefix. */
  invoicePrefix: string;
  /** Credit notes' number prefix, their own gapless sequence (`ABN-NC-000001`). */
  creditNotePrefix: string;
  /**
   * The invoices' issuer from `ABONO_ISSUER_*` (legal name, address, tax id, email, logo); a root-edited
   * settings record overrides it field by field (`src/invoicing/issuer.ts`).
   */
  issuer: InvoiceIssuerDetails;
  lifecycle: {
    /** Days after a failed renewal at which payment is retried; after the last, the subscription ends. */
    dunningRetryDays: number[];
    pastDueGraceDays: number;
    /** Annual subscriptions end after one year unless this is set (docs/billing.md "Lifecycle"). */
    annualAutoRenew: boolean;
  };
  founders: FoundersConfig | undefined;
  providers: ProvidersConfig;
  /** App Store and Google Play (docs/app-stores.md); each is off until its settings are given. */
  stores: StoresConfig;
  email: EmailConfig;
  webhooks: WebhooksConfig;
  portal: PortalConfig;
}

/** Outbound delivery of events (docs/events.md "Webhook endpoints"). */
export interface WebhooksConfig {
  /** Private, loopback and link-local destinations (and plain http) are refused unless this is set. */
  allowPrivateUrls: boolean;
  /** Hosts allowed even when they resolve to private addresses (an internal receiver). */
  allowedHosts: string[];
  timeoutMs: number;
  /** Milliseconds before each retry; after the last, a delivery is given up (`failed`). */
  retrySchedule: number[];
  /** An endpoint failing for this long without a success is disabled and the operators are told. */
  disableAfterMs: number;
  /** Deliveries run in parallel by this process, apart from the other jobs. */
  concurrency: number;
  /** Explicit credentials for SQS destinations; unset: the AWS SDK's default chain. */
  sqsCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this; a slower one answers 408. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** A connection with no traffic in either direction for this long is closed. */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many open ones are closed at once. */
  maxConnections: number;
  /** Fastify's `trustProxy`: which `X-Forwarded-For` hops to believe for the client's address. */
  trustProxy: boolean | number | string[];
  webhooks: {
    bodyLimitBytes: number;
    /** Requests per minute from one source address to `POST /v1/webhooks/:provider` (per process). */
    ratePerMinute: number;
  };
}

/** The billing portal's sessions and framing (docs/portal.md). */
export interface PortalConfig {
  /** ABONO_PUBLIC_URL when set: portal links start with it; otherwise with the request's own origin. */
  publicUrl: string | undefined;
  /** The CSP `frame-ancestors` of portal pages: who may show the portal in an iframe. */
  frameAncestors: string;
  /** The portal's accent color (buttons, links, the current section); unset: its own blue. */
  accentColor: string | undefined;
  cookieSameSite: "lax" | "strict" | "none";
  /** The session cookie is `Secure` when the public URL is https, and always with SameSite=None. */
  secureCookie: boolean;
}

/** Payment providers configured in this deployment; each is off unless its credentials are set. */
export interface ProvidersConfig {
  /** Where this service is reached from outside (webhook URLs given to providers). */
  publicUrl: string;
  checkoutSuccessUrl: string;
  checkoutCancelUrl: string;
  stripe: StripeConfig | undefined;
  mercadopago: MercadoPagoConfig | undefined;
  paypal: PayPalConfig | undefined;
}

export interface StoresConfig {
  apple: AppleConfig | undefined;
  google: GoogleConfig | undefined;
}

export interface AppleConfig {
  bundleId: string;
  /** Required in Production (the verifier checks it). */
  appAppleId: number | undefined;
  environment: "Production" | "Sandbox";
  /** Paths of Apple's root certificates (DER or PEM) that notifications must chain to. */
  rootCertificatePaths: string[];
  /** Revocation checks (OCSP) and certificate dates against the current time. */
  onlineChecks: boolean;
  /** A notification signed longer ago than this is refused as stale. */
  notificationMaxAgeMs: number;
  /** The App Store Server API key (for reconciliation); unset: no reconciliation. */
  api:
    | { issuerId: string; keyId: string; privateKeyPath: string; apiUrl: string | undefined }
    | undefined;
}

export interface GoogleConfig {
  packageName: string;
  serviceAccountKeyPath: string;
  /** Pub/Sub push authentication: the token's audience, the push's service account, where its keys are. */
  pushAudience: string;
  pushServiceAccount: string;
  pushJwksUrl: string;
  pushIssuer: string;
  /** Another Android Publisher API origin (a local fake in tests). */
  apiUrl: string | undefined;
  /** Another OAuth token endpoint for the service account (a local fake in tests). */
  tokenUrl: string | undefined;
}

export interface StripeConfig {
  secretKey: string;
  /** Without it, Stripe webhooks cannot be verified and are refused. */
  webhookSecret: string | undefined;
  /** Another API origin (a local fake in tests); unset means api.stripe.com. */
  apiUrl: string | undefined;
}

export interface MercadoPagoConfig {
  accessToken: string;
  webhookSecret: string | undefined;
  apiUrl: string | undefined;
}

export interface PayPalConfig {
  clientId: string;
  clientSecret: string;
  /** The webhook's id in the PayPal dashboard; verification needs it. */
  webhookId: string | undefined;
  environment: "sandbox" | "production";
  apiUrl: string | undefined;
}

export interface EmailConfig {
  /** SMTP server; unset means emails are kept in the local mailbox only (test mode) or logged. */
  smtpUrl: string | undefined;
  from: string;
  adminEmail: string | undefined;
  /** The billing portal, linked from emails that ask the customer to act (a failed payment). */
  portalUrl: string | undefined;
}

export interface FoundersConfig {
  opensAt: Date;
  closesAt: Date;
  seats: number;
  benefit: { kind: "discount"; percentOff: number } | { kind: "price_lock" };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function idempotencyTimingOf(leaseMs: number | undefined, testMode: boolean): IdempotencyTiming {
  if (leaseMs === undefined) return defaultIdempotencyTiming;
  if (!testMode) {
    throw new ConfigError([
      "ABONO_TEST_IDEMPOTENCY_LEASE_MS: is for tests only and needs ABONO_TEST_MODE=true; unset it (the lease is 60 s)",
    ]);
  }
  return shortenedIdempotencyTiming(leaseMs);
}

function testOnly<Value>(name: string, value: Value | undefined, testMode: boolean) {
  if (value !== undefined && !testMode) {
    throw new ConfigError([`${name}: is for tests only and needs ABONO_TEST_MODE=true; unset it`]);
  }
  return value;
}

/** Parses the environment once. Unknown variables are ignored; bad values throw a `ConfigError`. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const defined = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(defined);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        // A rule between variables names them in its message.
        if (name === "") return issue.message;
        return `${name}: ${issue.message}${describeValue(name, defined[name])}`;
      }),
    );
  }
  const env = parsed.data;
  const testMode = env.ABONO_TEST_MODE ?? env.DATABASE_URL === undefined;
  return {
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.ABONO_MIGRATION_DATABASE_URL,
    databaseReplicaUrl: env.DATABASE_REPLICA_URL,
    dataDir: path.resolve(env.ABONO_DATA_DIR),
    port: env.PORT,
    host: env.HOST,
    rootApiKey: env.ABONO_ROOT_API_KEY,
    testMode,
    startedByScriptRunner: env.npm_lifecycle_event !== undefined,
    freePlanId: env.ABONO_FREE_PLAN_ID,
    logLevel: env.ABONO_LOG_LEVEL,
    bodyLimitBytes: env.ABONO_BODY_LIMIT_BYTES,
    http: {
      requestTimeoutMs: env.ABONO_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: env.ABONO_HEADERS_TIMEOUT_MS,
      connectionTimeoutMs: env.ABONO_CONNECTION_TIMEOUT_MS,
      keepAliveTimeoutMs: env.ABONO_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.ABONO_MAX_CONNECTIONS,
      trustProxy: trustProxyOf(env.ABONO_TRUST_PROXY),
      webhooks: {
        bodyLimitBytes: env.ABONO_WEBHOOK_BODY_LIMIT_BYTES,
        ratePerMinute: env.ABONO_WEBHOOK_RATE_LIMIT,
      },
    },
    workerConcurrency: env.ABONO_WORKER_CONCURRENCY,
    usageRetentionMonths: env.ABONO_USAGE_RETENTION_MONTHS ?? null,
    workerPollIntervalMs: env.ABONO_WORKER_POLL_MS ?? (testMode ? 100 : 1000),
    idempotency: idempotencyTimingOf(env.ABONO_TEST_IDEMPOTENCY_LEASE_MS, testMode),
    killAfterCommitKey: testOnly(
      "ABONO_TEST_KILL_AFTER_COMMIT",
      env.ABONO_TEST_KILL_AFTER_COMMIT,
      testMode,
    ),
    jwt:
      env.ABONO_JWT_JWKS_URL && env.ABONO_JWT_ISSUER
        ? {
            jwksUrl: env.ABONO_JWT_JWKS_URL,
            issuer: env.ABONO_JWT_ISSUER,
            audience: env.ABONO_JWT_AUDIENCE,
            rootClaim: env.ABONO_JWT_ROOT_CLAIM,
            rootGroups: env.ABONO_JWT_ROOT_GROUPS,
            groupsClaim: env.ABONO_JWT_GROUPS_CLAIM,
            groupRolePattern: new RegExp(env.ABONO_JWT_GROUP_ROLE_PATTERN),
          }
        : undefined,
    identity:
      env.ABONO_IDENTITY_DIRECTORY === "cognito"
        ? {
            directory: "cognito",
            adminGroup: env.ABONO_IDENTITY_ADMIN_GROUP,
            userPoolId: env.ABONO_COGNITO_USER_POOL_ID ?? "",
            region: env.ABONO_COGNITO_REGION ?? "",
            endpoint: env.ABONO_COGNITO_ENDPOINT,
            credentials:
              env.ABONO_COGNITO_ACCESS_KEY_ID && env.ABONO_COGNITO_SECRET_ACCESS_KEY
                ? {
                    accessKeyId: env.ABONO_COGNITO_ACCESS_KEY_ID,
                    secretAccessKey: env.ABONO_COGNITO_SECRET_ACCESS_KEY,
                  }
                : undefined,
          }
        : { directory: "builtin", adminGroup: env.ABONO_IDENTITY_ADMIN_GROUP },
    tenantTemplateSchema: env.ABONO_TENANT_SCHEMAS ? env.ABONO_TENANT_TEMPLATE_SCHEMA : undefined,
    invoicePrefix: env.ABONO_INVOICE_PREFIX,
    creditNotePrefix: env.ABONO_CREDIT_NOTE_PREFIX ?? `${env.ABONO_INVOICE_PREFIX}-NC`,
    issuer: {
      legalName: env.ABONO_ISSUER_NAME,
      address:
        env.ABONO_ISSUER_ADDRESS_LINE1 && env.ABONO_ISSUER_CITY && env.ABONO_ISSUER_COUNTRY
          ? {
              line1: env.ABONO_ISSUER_ADDRESS_LINE1,
              line2: env.ABONO_ISSUER_ADDRESS_LINE2 ?? null,
              city: env.ABONO_ISSUER_CITY,
              region: env.ABONO_ISSUER_REGION ?? null,
              postalCode: env.ABONO_ISSUER_POSTAL_CODE ?? null,
              country: env.ABONO_ISSUER_COUNTRY,
            }
          : null,
      taxId: env.ABONO_ISSUER_TAX_ID ?? null,
      taxIdType: env.ABONO_ISSUER_TAX_ID
        ? ((env.ABONO_ISSUER_TAX_ID_TYPE ?? "other") as TaxIdType)
        : null,
      email: env.ABONO_ISSUER_EMAIL ?? null,
      logoPath: env.ABONO_ISSUER_LOGO ?? null,
    },
    lifecycle: {
      dunningRetryDays: env.ABONO_DUNNING_RETRY_DAYS,
      pastDueGraceDays: env.ABONO_PAST_DUE_GRACE_DAYS,
      annualAutoRenew: env.ABONO_ANNUAL_AUTO_RENEW,
    },
    providers: providersConfig(env),
    stores: storesConfig(env),
    portal: {
      publicUrl: env.ABONO_PUBLIC_URL?.replace(/\/$/, ""),
      frameAncestors: env.ABONO_PORTAL_FRAME_ANCESTORS,
      accentColor: env.ABONO_PORTAL_ACCENT_COLOR,
      cookieSameSite: env.ABONO_PORTAL_COOKIE_SAMESITE,
      secureCookie:
        env.ABONO_PORTAL_COOKIE_SAMESITE === "none" ||
        (env.ABONO_PUBLIC_URL?.startsWith("https:") ?? false),
    },
    email: {
      smtpUrl: env.ABONO_SMTP_URL,
      from: env.ABONO_EMAIL_FROM,
      adminEmail: env.ABONO_ADMIN_EMAIL,
      portalUrl: env.ABONO_PORTAL_URL,
    },
    webhooks: {
      allowPrivateUrls: env.ABONO_WEBHOOK_ALLOW_PRIVATE_URLS ?? testMode,
      allowedHosts: env.ABONO_WEBHOOK_ALLOWED_HOSTS.map((host) => host.toLowerCase()),
      timeoutMs: env.ABONO_WEBHOOK_TIMEOUT_MS,
      retrySchedule: env.ABONO_WEBHOOK_RETRY_SCHEDULE,
      disableAfterMs: env.ABONO_WEBHOOK_DISABLE_AFTER,
      concurrency: env.ABONO_WEBHOOK_CONCURRENCY,
      sqsCredentials:
        env.ABONO_SQS_ACCESS_KEY_ID && env.ABONO_SQS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: env.ABONO_SQS_ACCESS_KEY_ID,
              secretAccessKey: env.ABONO_SQS_SECRET_ACCESS_KEY,
            }
          : undefined,
    },
    founders:
      env.ABONO_FOUNDERS_OPENS_AT && env.ABONO_FOUNDERS_CLOSES_AT && env.ABONO_FOUNDERS_SEATS
        ? {
            opensAt: new Date(env.ABONO_FOUNDERS_OPENS_AT),
            closesAt: new Date(env.ABONO_FOUNDERS_CLOSES_AT),
            seats: env.ABONO_FOUNDERS_SEATS,
            benefit: env.ABONO_FOUNDERS_BENEFIT.startsWith("discount:")
              ? {
                  kind: "discount",
                  percentOff: Number(env.ABONO_FOUNDERS_BENEFIT.slice("discount:".length)),
                }
              : { kind: "price_lock" },
          }
        : undefined,
  };
}

function trustProxyOf(value: string): boolean | number | string[] {
  if (value === "true" || value === "false") return value === "true";
  if (/^[0-9]+$/.test(value)) return Number(value);
  return value.split(",").map((address) => address.trim());
}

function storesConfig(env: z.infer<typeof environmentSchema>): StoresConfig {
  const apple: AppleConfig | undefined =
    env.ABONO_APPLE_BUNDLE_ID && env.ABONO_APPLE_ROOT_CERTIFICATES
      ? {
          bundleId: env.ABONO_APPLE_BUNDLE_ID,
          appAppleId: env.ABONO_APPLE_APP_APPLE_ID,
          environment: env.ABONO_APPLE_ENVIRONMENT,
          rootCertificatePaths: env.ABONO_APPLE_ROOT_CERTIFICATES.split(",").map((path) =>
            path.trim(),
          ),
          onlineChecks: env.ABONO_APPLE_ONLINE_CHECKS,
          notificationMaxAgeMs: env.ABONO_APPLE_NOTIFICATION_MAX_AGE_HOURS * 3_600_000,
          api:
            env.ABONO_APPLE_ISSUER_ID && env.ABONO_APPLE_KEY_ID && env.ABONO_APPLE_PRIVATE_KEY_PATH
              ? {
                  issuerId: env.ABONO_APPLE_ISSUER_ID,
                  keyId: env.ABONO_APPLE_KEY_ID,
                  privateKeyPath: env.ABONO_APPLE_PRIVATE_KEY_PATH,
                  apiUrl: env.ABONO_APPLE_API_URL,
                }
              : undefined,
        }
      : undefined;
  const google: GoogleConfig | undefined =
    env.ABONO_GOOGLE_PACKAGE_NAME &&
    env.ABONO_GOOGLE_SERVICE_ACCOUNT_KEY_PATH &&
    env.ABONO_GOOGLE_PUSH_AUDIENCE &&
    env.ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT
      ? {
          packageName: env.ABONO_GOOGLE_PACKAGE_NAME,
          serviceAccountKeyPath: env.ABONO_GOOGLE_SERVICE_ACCOUNT_KEY_PATH,
          pushAudience: env.ABONO_GOOGLE_PUSH_AUDIENCE,
          pushServiceAccount: env.ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT,
          pushJwksUrl: env.ABONO_GOOGLE_PUSH_JWKS_URL,
          pushIssuer: env.ABONO_GOOGLE_PUSH_ISSUER,
          apiUrl: env.ABONO_GOOGLE_API_URL,
          tokenUrl: env.ABONO_GOOGLE_OAUTH_URL,
        }
      : undefined;
  return { apple, google };
}

function providersConfig(env: z.infer<typeof environmentSchema>): ProvidersConfig {
  const publicUrl = (env.ABONO_PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/$/, "");
  return {
    publicUrl,
    checkoutSuccessUrl: env.ABONO_CHECKOUT_SUCCESS_URL ?? `${publicUrl}/checkout/success`,
    checkoutCancelUrl: env.ABONO_CHECKOUT_CANCEL_URL ?? `${publicUrl}/checkout/cancel`,
    stripe: env.ABONO_STRIPE_SECRET_KEY
      ? {
          secretKey: env.ABONO_STRIPE_SECRET_KEY,
          webhookSecret: env.ABONO_STRIPE_WEBHOOK_SECRET,
          apiUrl: env.ABONO_STRIPE_API_URL,
        }
      : undefined,
    mercadopago: env.ABONO_MERCADOPAGO_ACCESS_TOKEN
      ? {
          accessToken: env.ABONO_MERCADOPAGO_ACCESS_TOKEN,
          webhookSecret: env.ABONO_MERCADOPAGO_WEBHOOK_SECRET,
          apiUrl: env.ABONO_MERCADOPAGO_API_URL,
        }
      : undefined,
    paypal:
      env.ABONO_PAYPAL_CLIENT_ID && env.ABONO_PAYPAL_CLIENT_SECRET
        ? {
            clientId: env.ABONO_PAYPAL_CLIENT_ID,
            clientSecret: env.ABONO_PAYPAL_CLIENT_SECRET,
            webhookId: env.ABONO_PAYPAL_WEBHOOK_ID,
            environment: env.ABONO_PAYPAL_ENVIRONMENT,
            apiUrl: env.ABONO_PAYPAL_API_URL,
          }
        : undefined,
  };
}
