import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordAudit } from "../../src/audit/record-audit.ts";
import { verifyAuditChain } from "../../src/audit/verify-audit-chain.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { processTestTimeout, runCli } from "../helpers/process.ts";

/**
 * The audit trail is a hash chain: each entry gets a link at its commit, and `verifyAuditChain`
 * (`abono audit verify`) recomputes it and names the first broken link. The service's own role cannot
 * change the trail at all; an owner or superuser can, and every such change is found.
 */

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const handle of opened.splice(0).reverse()) await handle.close();
});

async function database(): Promise<{ owner: TestDatabase; app: DatabaseHandle }> {
  const owner = await createTestDatabase();
  opened.push({ close: () => owner.drop() });
  const app = openDatabase({ connectionString: owner.appUrl, maxConnections: 10 });
  opened.push(app);
  return { owner, app };
}

const base = Date.now();

/** Five entries, one per transaction, written as the service's restricted role. */
async function seedEntries(app: DatabaseHandle, count = 5): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    ids.push(
      await app.db.transaction((tx) =>
        recordAudit({
          executor: tx,
          entry: {
            action: "test.action",
            actor: "key_test",
            organizationId: index % 2 === 0 ? `org_${index}` : null,
            reason: index === 1 ? 'Ünïcödé – 署名 🧾 "quoted"\n|newline' : null,
            before: index === 2 ? { amount: 10n, nested: { b: [1, "two", null], a: true } } : null,
            after: { index, note: "ü€" },
            metadata: index === 3 ? { "key with spaces": "x", "": 0.5 } : undefined,
          },
          now: new Date(base + index * 1000),
        }),
      ),
    );
  }
  return ids;
}

async function tamper(owner: TestDatabase, statements: string): Promise<void> {
  // What an attacker with the owner's or a superuser's role can do: switch the triggers off.
  const client = await owner.pool.connect();
  try {
    await client.query("begin");
    await client.query("set local session_replication_role = replica");
    await client.query(statements);
    await client.query("commit");
  } finally {
    client.release();
  }
}

describe("the hash chain", () => {
  it("links every committed entry in commit order, concurrent writers included, and verifies", async () => {
    const { app } = await database();
    await seedEntries(app);
    // Twenty concurrent transactions of three entries each, and one that rolls back.
    await Promise.all(
      Array.from({ length: 20 }, (_, writer) =>
        app.db.transaction(async (tx) => {
          for (let index = 0; index < 3; index++) {
            await recordAudit({
              executor: tx,
              entry: { action: "test.concurrent", actor: `key_${writer}`, organizationId: null },
              now: new Date(),
            });
          }
        }),
      ),
    );
    await app.db
      .transaction(async (tx) => {
        await recordAudit({
          executor: tx,
          entry: { action: "test.rolled_back", actor: "key_x", organizationId: null },
          now: new Date(),
        });
        throw new Error("roll back");
      })
      .catch(() => {});

    const result = await verifyAuditChain({ pool: app.pool, batchSize: 7 });
    const { rows } = await app.pool.query<{ seq: string; hash: string; chained_at: Date }>(
      "select seq::text as seq, hash, chained_at from audit_chain order by audit_chain.seq",
    );
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 65 }, (_, i) => String(i + 1)));
    expect(result).toEqual({
      ok: true,
      count: 65,
      head: { seq: "65", hash: rows[64]?.hash, auditId: expect.stringMatching(/^aud_/) },
    });
    // The chain's order is the order of commits, on the database's clock, not the entries' createdAt.
    const times = rows.map((row) => row.chained_at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("cannot be changed by the service's role: no UPDATE, DELETE, TRUNCATE, trigger switch or link forging", async () => {
    const { app } = await database();
    const [first] = await seedEntries(app, 2);
    const refused = async (statement: string) => {
      const error = await app.pool.query(statement).then(
        () => null,
        (caught: { code?: string }) => caught,
      );
      return error?.code;
    };
    // 42501: insufficient_privilege.
    expect(await refused(`update audit_logs set reason = 'x' where id = '${first}'`)).toBe("42501");
    expect(await refused(`delete from audit_logs where id = '${first}'`)).toBe("42501");
    expect(await refused("truncate audit_logs")).toBe("42501");
    expect(await refused("set session_replication_role = replica")).toBe("42501");
    expect(await refused("alter table audit_logs disable trigger user")).toBe("42501");
    expect(await refused("update audit_chain set hash = 'x'")).toBe("42501");
    expect(await refused("delete from audit_chain")).toBe("42501");
    expect(
      await refused(
        `insert into audit_chain (seq, audit_id, format, prev_hash, hash, chained_at) values (99, 'aud_x', 1, 'a', 'b', now())`,
      ),
    ).toBe("42501");
    const { rows } = await app.pool.query(
      "select rolsuper from pg_roles where rolname = current_user",
    );
    expect(rows[0].rolsuper).toBe(false);
    expect((await verifyAuditChain({ pool: app.pool })).ok).toBe(true);
  });

  it("finds an entry modified with the triggers off", async () => {
    const { owner, app } = await database();
    const ids = await seedEntries(app);
    await tamper(owner, `update audit_logs set reason = 'nothing to see' where id = '${ids[2]}'`);
    const result = await verifyAuditChain({ pool: app.pool });
    expect(result).toMatchObject({
      ok: false,
      verified: 2,
      problem: { kind: "modified", seq: "3", auditId: ids[2] },
    });
  });

  it("finds a modified entry whose own hash was recomputed, at the next link", async () => {
    const { owner, app } = await database();
    const ids = await seedEntries(app);
    await tamper(
      owner,
      `update audit_logs set actor = 'someone_else' where id = '${ids[1]}';
       update audit_chain c set hash = abono_audit_chain_hash(c.seq, c.prev_hash, c.chained_at, a)
         from audit_logs a where a.id = c.audit_id and c.audit_id = '${ids[1]}';`,
    );
    const result = await verifyAuditChain({ pool: app.pool });
    expect(result).toMatchObject({
      ok: false,
      problem: { kind: "broken_link", seq: "3", auditId: ids[2] },
    });
  });

  it("finds a deleted entry, and a deleted entry removed with its link", async () => {
    const { owner, app } = await database();
    const ids = await seedEntries(app);
    await tamper(owner, `delete from audit_logs where id = '${ids[3]}'`);
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({
      ok: false,
      problem: { kind: "deleted", seq: "4", auditId: ids[3] },
    });
    await tamper(owner, `delete from audit_chain where audit_id = '${ids[3]}'`);
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({
      ok: false,
      verified: 3,
      problem: { kind: "missing", seq: "4" },
    });
  });

  it("finds a backdated entry forged with the triggers off, and chains one inserted normally at the end", async () => {
    const { owner, app } = await database();
    await seedEntries(app);
    const forgedAt = new Date(base - 30 * 86_400_000).toISOString();
    await tamper(
      owner,
      `insert into audit_logs (id, action, actor, created_at)
       values ('aud_00000000000000000000000000', 'root.organization_plan_set', 'key_root', '${forgedAt}')`,
    );
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({
      ok: false,
      verified: 5,
      problem: { kind: "unchained", seq: null, auditId: "aud_00000000000000000000000000" },
    });

    // With the triggers on, even a backdated createdAt is linked after everything before it.
    const { owner: second, app: secondApp } = await database();
    await seedEntries(secondApp);
    await second.pool.query(
      `insert into audit_logs (id, action, actor, created_at)
       values ('aud_00000000000000000000000001', 'root.organization_plan_set', 'key_root', '${forgedAt}')`,
    );
    const { rows } = await second.pool.query(
      "select seq::text from audit_chain where audit_id = 'aud_00000000000000000000000001'",
    );
    expect(rows).toEqual([{ seq: "6" }]);
    expect(await verifyAuditChain({ pool: secondApp.pool })).toMatchObject({ ok: true, count: 6 });
  });

  it("finds links removed from the end only against a head recorded earlier", async () => {
    const { owner, app } = await database();
    const ids = await seedEntries(app);
    const before = await verifyAuditChain({ pool: app.pool });
    if (!before.ok || !before.head) throw new Error("expected a verified chain");
    await tamper(
      owner,
      `delete from audit_logs where id = '${ids[4]}'; delete from audit_chain where audit_id = '${ids[4]}';`,
    );
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({ ok: true, count: 4 });
    expect(
      await verifyAuditChain({
        pool: app.pool,
        anchor: { seq: before.head.seq, hash: before.head.hash },
      }),
    ).toMatchObject({ ok: false, problem: { kind: "anchor_mismatch", seq: "5" } });
  });
});

