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

describe("dispatching published events", () => {
  it("adds one events.dispatch job per statement and queue, whatever the events' types", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const client = await app.database.pool.connect();
    try {
      await client.query("begin");
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
    } finally {
      // Raw events with empty payloads are for this check only.
      await client.query("rollback");
      client.release();
    }
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
