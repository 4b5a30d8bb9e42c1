import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { ensureWebBuild } from "../scripts/build-web.ts";
import { ensureLoginRole, grantAppRole } from "../src/db/app-role.ts";
import { openDatabase } from "../src/db/database.ts";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";
import { migrateDatabase } from "../src/db/migrate.ts";

/**
 * Real PostgreSQL for every test: DATABASE_URL when set, else an embedded server in a temporary
 * directory. One migrated template database is made per run; each test file clones it. The billing portal
 * (web/) is built first when its build is missing or stale.
 */
export default async function setup(project: TestProject) {
  // The billing portal the service serves (and the browser tests drive), built unless up to date.
  await ensureWebBuild();
  let embeddedStop: (() => Promise<void>) | null = null;
  let temporaryDir: string | null = null;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    temporaryDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-test-"));
    await fs.chmod(temporaryDir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir: temporaryDir, log: () => {} });
    serverUrl = embedded.connectionString;
    embeddedStop = embedded.stop;
  }

  const templateName = `abono_tpl_${process.pid}_${Date.now()}`;
  await adminQuery(serverUrl, `create database ${templateName}`);
  const template = openDatabase({ connectionString: withDatabase(serverUrl, templateName) });
  await migrateDatabase(template);
  // The test apps run as a restricted role, as the service does in production: a missing grant fails.
  await ensureLoginRole({
    adminUrl: serverUrl,
    role: testAppRole.user,
    password: testAppRole.password,
  });
  const client = await template.pool.connect();
  try {
    await grantAppRole({ client, role: testAppRole.user });
  } finally {
    client.release();
  }
  await template.close();

  project.provide("serverUrl", serverUrl);
  project.provide("templateDatabase", templateName);

  return async () => {
    await adminQuery(serverUrl, `drop database if exists ${templateName} with (force)`);
    if (embeddedStop) await embeddedStop();
    if (temporaryDir) await fs.rm(temporaryDir, { recursive: true, force: true });
  };
}

/** The restricted login role test apps connect as (DATABASE_URL); migrations run as the server's user. */
export const testAppRole = { user: "abono_test_app", password: "abono_test_app_password" };

/** `url` logged in as another role. */
export function withRole(url: string, role: { user: string; password: string }): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(role.user);
  parsed.password = encodeURIComponent(role.password);
  return parsed.toString();
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}
