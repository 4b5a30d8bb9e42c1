import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type pg from "pg";
import type { OperatorSession } from "../admin/operator-sessions.ts";
import type { JwtVerifier } from "../auth/jwt.ts";
import type { Access, Principal } from "../auth/principal.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import type { CommitHolder } from "../db/held-commit.ts";
import type { EntitlementCache } from "../entitlements/entitlement-cache.ts";
import type { ErrorCode } from "../errors.ts";
import type { IdempotencyClaim } from "../idempotency/idempotency-store.ts";
import type { IdentityDirectory } from "../identity/identity-directory.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";
import type { Logger } from "../logger.ts";
import type { PaymentProviders } from "../payments/payment-providers.ts";
import type { PortalSession } from "../portal/portal-sessions.ts";
import type { TaxCalculator } from "../taxes/tax-calculator.ts";

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Everything the HTTP layer needs, wired once at the composition root (`src/server.ts`). */
export interface AppDependencies {
  config: Config;
  db: Database;
  /**
   * Where lists and reports read: the read replica (DATABASE_REPLICA_URL) when configured, else `db`.
   * It may lag the primary: never use it for money decisions (balances, limits, payments, plan
   * changes) nor to read back a write (docs/data-growth.md "Read replica").
   */
  readDb: Database;
  /** The same pool as `db`, for the few hot-path queries that use named prepared statements. */
  pool: pg.Pool;
  logger: Logger;
  /** The system time; domain code receives "now" from here, or from a test clock. */
  clock: () => Date;
  /** True once migrations ran and the worker is running. */
  isReady: () => boolean;
  jwtVerifier: JwtVerifier | undefined;
  /** The scheduler's tasks: run by the cron and by test-clock advances. */
  scheduledTasks: readonly ScheduledTask[];
  directory: IdentityDirectory;
  providers: PaymentProviders;
  /** Computes invoices' taxes: the catalog's rates (`createManualTaxCalculator`) or an external service. */
  taxCalculator: TaxCalculator;
  entitlementCache: EntitlementCache;
}

/** A route group: one file, its schemas, docs and handlers. */
export type RouteModule = (app: App, dependencies: AppDependencies) => void;

declare module "fastify" {
  interface FastifyInstance {
    /** Drops a revoked API key from this app's cache of verified keys (`registerAuthentication`). */
    forgetApiKey(keyId: string): void;
  }
  interface FastifyContextConfig {
    access?: Access;
    /**
     * Error codes the route answers beyond those its access, parameters and body imply (OpenAPI lists
     * both, by status: `src/http/openapi-operation.ts`).
     */
    errors?: readonly ErrorCode[];
    /** A billing portal session may call this route although it is not an organization's (docs/portal.md). */
    portalSession?: boolean;
    /**
     * With an Idempotency-Key, the answer is stored in the same transaction as the change it describes
     * (src/db/held-commit.ts). Only for a handler that reads nothing outside its transactions after the
     * last one.
     */
    answerInTransaction?: boolean;
    /**
     * A POST that changes nothing (a preview): its answer does not wait for this process's entitlement
     * listener to catch up (`src/http/read-your-writes.ts`), as there is no write of its own to see.
     */
    changesNothing?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Set when the request is authenticated by a billing portal session cookie. */
    portalSession: { session: PortalSession; csrfToken: string } | null;
    /** Set when the request is authenticated by a backoffice (operator) session cookie. */
    operatorSession: { session: OperatorSession; csrfToken: string } | null;
    /**
     * The Idempotency-Key this request executes under; `stop` ends its lease's heartbeat; `holder` holds
     * its transactions' commits until the answer is written into the last one (`answerInTransaction`).
     */
    idempotency: { claim: IdempotencyClaim; stop(): void; holder: CommitHolder | null } | null;
  }
}
