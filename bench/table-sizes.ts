import type { Queryable } from "./seed-usage-events.ts";

export interface TableSize {
  table: string;
  rows: number;
  /** `pg_total_relation_size`: the table, its indexes and TOAST (and, when partitioned, its partitions'). */
  bytes: number;
}

/**
 * Exact row counts and disk use of `tables`, and `pg_database_size` of the current database. A partitioned
 * table's size is the sum over its partitions (`pg_partition_tree`, empty for a plain table).
 */
export async function tableSizes(
  db: Queryable,
  tables: readonly string[],
): Promise<{ tables: TableSize[]; databaseBytes: number }> {
  const sizes: TableSize[] = [];
  for (const table of tables) {
    const { rows } = await db.query(
      `select (select count(*) from ${table})::bigint as rows,
              coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree($1::regclass)),
                       pg_total_relation_size($1::regclass))::bigint as bytes`,
      [table],
    );
    sizes.push({ table, rows: Number(rows[0]?.rows), bytes: Number(rows[0]?.bytes) });
  }
  const { rows } = await db.query("select pg_database_size(current_database())::bigint as bytes");
  return { tables: sizes, databaseBytes: Number(rows[0]?.bytes) };
}

/** Bytes as MiB or GiB, one decimal. */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(1)} GiB`
    : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
