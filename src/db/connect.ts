import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { type DatabaseHandle, openDatabase } from "./database.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.ts";

export interface Connection extends DatabaseHandle {
  /** The embedded server when no DATABASE_URL is configured. */
  embedded: EmbeddedPostgres | null;
}

/** Opens `DATABASE_URL`, or starts (or attaches to) the embedded PostgreSQL in ABONO_DATA_DIR. */
export async function connect({
  config,
  logger,
  maxConnections,
}: {
  config: Config;
  logger: Logger;
  maxConnections?: number;
}): Promise<Connection> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({
        dataDir: config.dataDir,
        log: (message) => logger.info(message),
      });
  const connectionString = config.databaseUrl ?? embedded?.connectionString;
  if (!connectionString) throw new Error("No database to connect to");
  const handle = openDatabase({
    connectionString,
    ...(maxConnections === undefined ? {} : { maxConnections }),
  });
  return {
    ...handle,
    embedded,
    async close() {
      await handle.close();
      if (embedded?.owned) await embedded.stop();
    },
  };
}
