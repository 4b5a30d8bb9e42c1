import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueueJob } from "../../src/jobs/enqueue-job.ts";
import { defineJob } from "../../src/jobs/job.ts";
import { jobRegistry, scheduledTasks } from "../../src/jobs/jobs.ts";
import { queueForScope, type ScheduledTask } from "../../src/jobs/scheduler.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { insertBareOrganization } from "../helpers/bare-organization.ts";

/**
 * A stand-in for billing work: rows with a `due_at` per clock. The scheduled task enqueues a job per due
 * row; the job takes a while, marks the row done and schedules the next one a day later, like a renewal.
 */
const processDueItem = defineJob({
  name: "test.process_due_item",
  payload: z.object({ itemId: z.number(), dueAt: z.string() }),
  async handler({ payload, context }) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    await context.db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ clock_id: string }>(
        sql`update due_items set done = true where id = ${payload.itemId} and not done returning clock_id`,
      );
      const clockId = rows[0]?.clock_id;
      if (!clockId) return;
      await tx.execute(
        sql`insert into due_items (clock_id, due_at) values (${clockId}, ${payload.dueAt}::timestamptz + interval '1 day')`,
      );
    });
  },
});

const seenScopes: (string | null)[] = [];
const dueItemsTask: ScheduledTask = {
  name: "test.due_items",
  async run({ db, now, scope }) {
    seenScopes.push(scope.testClockId);
    if (scope.testClockId === null) return 0;
    return db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ id: number; due_at: Date }>(sql`
        update due_items set enqueued = true
         where clock_id = ${scope.testClockId} and due_at <= ${now.toISOString()}::timestamptz
           and not enqueued
        returning id, due_at`);
      for (const row of rows) {
        await enqueueJob(
          tx,
          processDueItem,
          { itemId: row.id, dueAt: new Date(row.due_at).toISOString() },
          { queueName: queueForScope(scope) },
        );
      }
      return rows.length;
    });
  },
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    jobs: [...jobRegistry, processDueItem],
    scheduledTasks: [...scheduledTasks, dueItemsTask],
  });
  await insertBareOrganization(app, "org_x");
  await app.database.pool.query(`create table due_items (
    id serial primary key, clock_id text not null, due_at timestamptz not null,
    enqueued boolean not null default false, done boolean not null default false)`);
  await app.database.grantAppRole();
});
afterAll(() => app.close());

describe("test clocks", () => {
  it("creates a clock frozen at the given time", async () => {
    const response = await app.request("POST", "/v1/test-clocks", {
      body: { frozenTime: "2026-01-31T10:00:00Z" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      frozenTime: "2026-01-31T10:00:00.000Z",
      status: "ready",
    });
    expect(response.body.id).toMatch(/^clock_/);
    const read = await app.request("GET", `/v1/test-clocks/${response.body.id}`);
    expect(read.body.frozenTime).toBe("2026-01-31T10:00:00.000Z");
  });

  it("advances through due work, including work caused by work, and returns when it has all run", async () => {
    const clock = (
      await app.request("POST", "/v1/test-clocks", { body: { frozenTime: "2026-03-01T00:00:00Z" } })
    ).body;
    await app.database.pool.query(
      "insert into due_items (clock_id, due_at) values ($1, '2026-03-01T12:00:00Z'), ($1, '2026-03-10T00:00:00Z')",
      [clock.id],
    );
    const advanced = await app.request("POST", `/v1/test-clocks/${clock.id}/advance`, {
      body: { frozenTime: "2026-03-04T00:00:00Z" },
    });
    expect(advanced.status).toBe(200);
    expect(advanced.body).toMatchObject({
      frozenTime: "2026-03-04T00:00:00.000Z",
      status: "ready",
    });

    const { rows } = await app.database.pool.query(
      "select to_char(due_at at time zone 'UTC', 'MM-DD HH24') as due, done from due_items where clock_id = $1 order by due_at",
      [clock.id],
    );
    // 1 Mar 12h ran and scheduled 2 Mar 12h, which ran and scheduled 3 Mar 12h, which ran and scheduled
    // 4 Mar 12h: not due yet. 10 Mar is untouched.
    expect(rows).toEqual([
      { due: "03-01 12", done: true },
      { due: "03-02 12", done: true },
      { due: "03-03 12", done: true },
      { due: "03-04 12", done: false },
      { due: "03-10 00", done: false },
    ]);
    expect(seenScopes).toContain(clock.id);
  });

  it("only moves forward", async () => {
    const clock = (
      await app.request("POST", "/v1/test-clocks", { body: { frozenTime: "2026-05-01T00:00:00Z" } })
    ).body;
    for (const frozenTime of ["2026-04-30T00:00:00Z", "2026-05-01T00:00:00Z"]) {
      const response = await app.request("POST", `/v1/test-clocks/${clock.id}/advance`, {
        body: { frozenTime },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(/only move forward/);
    }
  });

  it("lets one of two concurrent advances run and tells the other to retry", async () => {
    const clock = (
      await app.request("POST", "/v1/test-clocks", { body: { frozenTime: "2026-06-01T00:00:00Z" } })
    ).body;
    await app.database.pool.query(
      "insert into due_items (clock_id, due_at) values ($1, '2026-06-01T01:00:00Z')",
      [clock.id],
    );
    const [first, second] = await Promise.all([
      app.request("POST", `/v1/test-clocks/${clock.id}/advance`, {
        body: { frozenTime: "2026-06-01T06:00:00Z" },
      }),
      app.request("POST", `/v1/test-clocks/${clock.id}/advance`, {
        body: { frozenTime: "2026-06-01T06:00:00Z" },
      }),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses[0]).toBe(200);
    expect([400, 409]).toContain(statuses[1]);
    const { rows } = await app.database.pool.query(
      "select count(*)::int as done from due_items where clock_id = $1 and done",
      [clock.id],
    );
    expect(rows[0].done).toBe(1);
  });

  it("validates the time and answers 404 for an unknown clock; root only", async () => {
    const bad = await app.request("POST", "/v1/test-clocks", { body: { frozenTime: "tomorrow" } });
    expect(bad.status).toBe(400);
    expect((await app.request("GET", "/v1/test-clocks/clock_nope")).status).toBe(404);
    const orgKey = (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId: "org_x", name: "x" },
      })
    ).body.secret;
    const forbidden = await app.request("POST", "/v1/test-clocks", {
      body: { frozenTime: "2026-01-01T00:00:00Z" },
      auth: orgKey,
    });
    expect(forbidden.status).toBe(403);
  });
});

describe("test clocks outside test mode", () => {
  it("answer 404 with the reason", async () => {
    const live = await startTestApp({ worker: false, environment: { ABONO_TEST_MODE: "false" } });
    try {
      const response = await live.request("POST", "/v1/test-clocks", {
        body: { frozenTime: "2026-01-01T00:00:00Z" },
      });
      expect(response.status).toBe(404);
      expect(response.body.error.message).toMatch(/ABONO_TEST_MODE=true/);
    } finally {
      await live.close();
    }
  });
});
