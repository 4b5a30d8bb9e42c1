import { and, gt, isNull, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** Query pieces shared by the catalog modules. */

/** Live entries only unless `includeArchived`, after `cursor` in key order. */
export function listFilter({
  archivedAt,
  includeArchived,
  key,
  cursor,
}: {
  archivedAt: AnyPgColumn;
  includeArchived: boolean;
  key: AnyPgColumn;
  cursor: string | undefined;
}): SQL | undefined {
  return and(
    includeArchived ? undefined : isNull(archivedAt),
    cursor === undefined ? undefined : gt(key, cursor),
  );
}

/** One key per `(id, version)` of a versioned entry, to match rows loaded together. */
export const versionKey = (id: string, version: number) => `${id}@${version}`;

/** `rows` grouped by `keyOf`, each group in the rows' order. */
export function groupBy<Row>(rows: Row[], keyOf: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
