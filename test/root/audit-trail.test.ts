import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";

/** The audit trail (docs/root-and-audit.md): append-only in the database itself, and readable with filters and cursors. */

let app: TestApp;
let issuer: TestIssuer;
let ownerToken: string;
let memberToken: string;

beforeAll(async () => {
  ({ app, issuer } = await startJwtTestApp());
  for (const id of ["audit-a", "audit-b"]) {
    const created = await app.request("POST", "/v1/organizations", {
      body: { id, name: `Org ${id}`, currency: "USD", owner: { userId: `owner-${id}` } },
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  }
  ownerToken = await issuer.sign({ sub: "owner-audit-a" });
  await app.request("PUT", "/v1/organizations/audit-a/members/reader", {
    body: { roles: ["member"] },
    auth: ownerToken,
  });
  memberToken = await issuer.sign({ sub: "reader" });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

const setPlan = (organizationId: string, body: Record<string, unknown>) =>
  app.request("POST", `/v1/root/organizations/${organizationId}/plan`, {
    body: { organizationId, ...body },
  });

describe("append-only in the database", () => {
  // Two layers: the service's own role has no UPDATE, DELETE or TRUNCATE privilege at all, and for the
  // tables' owner (or a superuser) a trigger refuses them. What an owner does with triggers switched off
  // is found by the hash chain (test/audit/audit-chain.test.ts).
  const layers = [
    // The pool the running server itself uses: same role, same connection settings.
    {
      name: "the service's own pool",
      pool: () => app.server.connection.pool,
      refusal: "permission",
    },
    { name: "the tables' owner", pool: () => app.database.pool, refusal: "trigger" },
  ] as const;
  const refused = (refusal: "permission" | "trigger", table: string, operation: string) =>
    refusal === "permission"
      ? new RegExp(`permission denied for table ${table}`)
      : new RegExp(`append-only: ${operation} is not allowed`);

  for (const { name, pool: poolOf, refusal } of layers) {
    it(`refuses UPDATE, DELETE and TRUNCATE of audit rows as direct SQL through ${name}`, async () => {
      const response = await setPlan("audit-a", { planId: "pro", reason: "OPS-100" });
      expect(response.status).toBe(200);
      const id: string = response.body.auditLogId;
      const pool = poolOf();
      const read = async () =>
        (await pool.query("select id, action, actor, reason from audit_logs where id = $1", [id]))
          .rows[0];
      const original = await read();
      expect(original).toMatchObject({
        id,
        action: "root.organization_plan_set",
        reason: "OPS-100",
      });

      await expect(
        pool.query("update audit_logs set reason = 'rewritten' where id = $1", [id]),
      ).rejects.toThrow(refused(refusal, "audit_logs", "UPDATE"));
      await expect(pool.query("update audit_logs set actor = 'someone-else'")).rejects.toThrow(
        refused(refusal, "audit_logs", "UPDATE"),
      );
      await expect(pool.query("delete from audit_logs where id = $1", [id])).rejects.toThrow(
        refused(refusal, "audit_logs", "DELETE"),
      );
      await expect(pool.query("delete from audit_logs")).rejects.toThrow(
        refused(refusal, "audit_logs", "DELETE"),
      );
      await expect(pool.query("truncate audit_logs")).rejects.toThrow(
        refused(refusal, "audit_logs", "TRUNCATE"),
      );
      // Inside an explicit transaction too.
      const client = await pool.connect();
      try {
        await client.query("begin");
        await expect(client.query("delete from audit_logs where id = $1", [id])).rejects.toThrow(
          refused(refusal, "audit_logs", "DELETE"),
        );
        await client.query("rollback");
      } finally {
        client.release();
      }
      expect(await read()).toEqual(original);
    });
  }

  it("keeps the balance ledger append-only the same way, through both", async () => {
    const adjusted = await app.request(
      "POST",
      "/v1/root/organizations/audit-b/balance-adjustments",
      { body: { amount: 100, reason: "Goodwill OPS-101" } },
    );
    expect(adjusted.status).toBe(201);
    for (const { pool: poolOf, refusal } of layers) {
      const pool = poolOf();
      await expect(
        pool.query("update balance_transactions set amount = 1000000 where id = $1", [
          adjusted.body.transaction.id,
        ]),
      ).rejects.toThrow(refused(refusal, "balance_transactions", "UPDATE"));
      await expect(pool.query("delete from balance_transactions")).rejects.toThrow(
        refused(refusal, "balance_transactions", "DELETE"),
      );
    }
  });
});

describe("GET /v1/audit-logs", () => {
  it("lists newest first with every field, and filters by organization, action, actor and time", async () => {
    const start = new Date();
    const plan = await setPlan("audit-b", { organizationStatus: "suspended", reason: "OPS-102" });
    const rootToken = await issuer.sign({ sub: "operator-7", root: true });
    const byUser = await app.request("POST", "/v1/root/organizations/audit-b/plan", {
      body: { organizationId: "audit-b", organizationStatus: "active", reason: "OPS-103" },
      auth: rootToken,
    });
    expect(byUser.status).toBe(200);

    const all = await app.request("GET", "/v1/audit-logs?organizationId=audit-b");
    expect(all.status).toBe(200);
    const ids = all.body.data.map((entry: { id: string }) => entry.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.body.data[0]).toEqual({
      id: byUser.body.auditLogId,
      action: "root.organization_plan_set",
      actor: "user:operator-7",
      organizationId: "audit-b",
      reason: "OPS-103",
      before: expect.objectContaining({ organization: { status: "suspended" } }),
      after: expect.objectContaining({ organization: { status: "active" } }),
      metadata: expect.objectContaining({ provider: "manual", entitlementChanged: false }),
      requestId: byUser.headers.get("x-request-id"),
      clientRequestId: null,
      createdAt: expect.any(String),
    });
    expect(all.body.data[1].id).toBe(plan.body.auditLogId);
    expect(
      all.body.data.every(
        (entry: { organizationId: string }) => entry.organizationId === "audit-b",
      ),
    ).toBe(true);

    const byActor = await app.request("GET", "/v1/audit-logs?actor=user:operator-7");
    expect(byActor.body.data.map((entry: { id: string }) => entry.id)).toEqual([
      byUser.body.auditLogId,
    ]);
    const byAction = await app.request(
      "GET",
      "/v1/audit-logs?action=root.balance_adjusted&organizationId=audit-b",
    );
    expect(byAction.body.data).toHaveLength(1);
    expect(byAction.body.data[0]).toMatchObject({
      action: "root.balance_adjusted",
      reason: "Goodwill OPS-101",
    });

    const since = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=audit-b&since=${encodeURIComponent(start.toISOString())}`,
    );
    expect(since.body.data.map((entry: { id: string }) => entry.id)).toEqual([
      byUser.body.auditLogId,
      plan.body.auditLogId,
    ]);
    const until = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=audit-b&until=${encodeURIComponent(start.toISOString())}`,
    );
    expect(until.body.data.map((entry: { action: string }) => entry.action)).toEqual([
      "root.balance_adjusted",
      "organization.created",
    ]);
  });

  it("pages with limit and cursor without gaps or repeats", async () => {
    for (let index = 0; index < 5; index++) {
      await setPlan("audit-a", { entitlementStatus: "active", reason: `Page ${index}` });
    }
    const everything = await app.request("GET", "/v1/audit-logs?organizationId=audit-a&limit=100");
    const expected = everything.body.data.map((entry: { id: string }) => entry.id);
    expect(expected.length).toBeGreaterThanOrEqual(6);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/audit-logs?organizationId=audit-a&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await app.request("GET", query);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((entry: { id: string }) => entry.id));
      cursor = page.body.nextCursor;
      expect(page.body.hasMore).toBe(cursor !== null);
      sizes.push(page.body.data.length);
    } while (cursor !== null);
    expect(seen).toEqual(expected);
    // Only the last page is short.
    expect(sizes.slice(0, -1)).toEqual(Array(sizes.length - 1).fill(2));
  });

  it("refuses bad filters with 400 and non-root callers with 403", async () => {
    const badSince = await app.request("GET", "/v1/audit-logs?since=yesterday");
    expect(badSince.status).toBe(400);
    expect(badSince.body.error.message).toContain("since must be an ISO 8601 date-time");
    expect((await app.request("GET", "/v1/audit-logs?limit=0")).status).toBe(400);
    expect((await app.request("GET", "/v1/audit-logs?limit=1000")).status).toBe(400);
    expect((await app.request("GET", "/v1/audit-logs", { auth: ownerToken })).status).toBe(403);
  });
});

describe("GET /v1/organizations/:orgId/audit-logs", () => {
  it("lets the organization's owner read its own trail, root's actions included, and nobody else's", async () => {
    const own = await app.request("GET", "/v1/organizations/audit-a/audit-logs", {
      auth: ownerToken,
    });
    expect(own.status).toBe(200);
    expect(own.body.data.length).toBeGreaterThan(0);
    expect(
      own.body.data.every(
        (entry: { organizationId: string }) => entry.organizationId === "audit-a",
      ),
    ).toBe(true);
    const actions = own.body.data.map((entry: { action: string }) => entry.action);
    expect(actions).toContain("organization.created");
    expect(actions).toContain("root.organization_plan_set");
    // `organizationId` in the query cannot widen it: the same trail, audit-a's only.
    const widened = await app.request(
      "GET",
      "/v1/organizations/audit-a/audit-logs?organizationId=audit-b",
      { auth: ownerToken },
    );
    expect(widened.status).toBe(200);
    expect(widened.body.data).toEqual(own.body.data);
    expect(
      (await app.request("GET", "/v1/organizations/audit-b/audit-logs", { auth: ownerToken }))
        .status,
    ).toBe(403);
    // A plain member does not read the trail.
    expect(
      (await app.request("GET", "/v1/organizations/audit-a/audit-logs", { auth: memberToken }))
        .status,
    ).toBe(403);
  });
});

describe("coverage of the trail", () => {
  it("audits a status change through PATCH and DELETE with the actor and the request id", async () => {
    const suspended = await app.request("PATCH", "/v1/organizations/audit-b", {
      body: { status: "suspended" },
    });
    expect(suspended.status).toBe(200);
    const deleted = await app.request("DELETE", "/v1/organizations/audit-b");
    expect(deleted.status).toBe(200);
    const entries = await app.request(
      "GET",
      "/v1/audit-logs?organizationId=audit-b&action=organization.status_changed",
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({
        before: { status: "suspended", isActive: false },
        after: { status: "deleted", isActive: false },
        requestId: deleted.headers.get("x-request-id"),
        actor: expect.stringMatching(/^key_/),
      }),
      expect.objectContaining({
        before: { status: "active", isActive: true },
        after: { status: "suspended", isActive: false },
        requestId: suspended.headers.get("x-request-id"),
      }),
    ]);
    // A rename is not a status change.
    await app.request("PATCH", "/v1/organizations/audit-b", { body: { name: "Renamed" } });
    const again = await app.request(
      "GET",
      "/v1/audit-logs?organizationId=audit-b&action=organization.status_changed",
    );
    expect(again.body.data).toHaveLength(2);
  });

  it("records the request id on audit entries written deep in domain code (a subscription)", async () => {
    const created = await app.request("POST", "/v1/organizations", {
      body: { id: "audit-c", name: "Org audit-c", currency: "USD" },
    });
    expect(created.status).toBe(201);
    await app.request("POST", "/v1/organizations/audit-c/payment-methods", {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    const subscribed = await app.request("POST", "/v1/organizations/audit-c/subscription", {
      body: { planId: "teams", interval: "year" },
    });
    expect(subscribed.status).toBe(201);
    const entries = await app.request(
      "GET",
      "/v1/audit-logs?organizationId=audit-c&action=subscription.created",
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({ requestId: subscribed.headers.get("x-request-id") }),
    ]);
  });

  it("audits root's catalog changes and API key management with actor and request id", async () => {
    const feature = await app.request("POST", "/v1/features", {
      body: { key: "audited_flag", name: "Audited flag", kind: "boolean" },
    });
    expect(feature.status).toBe(201);
    const plan = await app.request("POST", "/v1/plans", {
      body: {
        id: "audited-plan",
        name: "Audited",
        prices: [{ interval: "month", currency: "USD", unitAmount: 1000 }],
        features: { audited_flag: true },
      },
    });
    expect(plan.status).toBe(201);
    const patched = await app.request("PATCH", "/v1/plans/audited-plan", {
      body: { name: "Audited v2" },
    });
    expect(patched.status).toBe(200);
    const archived = await app.request("POST", "/v1/plans/audited-plan/archive");
    expect(archived.status).toBe(200);
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "audit-a", name: "audited key" },
    });
    expect(key.status).toBe(201);
    const revoked = await app.request("DELETE", `/v1/api-keys/${key.body.id}`);
    expect(revoked.status).toBe(200);

    const entry = async (action: string) => {
      const list = await app.request("GET", `/v1/audit-logs?action=${action}&limit=1`);
      return list.body.data[0];
    };
    expect(await entry("catalog.feature_created")).toMatchObject({
      actor: expect.stringMatching(/^key_/),
      organizationId: null,
      after: expect.objectContaining({ key: "audited_flag", kind: "boolean" }),
      requestId: feature.headers.get("x-request-id"),
    });
    expect(await entry("catalog.plan_created")).toMatchObject({
      after: expect.objectContaining({ id: "audited-plan", version: 1 }),
      requestId: plan.headers.get("x-request-id"),
    });
    expect(await entry("catalog.plan_updated")).toMatchObject({
      before: expect.objectContaining({ version: 1, name: "Audited" }),
      after: expect.objectContaining({ version: 2, name: "Audited v2" }),
    });
    expect(await entry("catalog.plan_archived")).toMatchObject({
      before: { id: "audited-plan", archivedAt: null },
      after: { id: "audited-plan", archivedAt: expect.any(String) },
    });
    expect(await entry("api_key.created")).toMatchObject({
      organizationId: "audit-a",
      after: expect.objectContaining({ id: key.body.id, scope: "organization" }),
    });
    expect(JSON.stringify(await entry("api_key.created"))).not.toContain(key.body.secret);
    expect(await entry("api_key.revoked")).toMatchObject({
      organizationId: "audit-a",
      before: expect.objectContaining({ revokedAt: null }),
      after: expect.objectContaining({ revokedAt: expect.any(String) }),
      requestId: revoked.headers.get("x-request-id"),
    });
  });
});
describe("organizations, members and test clocks", () => {
  it("audits an organization's creation, membership changes and test-clock moves with the actor", async () => {
    const entries = async (query: string) =>
      (await app.request("GET", `/v1/audit-logs?${query}`)).body.data as {
        action: string;
        actor: string;
        before: unknown;
        after: Record<string, unknown> | null;
        requestId: string | null;
      }[];

    const created = await entries("organizationId=audit-a&action=organization.created");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      actor: expect.stringMatching(/^key_/),
      after: expect.objectContaining({
        id: "audit-a",
        owner: { userId: "owner-audit-a", email: null },
      }),
    });

    const set = await entries("organizationId=audit-a&action=organization.member_set");
    expect(set.at(-1)).toMatchObject({
      actor: "user:owner-audit-a",
      before: null,
      after: expect.objectContaining({ userId: "reader", roles: ["member"] }),
    });
    const removed = await app.request("DELETE", "/v1/organizations/audit-a/members/reader", {
      auth: ownerToken,
    });
    expect(removed.status).toBe(200);
    const removal = await entries("organizationId=audit-a&action=organization.member_removed");
    expect(removal[0]).toMatchObject({
      actor: "user:owner-audit-a",
      before: { userId: "reader", roles: ["member"] },
      requestId: removed.headers.get("x-request-id"),
    });
    // Put the reader back for the other tests.
    await app.request("PUT", "/v1/organizations/audit-a/members/reader", {
      body: { roles: ["member"] },
      auth: ownerToken,
    });

    const clock = await app.request("POST", "/v1/test-clocks", {
      body: { frozenTime: "2026-01-01T00:00:00Z" },
    });
    expect(clock.status).toBe(201);
    const clockCreated = await entries("action=test_clock.created&limit=1");
    expect(clockCreated[0]?.after).toMatchObject({ id: clock.body.id });
  });
});

