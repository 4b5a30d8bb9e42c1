import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { grantAppRole } from "../../src/db/app-role.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { adminQuery, testAppRole, withDatabase, withRole } from "../global-setup.ts";

export interface TestDatabase extends DatabaseHandle {
  /** As the server's (owner) user; `pool` and `db` connect with it. */
  url: string;
  /** The same database as the restricted role the service runs as (`testAppRole`). */
  appUrl: string;
  name: string;
  /** Grants the service's role its privileges again, on tables a test created (as the owner). */
  grantAppRole(): Promise<void>;
  drop(): Promise<void>;
}

/** A fresh database cloned from the run's migrated template, so test files run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("serverUrl");
  const name = `abono_t_${randomBytes(6).toString("hex")}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(serverUrl, `create database ${name} template ${inject("templateDatabase")}`);
      break;
    } catch (error) {
      // Two clones of one template at the same instant can collide; retry briefly.
      if (attempt >= 20 || !String(error).includes("being accessed by other users")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 50));
    }
  }
  const url = withDatabase(serverUrl, name);
  const handle = openDatabase({ connectionString: url, maxConnections: 10 });
  return {
    ...handle,
    url,
    appUrl: withRole(url, testAppRole),
    name,
    async grantAppRole() {
      const client = await handle.pool.connect();
      try {
        await grantAppRole({ client, role: testAppRole.user });
      } finally {
        client.release();
      }
    },
    async drop() {
      await handle.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
