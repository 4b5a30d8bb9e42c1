import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminQuery, withDatabase } from "../global-setup.ts";
import { runCli } from "../helpers/process.ts";

/** The CLI against an external database (DATABASE_URL): nothing embedded is started. */
const name = `abono_cli_${randomBytes(4).toString("hex")}`;
let url: string;
beforeAll(async () => {
  await adminQuery(inject("serverUrl"), `create database ${name}`);
  url = withDatabase(inject("serverUrl"), name);
});
afterAll(() => adminQuery(inject("serverUrl"), `drop database if exists ${name} with (force)`));

async function tables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select table_schema || '.' || table_name as name from information_schema.tables where table_schema in ('public', 'graphile_worker')",
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe("abono CLI", () => {
  it("migrate applies Abono's and the worker's migrations to an empty database, twice without harm", async () => {
    for (let run = 0; run < 2; run++) {
      const migrate = runCli(["migrate"], { DATABASE_URL: url, ABONO_LOG_LEVEL: "info" });
      expect(await migrate.exited).toBe(0);
      expect(migrate.output()).toMatch(/Migrations applied/);
    }
    const present = await tables();
    expect(present).toEqual(
      expect.arrayContaining([
        "public.api_keys",
        "public.idempotency_keys",
        "graphile_worker._private_jobs",
      ]),
    );
  });

  it("keys create prints a secret once and stores only its hash", async () => {
    const keys = runCli(["keys", "create", "--root", "--name", "ops laptop"], {
      DATABASE_URL: url,
    });
    expect(await keys.exited).toBe(0);
    const [, secret] = await keys.waitForOutput(/^\s+(abono_sk_\S+)$/m);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("select * from api_keys where name = 'ops laptop'");
    await client.end();
    expect(rows).toHaveLength(1);
    expect(rows[0].scope).toBe("root");
    expect(JSON.stringify(rows[0])).not.toContain(secret);
  });

  it("explains its usage on a wrong command", async () => {
    const wrong = runCli(["keys", "create"], { DATABASE_URL: url });
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toMatch(/--root/);
    const unknown = runCli(["frobnicate"], { DATABASE_URL: url });
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/Unknown command "frobnicate"/);
    const option = runCli(["keys", "create", "--root", "--colour", "red"], { DATABASE_URL: url });
    expect(await option.exited).toBe(2);
    expect(option.output()).toMatch(/Unknown option '--colour'[\s\S]*Usage: abono/);
    const seed = runCli(["seed", "toString"], { DATABASE_URL: url });
    expect(await seed.exited).toBe(2);
    expect(seed.output()).toMatch(/available: demo/);
  });
});
