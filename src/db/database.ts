import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { currentCommitContext } from "./commit-guard.ts";
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
  const db = guardCommits(drizzle({ client: pool, schema }));
  return { pool, db, close: () => pool.end() };
}

/**
 * Every top-level transaction runs the current commit guard (src/db/commit-guard.ts), if any, as its
 * last statement: a transaction opened for a request that lost its Idempotency-Key rolls back. Under a
 * commit holder (src/db/held-commit.ts) it then stays open until the request's answer is written into it.
 */
function guardCommits(db: Database): Database {
  const transaction = db.transaction.bind(db);
  db.transaction = ((run, config) => {
    const context = currentCommitContext();
    if (!context) return transaction(run, config);
    const { guard, holder, afterCommit } = context;
    if (holder) {
      return holder.run((park) =>
        transaction(async (tx) => {
          const result = await run(tx);
          await guard(tx);
          await park(tx, result);
          return result;
        }, config),
      );
    }
    return transaction(async (tx) => {
      const result = await run(tx);
      await guard(tx);
      return result;
    }, config).then((result) => {
      afterCommit?.();
      return result;
    });
  }) as Database["transaction"];
  return db;
}
