import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminQuery, withDatabase } from "../global-setup.ts";
import { type CliProcess, processTestTimeout, runCli } from "../helpers/process.ts";

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

describe("abono CLI", { timeout: processTestTimeout }, () => {
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

  it("refuses a key for an organization that does not exist, and creates none", async () => {
    const keys = runCli(["keys", "create", "--organization", "org_missing", "--name", "ghost"], {
      DATABASE_URL: url,
    });
    expect(await keys.exited).toBe(1);
    expect(keys.output()).toMatch(/not_found.*Organization "org_missing" was not found/);
    expect(keys.output()).not.toMatch(/abono_sk_/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("select id from api_keys where name = 'ghost'");
    await client.end();
    expect(rows).toHaveLength(0);
  });
});

/** Waits for the process to exit; one still running after `ms` is killed and reported as such. */
async function exitWithin(cli: CliProcess, ms: number): Promise<number | null | "still running"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"still running">((resolve) => {
    timer = setTimeout(() => resolve("still running"), ms);
  });
  const outcome = await Promise.race([cli.exited, timeout]);
  clearTimeout(timer);
  if (outcome === "still running") {
    process.kill(-(cli.child.pid ?? 0), "SIGKILL");
    await cli.exited;
  }
  return outcome;
}

describe("abono --help and --version", { timeout: processTestTimeout }, () => {
  const usages: Record<string, RegExp> = {
    "": /Usage: abono \[options\] \[command\][\s\S]*serve[\s\S]*worker[\s\S]*migrate[\s\S]*keys[\s\S]*billing-run[\s\S]*seed/,
    serve: /Usage: abono serve/,
    worker: /Usage: abono worker/,
    migrate: /Usage: abono migrate/,
    keys: /Usage: abono keys[\s\S]*create/,
    "keys create":
      /Usage: abono keys create[\s\S]*--root[\s\S]*--organization <orgId>[\s\S]*--name/,
    "billing-run": /Usage: abono billing-run[\s\S]*--concurrency <n>/,
    seed: /Usage: abono seed[\s\S]*demo/,
    "seed demo": /Usage: abono seed demo/,
    "entitlements check":
      /Usage: abono entitlements check[\s\S]*<orgId> <feature>[\s\S]*--url <url>[\s\S]*ABONO_URL/,
  };

  it("answers every command's --help with its usage and exit 0, touching nothing", async () => {
    // No DATABASE_URL: any command that went further than its usage would start PostgreSQL in here.
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-help-"));
    try {
      const runs = [
        ...Object.entries(usages).map(([command, usage]) => ({ command, usage, flag: "--help" })),
        { command: "", usage: usages[""] ?? /never/, flag: "-h" },
        { command: "keys create", usage: usages["keys create"] ?? /never/, flag: "-h" },
      ];
      // A few at a time: each run starts Node and tsx.
      for (let index = 0; index < runs.length; index += 3) {
        const batch = runs.slice(index, index + 3).map(async ({ command, usage, flag }) => {
          const args = [...command.split(" ").filter(Boolean), flag];
          const cli = runCli(args, { ABONO_DATA_DIR: dataDir, PORT: "0" });
          const exit = await exitWithin(cli, 20_000);
          return { args: args.join(" "), exit, usage: usage.test(cli.output()) };
        });
        for (const run of await Promise.all(batch)) {
          expect(run).toEqual({ args: run.args, exit: 0, usage: true });
        }
      }
      expect(await fs.readdir(dataDir)).toEqual([]);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("answers `help <command>` like `<command> --help`", async () => {
    const help = runCli(["help", "billing-run"], {});
    expect(await exitWithin(help, 20_000)).toBe(0);
    expect(help.output()).toMatch(usages["billing-run"] ?? /never/);
  });

  it("prints the package version with --version and -v", async () => {
    const { version } = JSON.parse(
      await fs.readFile(path.resolve(import.meta.dirname, "../../package.json"), "utf8"),
    ) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const cli = runCli([flag], {});
      expect(await exitWithin(cli, 20_000)).toBe(0);
      expect(cli.output().trim()).toBe(version);
    }
  });
});
