import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../../src/audit/record-audit.ts";
import { verifyAuditChain } from "../../src/audit/verify-audit-chain.ts";
import { loadConfig } from "../../src/config.ts";
import { type Connection, connect } from "../../src/db/connect.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/logger.ts";

/** Without DATABASE_URL the service's queries run as a restricted role created for it, not as the superuser. */

let dataDir: string;
let connection: Connection;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-role-"));
  await fs.chmod(dataDir, 0o755);
  connection = await connect({
    config: loadConfig({ ABONO_DATA_DIR: dataDir, ABONO_LOG_LEVEL: "silent" }),
    logger: createLogger({ level: "silent" }),
    maxConnections: 4,
  });
  await migrateDatabase(connection);
});
afterAll(async () => {
  await connection?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("the embedded database's service role", () => {
  it("is a generated login role, neither superuser nor owner, with its password in an owner-only file", async () => {
    const { rows } = await connection.pool.query(
      `select current_user as name, r.rolsuper as superuser,
              pg_has_role(current_user, c.relowner, 'USAGE') as owns
         from pg_roles r, pg_class c
        where r.rolname = current_user and c.relname = 'audit_logs'`,
    );
    expect(rows[0]).toEqual({ name: "abono_app", superuser: false, owns: false });
    const file = path.join(dataDir, "app-credentials.json");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(await fs.readFile(file, "utf8"));
    expect(credentials.user).toBe("abono_app");
    expect(credentials.password.length).toBeGreaterThanOrEqual(24);
    expect(connection.pool.options.connectionString).toContain(
      encodeURIComponent(credentials.password),
    );
  });

  it("writes the trail and runs jobs, but cannot rewrite the trail or switch its triggers off", async () => {
    const id = await connection.db.transaction((tx) =>
      recordAudit({
        executor: tx,
        entry: { action: "test.embedded", actor: "key_test", organizationId: null },
        now: new Date(),
      }),
    );
    const { rows } = await connection.pool.query(
      "select (graphile_worker.add_job('test.noop', '{}'::json)).id is not null as queued",
    );
    expect(rows[0].queued).toBe(true);
    for (const statement of [
      `update audit_logs set reason = 'x' where id = '${id}'`,
      `delete from audit_logs where id = '${id}'`,
      "truncate audit_logs",
      "set session_replication_role = replica",
    ]) {
      await expect(connection.pool.query(statement)).rejects.toMatchObject({ code: "42501" });
    }
    expect(await verifyAuditChain({ pool: connection.pool })).toMatchObject({ ok: true, count: 1 });
  });
});
