import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EntitlementChange } from "../../src/entitlements/entitlement-change.ts";
import {
  createEntitlementListener,
  type EntitlementListener,
} from "../../src/entitlements/entitlement-listener.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function startListener() {
  const changes: EntitlementChange[] = [];
  let resets = 0;
  const listener = createEntitlementListener({
    connectionString: database.url,
    logger: createLogger({ level: "silent" }),
    retryMs: 50,
  });
  listener.handle({
    change: (change) => changes.push(change),
    reset: () => {
      resets += 1;
    },
  });
  await listener.start();
  return { listener, changes, resets: () => resets };
}

/** Bumps an organization's entitlement version as the triggers do (notifying), in its own transaction. */
async function bump(organizationId: string): Promise<number> {
  const client = await database.pool.connect();
  try {
    await client.query("begin");
    await client.query("select abono_bump_entitlement_version($1)", [organizationId]);
    const { rows } = await client.query<{ version: number }>(
      "select version::int as version from entitlement_versions where organization_id = $1",
      [organizationId],
    );
    await client.query("commit");
    return rows[0]?.version ?? 0;
  } finally {
    client.release();
  }
}

describe("the entitlement listener", () => {
  let running: Awaited<ReturnType<typeof startListener>>;
  beforeAll(async () => {
    running = await startListener();
  });
  afterAll(() => running.listener.stop());

  it("has handled every change committed before sync() by the time sync() resolves", async () => {
    expect(running.listener.live).toBe(true);
    const organizationId = "listener-sync";
    for (let round = 0; round < 30; round++) {
      const version = await bump(organizationId);
      await running.listener.sync();
      const seen = running.changes.filter(
        (change) => change.kind === "version" && change.organizationId === organizationId,
      );
      expect(seen.at(-1)).toEqual({ kind: "version", organizationId, version });
    }
  });

  it("delivers changes in commit order, and barriers of concurrent callers all resolve", async () => {
    const organizationId = "listener-order";
    await Promise.all(Array.from({ length: 20 }, () => bump(organizationId)));
    await Promise.all(Array.from({ length: 10 }, () => running.listener.sync()));
    const versions = running.changes.flatMap((change) =>
      change.kind === "version" && change.organizationId === organizationId ? [change.version] : [],
    );
    expect(versions).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it("resets when its connection is lost, answers sync() at once while down, and listens again", async () => {
    const resetsBefore = running.resets();
    const epochBefore = running.listener.epoch;
    await database.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'abono-entitlement-listener'`,
    );
    await vi.waitFor(() => expect(running.resets()).toBeGreaterThan(resetsBefore));
    expect(running.listener.epoch).toBeGreaterThan(epochBefore);
    await vi.waitFor(() => expect(running.listener.live).toBe(true), { timeout: 5_000 });
    const version = await bump("listener-again");
    await running.listener.sync();
    expect(running.changes.at(-1)).toEqual({
      kind: "version",
      organizationId: "listener-again",
      version,
    });
  });
});

describe("a stopped listener", () => {
  it("is not live and resolves sync() at once", async () => {
    const { listener }: { listener: EntitlementListener } = await startListener();
    await listener.stop();
    expect(listener.live).toBe(false);
    await listener.sync();
  });
});
