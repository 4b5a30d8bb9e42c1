import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";

async function admin(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text);
  await client.end();
}

/**
 * A throw-away database for a benchmark: on DATABASE_URL's server when set, else on an embedded
 * PostgreSQL in a temporary directory. `drop()` removes everything it made.
 */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  let serverUrl = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let temporaryDir: string | null = null;
  if (!serverUrl) {
    temporaryDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-bench-"));
    await fs.chmod(temporaryDir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir: temporaryDir, log: () => {} });
    serverUrl = embedded.connectionString;
    stopEmbedded = embedded.stop;
  }
  const name = `abono_bench_${randomBytes(4).toString("hex")}`;
  await admin(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const server = serverUrl;
  return {
    url: url.toString(),
    async drop() {
      await admin(server, `drop database if exists ${name} with (force)`);
      if (stopEmbedded) await stopEmbedded();
      if (temporaryDir) await fs.rm(temporaryDir, { recursive: true, force: true });
    },
  };
}

export function machineLine(): string {
  return `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.floor(os.totalmem() / 2 ** 30)} GiB; node ${process.version}`;
}
