import { loadConfig } from "../../src/config.ts";
import type { RouteModule } from "../../src/http/app-types.ts";
import type { JobDefinition } from "../../src/jobs/job.ts";
import { scheduledTasks as defaultScheduledTasks, jobRegistry } from "../../src/jobs/jobs.ts";
import type { ScheduledTask } from "../../src/jobs/scheduler.ts";
import { createLogger } from "../../src/logger.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { TaxCalculator } from "../../src/taxes/tax-calculator.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export const testRootKey = "abono_sk_test_root_key_0123456789abcdefghij";

export interface TestResponse<Body = any> {
  status: number;
  body: Body;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text, sent as is (for malformed JSON). */
  rawBody?: string;
  /** Bearer credential; defaults to the root key. `null` sends no Authorization header. */
  auth?: string | null;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface TestApp {
  baseUrl: string;
  database: TestDatabase;
  server: RunningServer;
  request<Body = any>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<TestResponse<Body>>;
  close(): Promise<void>;
}

/**
 * Starts the real composition root (`startServer`) on a fresh cloned database and a random port, with
 * the worker unless `worker: false`.
 */
export async function startTestApp({
  environment = {},
  extraRoutes = [],
  jobs = jobRegistry,
  scheduledTasks = defaultScheduledTasks,
  worker = true,
  clock,
  taxCalculator,
}: {
  environment?: Record<string, string>;
  extraRoutes?: readonly RouteModule[];
  jobs?: readonly JobDefinition[];
  scheduledTasks?: readonly ScheduledTask[];
  worker?: boolean;
  clock?: () => Date;
  /** Another tax calculator than the catalog's rates (an external service's stand-in). */
  taxCalculator?: TaxCalculator;
} = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    // As in production: the service's queries run as a restricted role, migrations as the owner.
    DATABASE_URL: database.appUrl,
    ABONO_MIGRATION_DATABASE_URL: database.url,
    PORT: "0",
    ABONO_LOG_LEVEL: process.env.ABONO_TEST_LOG_LEVEL ?? "silent",
    ABONO_ROOT_API_KEY: testRootKey,
    ABONO_TEST_MODE: "true",
    ...environment,
  });
  const server = await startServer({
    config,
    logger: createLogger({ level: config.logLevel }),
    worker,
    jobs,
    scheduledTasks,
    extraRoutes,
    ...(clock ? { clock } : {}),
    ...(taxCalculator ? { taxCalculator } : {}),
    onRootKeyGenerated: () => {},
  });
  const baseUrl = server.url ?? "";
  return {
    baseUrl,
    database,
    server,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const auth = options.auth === undefined ? testRootKey : options.auth;
      if (auth !== null) headers.authorization = `Bearer ${auth}`;
      if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !headers["content-type"])
        headers["content-type"] = "application/json";
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      if (response.headers.get("content-type")?.includes("json") && text.length > 0) {
        parsed = JSON.parse(text);
      }
      return { status: response.status, body: parsed as any, headers: response.headers };
    },
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}
