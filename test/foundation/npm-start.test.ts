import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeClockEnvironment } from "../helpers/process.ts";

/**
 * `npm start` as Docker or systemd run it: the npm process is the one that gets the signal. Nothing it
 * started (the shell, `abono serve`, the embedded PostgreSQL and its backends) may outlive it.
 */
const repository = path.resolve(import.meta.dirname, "../..");
let dataDir: string;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-npm-start-"));
  await fs.chmod(dataDir, 0o755);
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** Alive and not a zombie (a reparented zombie may wait a while for its reaper). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function processTable(): Map<number, { ppid: number; args: string }> {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const line of execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" }).split(
    "\n",
  )) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match) table.set(Number(match[1]), { ppid: Number(match[2]), args: match[3] ?? "" });
  }
  return table;
}

/** Every process below `root`, PostgreSQL's backends included. */
function descendants(root: number): Map<number, string> {
  const table = processTable();
  const found = new Map<number, string>();
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, { ppid, args }] of table) {
      if (ppid === parent && !found.has(pid)) {
        found.set(pid, args);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** The tree of the test running now, ended after it whatever happened (orphans are reparented). */
let tree = new Map<number, string>();
afterEach(() => {
  for (const pid of tree.keys()) {
    if (!isAlive(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  tree = new Map();
});

async function npmStart() {
  const child = spawn("npm", ["start"], {
    cwd: repository,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...fakeClockEnvironment(),
      ABONO_DATA_DIR: dataDir,
      PORT: "0",
      ABONO_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that only the signals this test sends reach it.
    detached: true,
  });
  tree = new Map([[child.pid ?? 0, "npm start"]]);
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const deadline = Date.now() + 90_000;
  while (!/Abono is listening on http/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid ?? 0;
  const started = descendants(pid);
  const abono = [...started].find(([, args]) => /bin\/abono\.js serve/.test(args))?.[0];
  const postgres = [...started].find(([, args]) => /\/bin\/postgres -D/.test(args))?.[0];
  expect(abono).toBeDefined();
  expect(postgres).toBeDefined();
  // PostgreSQL's backends, started since, belong to the tree too.
  const everything = new Map([...descendants(pid), [pid, "npm start"]]);
  tree = everything;
  return {
    pid,
    abono: abono ?? 0,
    postgres: postgres ?? 0,
    everything,
    exited,
    output: () => output,
  };
}

async function survivorsAfter(pids: Iterable<number>, milliseconds: number): Promise<number[]> {
  const watched = [...pids];
  const deadline = Date.now() + milliseconds;
  for (;;) {
    const alive = watched.filter((pid) => isAlive(pid));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("npm start", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops everything it started within 10 s when the npm process gets ${signal}`, async () => {
      const started = await npmStart();
      expect(started.everything.size).toBeGreaterThanOrEqual(4);
      process.kill(started.pid, signal);
      const survivors = await survivorsAfter(started.everything.keys(), 10_000);
      expect(survivors.map((pid) => `${pid} ${started.everything.get(pid)}`)).toEqual([]);
      await started.exited;
      // abono shut down in order rather than being cut off.
      expect(started.output()).toMatch(/Stopped cleanly/);
    }, 120_000);
  }

  it("stops the embedded PostgreSQL when abono itself is killed with SIGKILL", async () => {
    const started = await npmStart();
    process.kill(started.abono, "SIGKILL");
    const postgresTree = [...started.everything.keys()].filter((pid) => pid !== started.pid);
    const survivors = await survivorsAfter(postgresTree, 10_000);
    expect(survivors.map((pid) => `${pid} ${started.everything.get(pid)}`)).toEqual([]);
    // npm itself exits once its child is gone.
    expect(await survivorsAfter([started.pid], 10_000)).toEqual([]);
  }, 120_000);

  it("stops abono and PostgreSQL when the npm process is killed with SIGKILL", async () => {
    const started = await npmStart();
    process.kill(started.pid, "SIGKILL");
    const survivors = await survivorsAfter(started.everything.keys(), 10_000);
    expect(survivors.map((pid) => `${pid} ${started.everything.get(pid)}`)).toEqual([]);
  }, 120_000);
});
