import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** `(a, b) in ((…), (…))`: match rows by a composite key. */
export function tupleIn(columns: AnyPgColumn[], tuples: readonly unknown[][]): SQL {
  if (tuples.length === 0) return sql`false`;
  return sql`(${sql.join(columns, sql`, `)}) in (${sql.join(
    tuples.map(
      (tuple) =>
        sql`(${sql.join(
          tuple.map((value) => sql`${value}`),
          sql`, `,
        )})`,
    ),
    sql`, `,
  )})`;
}
