import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** `GET /v1/audit-logs/verify`: the chain check over HTTP, for root, with the service's restricted role. */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  for (const id of ["chain-a", "chain-b"]) {
    const created = await app.request("POST", "/v1/api-keys", {
      body: { name: `key ${id}`, scope: "root" },
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  }
});
afterAll(async () => {
  await app?.close();
});

describe("GET /v1/audit-logs/verify", () => {
  it("answers the count and head, checks an anchor, and names the first broken link", async () => {
    const head = await app.database.pool.query(
      "select seq::text as seq, hash, audit_id from audit_chain order by audit_chain.seq desc limit 1",
    );
    const count = Number(head.rows[0].seq);
    expect(count).toBeGreaterThanOrEqual(2);
    const verified = await app.request("GET", "/v1/audit-logs/verify");
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      ok: true,
      count,
      head: { seq: head.rows[0].seq, hash: head.rows[0].hash, auditId: head.rows[0].audit_id },
    });
    const anchored = await app.request(
      "GET",
      `/v1/audit-logs/verify?anchorSeq=${head.rows[0].seq}&anchorHash=${"0".repeat(64)}`,
    );
    expect(anchored.body).toMatchObject({
      ok: false,
      problem: { kind: "anchor_mismatch", seq: head.rows[0].seq },
    });
    expect((await app.request("GET", "/v1/audit-logs/verify?anchorSeq=1")).status).toBe(400);
    expect((await app.request("GET", "/v1/audit-logs/verify", { auth: null })).status).toBe(401);

    const client = await app.database.pool.connect();
    try {
      await client.query("begin");
      await client.query("set local session_replication_role = replica");
      await client.query(
        "update audit_logs set actor = 'someone_else' where id = (select audit_id from audit_chain where seq = 1)",
      );
      await client.query("commit");
    } finally {
      client.release();
    }
    const broken = await app.request("GET", "/v1/audit-logs/verify");
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({
      ok: false,
      verified: 0,
      problem: { kind: "modified", seq: "1" },
    });
  });
});
