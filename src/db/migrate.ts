import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations as runWorkerMigrations } from "graphile-worker";
import type pg from "pg";
import { grantAppRole } from "./app-role.ts";
import { type Database, openDatabase } from "./database.ts";

const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../drizzle",
);

/**
 * Applies Abono's committed SQL migrations, then graphile-worker's own schema. Safe to run twice.
 *
 * With `migrationConnectionString` (the tables' owner), migrations run there and the role of `pool` (the
 * service's restricted role) is then granted what it needs; without it, they run on `pool` itself.
 */
export async function migrateDatabase({
  db,
  pool,
  migrationConnectionString = null,
}: {
  db: Database;
  pool: pg.Pool;
  migrationConnectionString?: string | null;
}): Promise<void> {
  if (!migrationConnectionString) {
    await migrateAs({ db, pool, appRole: null });
    return;
  }
  const { rows } = await pool.query<{ name: string }>("select current_user as name");
  const appRole = rows[0]?.name ?? null;
  const owner = openDatabase({
    connectionString: migrationConnectionString,
    maxConnections: 2,
    applicationName: "abono-migrate",
  });
  try {
    await migrateAs({ db: owner.db, pool: owner.pool, appRole });
  } finally {
    await owner.close();
  }
}

async function migrateAs({
  db,
  pool,
  appRole,
}: {
  db: Database;
  pool: pg.Pool;
  appRole: string | null;
}): Promise<void> {
  const client = await pool.connect();
  try {
    // Several processes may start at once against one database: migrate one at a time.
    await client.query("select pg_advisory_lock(hashtext('abono.migrate'))");
    try {
      await migrate(db, { migrationsFolder });
      await runWorkerMigrations({ pgPool: pool });
      const { rows } = await client.query<{ name: string }>("select current_user as name");
      if (appRole && appRole !== rows[0]?.name) await grantAppRole({ client, role: appRole });
    } finally {
      await client.query("select pg_advisory_unlock(hashtext('abono.migrate'))");
    }
  } finally {
    client.release();
  }
}