describe("request ids", () => {
  const lastEntry = async (organizationId: string) => {
    const { rows } = await app.database.pool.query(
      "select request_id, client_request_id from audit_logs where organization_id = $1 order by id desc limit 1",
      [organizationId],
    );
    return rows[0];
  };

  it("answers and records Abono's own request id, keeping a well-formed client id apart", async () => {
    const response = await app.request("POST", "/v1/root/organizations/audit-b/plan", {
      body: { organizationId: "audit-b", planId: "pro", reason: "OPS-201" },
      headers: { "x-request-id": "client-trace-4f1c.9_A:b/c" },
    });
    expect(response.status).toBe(200);
    const ours = response.headers.get("x-request-id");
    expect(ours).toMatch(/^req_/);
    expect(await lastEntry("audit-b")).toEqual({
      request_id: ours,
      client_request_id: "client-trace-4f1c.9_A:b/c",
    });
    const listed = await app.request("GET", "/v1/audit-logs?organizationId=audit-b&limit=1");
    expect(listed.body.data[0]).toMatchObject({
      requestId: ours,
      clientRequestId: "client-trace-4f1c.9_A:b/c",
    });
  });

  it("never stores an overlong, Abono-lookalike or badly formed client id", async () => {
    for (const value of ["x".repeat(8000), "req_01JAAAAAAAAAAAAAAAAAAAAAAA", "has space", "ünï"]) {
      const response = await app.request("POST", "/v1/root/organizations/audit-b/plan", {
        body: { organizationId: "audit-b", planId: "free", reason: "OPS-202" },
        headers: { "x-request-id": value },
      });
      expect(response.status).toBe(200);
      const ours = response.headers.get("x-request-id");
      expect(ours).toMatch(/^req_/);
      expect(ours).not.toBe(value);
      expect(await lastEntry("audit-b")).toEqual({ request_id: ours, client_request_id: null });
    }
  });
});
