import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { createBenchDatabase } from "./bench-database.ts";

export const benchRootKey = "abono_sk_bench_root_key_0123456789abcdefghij";

/**
 * Abono as `abono serve` runs it, in test mode, on a throw-away database (see `createBenchDatabase`), with
 * `benchRootKey` as its root key; without the worker unless `worker` (then its jobs run in the same
 * process, as `abono serve` runs them). `call` sends JSON as root and throws on anything but 2xx;
 * `close()` stops the server and drops the database.
 */
export async function startBenchServer({
  environment = {},
  worker = false,
}: {
  environment?: Record<string, string>;
  worker?: boolean;
} = {}): Promise<{
  server: RunningServer;
  url: string;
  call<Body = unknown>(method: string, path: string, body: unknown): Promise<Body>;
  close(): Promise<void>;
}> {
  const database = await createBenchDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: "0",
    ABONO_LOG_LEVEL: "silent",
    ABONO_ROOT_API_KEY: benchRootKey,
    ABONO_TEST_MODE: "true",
    ...environment,
  });
  const server = await startServer({
    config,
    logger: createLogger({ level: "silent" }),
    worker,
    onRootKeyGenerated: () => {},
  });
  const url = server.url ?? "";
  return {
    server,
    url,
    async call<Body>(method: string, path: string, body: unknown) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${benchRootKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (response.status >= 300)
        throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Body;
    },
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}
