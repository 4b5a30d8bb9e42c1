import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations as runWorkerMigrations } from "graphile-worker";
import type pg from "pg";
import type { Database } from "./database.ts";

const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../drizzle",
);

/** Applies Abono's committed SQL migrations, then graphile-worker's own schema. Safe to run twice. */
export async function migrateDatabase({
  db,
  pool,
}: {
  db: Database;
  pool: pg.Pool;
}): Promise<void> {
  const client = await pool.connect();
  try {
    // Several processes may start at once against one database: migrate one at a time.
    await client.query("select pg_advisory_lock(hashtext('abono.migrate'))");
    try {
      await migrate(db, { migrationsFolder });
      await runWorkerMigrations({ pgPool: pool });
    } finally {
      await client.query("select pg_advisory_unlock(hashtext('abono.migrate'))");
    }
  } finally {
    client.release();
  }
}
