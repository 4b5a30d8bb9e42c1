import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema/index.ts";

export type Database = NodePgDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** A Drizzle handle usable inside or outside a transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

// Return int8 and numeric columns as strings; domain code converts them to bigint explicitly.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export function openDatabase({
  connectionString,
  maxConnections = 20,
  applicationName = "abono",
}: {
  connectionString: string;
  maxConnections?: number;
  applicationName?: string;
}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    application_name: applicationName,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = drizzle({ client: pool, schema });
  return { pool, db, close: () => pool.end() };
}
