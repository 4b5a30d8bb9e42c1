import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { describeRole } from "./app-role.ts";
import { type DatabaseHandle, openDatabase } from "./database.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.ts";

export interface Connection extends DatabaseHandle {
  /** The embedded server when no DATABASE_URL is configured. */
  embedded: EmbeddedPostgres | null;
  /**
   * Where migrations run (the tables' owner) when it is not the pool's role: the embedded database's
   * superuser, or ABONO_MIGRATION_DATABASE_URL. `migrateDatabase` uses it and grants the pool's role.
   */
  migrationConnectionString: string | null;
  /**
   * DATABASE_REPLICA_URL's pool when configured: lists and reports read it; money decisions never do
   * (docs/data-growth.md "Read replica").
   */
  replica: DatabaseHandle | null;
}

/**
 * Opens `DATABASE_URL`, or starts (or attaches to) the embedded PostgreSQL in ABONO_DATA_DIR. The pool
 * runs as the service's role; with the embedded database that is a restricted role created for it
 * (docs/operations.md, "Database roles").
 */
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
  const connectionString = config.databaseUrl ?? embedded?.appConnectionString;
  if (!connectionString) throw new Error("No database to connect to");
  const migrationConnectionString = embedded
    ? embedded.connectionString
    : (config.migrationDatabaseUrl ?? null);
  const handle = openDatabase({
    connectionString,
    ...(maxConnections === undefined ? {} : { maxConnections }),
  });
  try {
    if (!embedded)
      await warnIfPrivileged({ handle, separateOwner: !!migrationConnectionString, logger });
  } catch (error) {
    await handle.close();
    if (embedded?.owned) await embedded.stop();
    throw error;
  }
  const replica = config.databaseReplicaUrl
    ? openDatabase({
        connectionString: config.databaseReplicaUrl,
        applicationName: "abono-replica",
        ...(maxConnections === undefined ? {} : { maxConnections }),
      })
    : null;
  return {
    ...handle,
    embedded,
    migrationConnectionString,
    replica,
    async close() {
      await replica?.close();
      await handle.close();
      if (embedded?.owned) await embedded.stop();
    },
  };
}

async function warnIfPrivileged({
  handle,
  separateOwner,
  logger,
}: {
  handle: DatabaseHandle;
  separateOwner: boolean;
  logger: Logger;
}): Promise<void> {
  const role = await describeRole(handle.pool);
  // Before the first migration the table does not exist: without a separate owner, this role will own it.
  const owns = role.ownsTables ?? !separateOwner;
  if (!role.superuser && !owns) return;
  logger.warn(
    { role: role.name, superuser: role.superuser, ownsTables: owns },
    `DATABASE_URL connects as "${role.name}", which ${role.superuser ? "is a superuser" : "owns the tables"}: the audit trail is tamper-evident (abono audit verify) but not protected from this role. Set DATABASE_URL to a restricted role and ABONO_MIGRATION_DATABASE_URL to the owner (see docs/operations.md, "Database roles").`,
  );
}
