import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
});
afterAll(() => app.close());

type Client = Pick<TestApp["database"]["pool"], "query">;

/** Publishes raw events through `abono_publish_events` on `client`; their ids, in order. */
async function publishRaw(
  client: Client,
  organizationId: string,
  types: readonly string[],
): Promise<string[]> {
  const { rows } = await client.query<{ event_id: string }>(
    "select event_id from abono_publish_events($1::jsonb)",
    [
      JSON.stringify(
        types.map((type) => ({
          type,
          organizationId,
          data: {},
          createdAt: new Date().toISOString(),
        })),
      ),
    ],
  );
  return rows.map((row) => row.event_id);
}

/** The queued jobs (identifier, queue, event ids) carrying any of `eventIds`. */
async function jobsCarrying(client: Client, eventIds: readonly string[]) {
  const { rows } = await client.query<{
    id: string;
    identifier: string;
    queue: string | null;
    ids: string[];
  }>(
    `select job.id::text as id, task.identifier, queue.queue_name as queue,
            array(select jsonb_array_elements_text(job.payload::jsonb->'eventIds')) as ids
       from graphile_worker._private_jobs job
       join graphile_worker._private_tasks task on task.id = job.task_id
       left join graphile_worker._private_job_queues queue on queue.id = job.job_queue_id
      where job.payload::jsonb->'eventIds' ?| $1::text[]`,
    [eventIds],
  );
  return rows;
}

async function unpublished(organizationId: string): Promise<number> {
  const { rows } = await app.database.pool.query(
    "select count(*)::int as count from events where organization_id = $1 and published_at is null",
    [organizationId],
  );
  return rows[0].count;
}

