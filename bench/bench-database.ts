import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text);
  await client.end();
}

/**
 * The PostgreSQL server a benchmark runs on: DATABASE_URL's when set, else an embedded one in a temporary
 * directory. `createDatabase()` makes a throw-away database on it; `stop()` removes what it started.
 */
export async function startBenchPostgres(): Promise<{
  createDatabase(): Promise<BenchDatabase>;
  stop(): Promise<void>;
}> {
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
  const server = serverUrl;
  return {
    async createDatabase() {
      const name = `abono_bench_${randomBytes(4).toString("hex")}`;
      await admin(server, `create database ${name}`);
      const url = new URL(server);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        drop: () => admin(server, `drop database if exists ${name} with (force)`),
      };
    },
    async stop() {
      if (stopEmbedded) await stopEmbedded();
      if (temporaryDir) await fs.rm(temporaryDir, { recursive: true, force: true });
    },
  };
}

/** One throw-away database on its own server (see `startBenchPostgres`); `drop()` removes both. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const postgres = await startBenchPostgres();
  const database = await postgres.createDatabase();
  return {
    url: database.url,
    async drop() {
      await database.drop();
      await postgres.stop();
    },
  };
}