describe("the migration that introduced the chain", () => {
  it("links the entries written before it, oldest first", async () => {
    const { owner, app } = await database();
    // Entries as they were before the chain existed: written with its trigger off.
    await owner.pool.query("alter table audit_logs disable trigger audit_logs_chain");
    const ids = await seedEntries(owner);
    await owner.pool.query("alter table audit_logs enable trigger audit_logs_chain");
    expect((await verifyAuditChain({ pool: app.pool })).ok).toBe(false);

    const migration = await fs.readFile(
      path.resolve(import.meta.dirname, "../../drizzle/0013_audit_chain.sql"),
      "utf8",
    );
    const backfill = migration.split("--> statement-breakpoint").at(-1) ?? "";
    expect(backfill).toMatch(/FOR entry IN SELECT \* FROM audit_logs ORDER BY id/);
    await owner.pool.query(backfill);

    const { rows } = await app.pool.query(
      "select audit_id from audit_chain order by audit_chain.seq",
    );
    expect(rows.map((row) => row.audit_id)).toEqual([...ids].sort());
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({ ok: true, count: 5 });
    // New entries continue the chain.
    await seedEntries(app, 1);
    expect(await verifyAuditChain({ pool: app.pool })).toMatchObject({ ok: true, count: 6 });
  });
});

describe("abono audit verify", { timeout: processTestTimeout }, () => {
  it("prints the count and head, and exits non-zero naming the first broken link", async () => {
    const { owner, app } = await database();
    const ids = await seedEntries(app);
    const environment = {
      DATABASE_URL: owner.appUrl,
      ABONO_MIGRATION_DATABASE_URL: owner.url,
      ABONO_LOG_LEVEL: "warn",
    };
    const good = runCli(["audit", "verify"], environment);
    expect(await good.exited).toBe(0);
    const { rows } = await app.pool.query("select hash from audit_chain where seq = 5");
    expect(good.output()).toContain("5 entries");
    expect(good.output()).toContain(`#5 ${rows[0].hash}`);

    const anchored = runCli(["audit", "verify", "--anchor", `5:${rows[0].hash}`], environment);
    expect(await anchored.exited).toBe(0);

    await tamper(owner, `update audit_logs set reason = 'x' where id = '${ids[1]}'`);
    const bad = runCli(["audit", "verify"], environment);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(new RegExp(`link #2.*${ids[1]}|${ids[1]}.*link #2`));
    expect(bad.output()).toMatch(/modified/);
  });
});