/** Runs `check` in a transaction on one connection, then rolls it back: raw events are for checks only. */
async function inRolledBackTransaction(check: (client: Client) => Promise<void>): Promise<void> {
  const client = await app.database.pool.connect();
  try {
    await client.query("begin");
    await check(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

describe("dispatching published events", () => {
  it("adds one events.dispatch job per queue for a statement's events, whatever their types", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await inRolledBackTransaction(async (client) => {
      const ids = await publishRaw(client, org.organizationId, [
        "organization.updated",
        "subscription.updated",
        "balance.changed",
      ]);
      expect(ids).toHaveLength(3);
      const jobs = await jobsCarrying(client, ids);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.identifier).toBe("events.dispatch");
      // The organization is on a test clock: its jobs are in the clock's queue, so an advance waits.
      expect(jobs[0]?.queue).toBe(`test_clock:${org.clockId}`);
      expect(jobs[0]?.ids).toEqual(ids);
    });
  });

  it("adds a transaction's later events, the entitlement.updated of its commit included, to the job it queued", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    await inRolledBackTransaction(async (client) => {
      const first = await publishRaw(client, org.organizationId, [
        "organization.updated",
        "subscription.updated",
      ]);
      const second = await publishRaw(client, org.organizationId, ["balance.changed"]);
      // What a plan change does to the entitlement; its event is published by a deferred trigger,
      // fired here rather than at the commit so that the job can be looked at before the worker takes it.
      await client.query(
        "update organization_entitlements set grace_ends_at = now() + interval '1 day' where organization_id = $1",
        [org.organizationId],
      );
      await client.query("set constraints all immediate");
      const { rows } = await client.query<{ id: string }>(
        "select id from events where organization_id = $1 and type = 'entitlement.updated' and published_at is null order by sequence desc limit 1",
        [org.organizationId],
      );
      const entitlementEvent = rows[0]?.id ?? "";
      const all = [...first, ...second, entitlementEvent];
      const jobs = await jobsCarrying(client, all);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.identifier).toBe("events.dispatch");
      expect(jobs[0]?.queue).toBe(`test_clock:${org.clockId}`);
      expect(jobs[0]?.ids).toEqual(all);
    });
  });

  it("undoes what a rolled-back savepoint added to the job, and queues a new job when the earlier one is gone", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await inRolledBackTransaction(async (client) => {
      const first = await publishRaw(client, org.organizationId, ["organization.updated"]);
      await client.query("savepoint undone");
      const undone = await publishRaw(client, org.organizationId, ["subscription.updated"]);
      // A savepoint rolled back takes its events, and what they added to the job, back with it.
      await client.query("rollback to savepoint undone");
      const [firstJob] = await jobsCarrying(client, first);
      expect(firstJob?.ids).toEqual(first);
      expect(await jobsCarrying(client, undone)).toEqual([]);
      await client.query("select graphile_worker.complete_jobs($1::bigint[])", [[firstJob?.id]]);
      const later = await publishRaw(client, org.organizationId, ["balance.changed"]);
      const laterJobs = await jobsCarrying(client, later);
      expect(laterJobs).toHaveLength(1);
      expect(laterJobs[0]?.ids).toEqual(later);
      expect(laterJobs[0]?.id).not.toBe(firstJob?.id);
    });
  });

  it("never adds to a job another transaction queued", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const client = await app.database.pool.connect();
    try {
      const queueSetting = `abono.dispatch_job_${createHash("md5").update(`test_clock:${org.clockId}`).digest("hex")}`;
      const named = async () =>
        (
          await client.query<{ value: string | null }>(
            "select current_setting($1, true) as value",
            [queueSetting],
          )
        ).rows[0]?.value ?? "";
      await client.query("begin");
      const first = await publishRaw(client, org.organizationId, ["organization.updated"]);
      const [firstJob] = await jobsCarrying(client, first);
      expect(await named()).toBe(firstJob?.id);
      await client.query("commit");
      // The same connection's next transaction starts without it, so it queues its own job.
      await client.query("begin");
      expect(await named()).toBe("");
      const next = await publishRaw(client, org.organizationId, ["subscription.updated"]);
      const [nextJob] = await jobsCarrying(client, next);
      expect(nextJob?.ids).toEqual(next);
      expect(nextJob?.id).not.toBe(firstJob?.id);
      await client.query("rollback");
    } finally {
      client.release();
    }
    await expect.poll(() => unpublished(org.organizationId)).toBe(0);
  });

  it("still dispatches a per-type job queued by an earlier release", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const client = await app.database.pool.connect();
    let ids: string[] = [];
    try {
      await client.query("begin");
      ids = await publishRaw(client, org.organizationId, ["organization.updated"]);
      // As if queued before the upgrade: the new job is gone, a job named after the type carries the event.
      const jobs = await jobsCarrying(client, ids);
      expect(jobs.map((job) => job.identifier)).toEqual(["events.dispatch"]);
      await client.query("select graphile_worker.complete_jobs($1::bigint[])", [
        jobs.map((job) => job.id),
      ]);
      await client.query("select graphile_worker.add_job('organization.updated', $1::json)", [
        JSON.stringify({ eventIds: ids }),
      ]);
      expect((await jobsCarrying(client, ids)).map((job) => job.identifier)).toEqual([
        "organization.updated",
      ]);
      await client.query("commit");
    } finally {
      client.release();
    }
    await expect
      .poll(async () => {
        const { rows } = await app.database.pool.query(
          "select count(*)::int as count from events where id = any($1::text[]) and published_at is not null",
          [ids],
        );
        return rows[0].count;
      })
      .toBe(1);
    expect(await jobsCarrying(app.database.pool, ids)).toEqual([]);
  });

  it("publishes every event of a plan change", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(200);
    const { rows } = await app.database.pool.query<{ type: string }>(
      "select type from events where organization_id = $1",
      [org.organizationId],
    );
    expect(rows.map((row) => row.type)).toContain("subscription.plan_changed");
    expect(new Set(rows.map((row) => row.type)).size).toBeGreaterThan(2);
    await expect.poll(() => unpublished(org.organizationId)).toBe(0);
  });
});
