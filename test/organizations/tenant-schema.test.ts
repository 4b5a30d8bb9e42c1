import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { testAppRole } from "../global-setup.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    worker: false,
    environment: { ABONO_TENANT_SCHEMAS: "true", ABONO_TENANT_TEMPLATE_SCHEMA: "tickets_template" },
  });
  await seedDemo({ db: app.server.connection.db, now: new Date() });
});
afterAll(() => app.close());

describe("per-tenant data schema", () => {
  it("fails cleanly while the template schema does not exist", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "too-early", name: "Too Early" },
    });
    expect(response.status).toBe(500);
    expect(response.body.error.details.failedStep).toBe("tenant_schema");
    expect(response.body.error.message).toMatch(
      /template schema "tickets_template" does not exist/,
    );
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from organization_public_view where organization_id = 'too-early'",
    );
    expect(rows[0].count).toBe(0);
  });

  it("copies the template's tables, rows, sequences and foreign keys into tenant_<6 digits>", async () => {
    await app.database.pool.query(`
      create schema tickets_template;
      create table tickets_template.statuses (id serial primary key, name text not null unique);
      insert into tickets_template.statuses (name) values ('open'), ('closed');
      create table tickets_template.tickets (
        id bigint generated always as identity primary key,
        status_id int not null references tickets_template.statuses (id),
        title text not null check (length(title) > 0)
      );
      create index tickets_title_idx on tickets_template.tickets (title);
      grant usage on schema tickets_template to ${testAppRole.user};
      grant select on all tables in schema tickets_template to ${testAppRole.user};`);

    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "tenant-one", name: "Tenant One" },
    });
    expect(response.status).toBe(201);
    expect(
      response.body.provisioning.steps.find(
        (step: { step: string }) => step.step === "tenant_schema",
      ),
    ).toMatchObject({ status: "done", error: null });
    const schema: string = response.body.tenantSchema;
    expect(schema).toBe(`tenant_${String(response.body.number).padStart(6, "0")}`);
    expect(schema).toMatch(/^tenant_\d{6}$/);

    const db = app.database.pool;
    const statuses = await db.query(`select id, name from ${schema}.statuses order by id`);
    expect(statuses.rows).toEqual([
      { id: 1, name: "open" },
      { id: 2, name: "closed" },
    ]);
    // The tenant has its own sequence: a new status continues after the copied rows.
    const added = await db.query(
      `insert into ${schema}.statuses (name) values ('waiting') returning id`,
    );
    expect(added.rows[0].id).toBe(3);
    const template = await db.query(
      "insert into tickets_template.statuses (name) values ('x') returning id",
    );
    expect(template.rows[0].id).toBe(3);

    // Foreign keys point inside the tenant's schema; checks and indexes came along.
    await expect(
      db.query(`insert into ${schema}.tickets (status_id, title) values (99, 'x')`),
    ).rejects.toThrow(/foreign key/);
    await expect(
      db.query(`insert into ${schema}.tickets (status_id, title) values (1, '')`),
    ).rejects.toThrow(/check/);
    await db.query(`insert into ${schema}.tickets (status_id, title) values (3, 'Fix pump')`);
    // Identity columns got their own sequence too: the template's tickets still start at 1.
    const templateTicket = await db.query(
      "insert into tickets_template.tickets (status_id, title) values (1, 'x') returning id",
    );
    expect(templateTicket.rows[0].id).toBe("1");
    const indexes = await db.query(
      "select indexname from pg_indexes where schemaname = $1 and tablename = 'tickets'",
      [schema],
    );
    expect(indexes.rows.map((row) => row.indexname)).toHaveLength(2);
  });
});
