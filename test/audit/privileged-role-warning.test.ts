import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { connect } from "../../src/db/connect.ts";
import type { Logger } from "../../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/** With one DATABASE_URL that owns the tables or is a superuser, the service says the trail is unprotected. */

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

async function warningsFor(environment: Record<string, string>): Promise<string[]> {
  const warnings: string[] = [];
  const logger = {
    warn: (_fields: unknown, message: string) => warnings.push(message),
    info: () => {},
  } as unknown as Logger;
  const connection = await connect({
    config: loadConfig({ ...environment, ABONO_LOG_LEVEL: "silent" }),
    logger,
    maxConnections: 1,
  });
  await connection.close();
  return warnings;
}

describe("the database role check at connect", () => {
  it("warns when DATABASE_URL is a superuser or the owner", async () => {
    const warnings = await warningsFor({ DATABASE_URL: database.url });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /is a superuser: the audit trail is tamper-evident .* not protected/,
    );
    expect(warnings[0]).toMatch(/ABONO_MIGRATION_DATABASE_URL/);
  });

  it("is quiet for a restricted role with the owner for migrations", async () => {
    expect(
      await warningsFor({
        DATABASE_URL: database.appUrl,
        ABONO_MIGRATION_DATABASE_URL: database.url,
      }),
    ).toEqual([]);
  });

  it("refuses ABONO_MIGRATION_DATABASE_URL without DATABASE_URL", () => {
    expect(() => loadConfig({ ABONO_MIGRATION_DATABASE_URL: database.url })).toThrow(
      /ABONO_MIGRATION_DATABASE_URL needs DATABASE_URL/,
    );
  });
});
