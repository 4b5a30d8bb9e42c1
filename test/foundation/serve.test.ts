import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processTestTimeout, runCli } from "../helpers/process.ts";

/**
 * `npm start` as a user runs it: no DATABASE_URL, so the process starts its own PostgreSQL in
 * ABONO_DATA_DIR, migrates, prints a generated root key once, serves, and stops everything on a signal.
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-serve-"));
  await fs.chmod(dataDir, 0o755);
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const environment = () => ({ ABONO_DATA_DIR: dataDir, PORT: "0", ABONO_LOG_LEVEL: "info" });

async function postgresPid(): Promise<number | null> {
  const content = await fs
    .readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8")
    .catch(() => null);
  return content === null ? null : Number.parseInt(content.split("\n")[0] ?? "", 10);
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("abono serve with the embedded PostgreSQL", { timeout: processTestTimeout }, () => {
  let rootKey = "";

  it("starts from nothing, answers /health, and stops cleanly on Ctrl-C", async () => {
    const server = runCli(["serve"], environment());
    const started = Date.now();
    const [, url] = await server.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/);
    // Standard output is a pipe here, not a terminal: the generated secret goes to an owner-only file,
    // and the log says where, never the secret itself.
    const keyFile = path.join(dataDir, "root-api-key");
    expect(server.output()).toContain(`it is in ${keyFile}`);
    expect(server.output()).not.toMatch(/abono_sk_/);
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
    rootKey = (await fs.readFile(keyFile, "utf8")).trim();
    expect(rootKey).toMatch(/^abono_sk_[\w-]{40,}$/);
    expect(server.output()).toMatch(/The catalog is empty.*\n\n\s+npx abono seed demo/s);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(Date.now() - started).toBeLessThan(60_000);

    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${rootKey}` } });
    expect(((await me.json()) as { root: boolean }).root).toBe(true);

    const pid = await postgresPid();
    expect(pid).not.toBeNull();
    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-(server.child.pid ?? 0), "SIGINT");
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/Stopped cleanly/);
    expect(isAlive(pid ?? 0)).toBe(false);
  });

  it("reuses the data on a second start and does not print a new root key", async () => {
    const server = runCli(["serve"], environment());
    const [, url] = await server.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/);
    expect(server.output()).not.toMatch(/Creating a PostgreSQL cluster/);
    expect(server.output()).not.toMatch(/root API key was generated/);
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${rootKey}` } });
    expect(me.status).toBe(200);

    // `abono seed demo` and `abono keys create` attach to the running server's database instead of
    // starting another; an organization key needs an existing organization, which needs the free plan.
    const seed = runCli(["seed", "demo"], environment());
    expect(await seed.exited).toBe(0);
    const organization = await fetch(`${url}/v1/organizations`, {
      method: "POST",
      headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "org_cli", name: "CLI Org" }),
    });
    expect(organization.status).toBe(201);
    const keys = runCli(
      ["keys", "create", "--organization", "org_cli", "--name", "cli"],
      environment(),
    );
    expect(await keys.exited).toBe(0);
    const [, orgKey] = await keys.waitForOutput(/^\s+(abono_sk_\S+)$/m);
    const orgMe = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${orgKey}` } });
    expect(await orgMe.json()).toMatchObject({ root: false, organizationId: "org_cli" });

    const pid = await postgresPid();
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(isAlive(pid ?? 0)).toBe(false);
  });

  it("refuses bad configuration with a message naming the variable", async () => {
    const server = runCli(["serve"], {
      ...environment(),
      PORT: "eighty",
      ABONO_TEST_MODE: "maybe",
    });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/PORT: must be a port number/);
    expect(server.output()).toMatch(/ABONO_TEST_MODE: must be true or false \(got "maybe"\)/);
  });
});
