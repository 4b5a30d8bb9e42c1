import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import { PgJson, PgJsonb, type PgTable } from "drizzle-orm/pg-core";

/**
 * `insert into <table> (…) select … from json_populate_recordset(null::<table>, $1)`: many rows bound as
 * ONE JSON document instead of a parameter per value. It writes what `executor.insert(table).values(rows)`
 * writes — the same columns and values, each column's `$defaultFn` called for a row that leaves it out,
 * the schema's default where a row leaves out a column that has one, null where it has none — at a fraction of the client's CPU:
 * Drizzle builds and node-postgres serializes one parameter per value, which for a batch of a hundred
 * invoices with their lines is thousands of them. Each column's value goes through the column's own
 * mapping (dates as ISO text, bigint amounts as text); json and jsonb values are embedded as they are.
 *
 * `set` gives some columns an SQL expression instead of the row's value; it may read the row's columns as
 * `r.<column>` (for example a number taken in an earlier CTE, looked up by `r.id`). Rows that leave out
 * different defaulted columns need different column lists: the answer is one statement per such group
 * (a single one in the usual case), to run in order or as CTEs of one statement.
 */
export function insertJsonRows<Table extends PgTable>({
  table,
  rows,
  set = {},
}: {
  table: Table;
  rows: readonly Table["$inferInsert"][];
  set?: Partial<Record<keyof Table["$inferInsert"] & string, SQL>>;
}): SQL[] {
  const setColumns = set as Record<string, SQL | undefined>;
  // What each value needs, worked out once per column, not per value.
  const columns = Object.entries(getTableColumns(table))
    // Generated columns, as Drizzle leaves them out (`shouldDisableInsert` is not in its typings).
    .filter(
      ([, column]) =>
        !(column as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert(),
    )
    .map(([key, column]) => ({
      key,
      column,
      name: column.name,
      fromSet: setColumns[key] !== undefined,
      asIs: is(column, PgJson) || is(column, PgJsonb),
    }));
  const nameOf = new Map(columns.map(({ key, name }) => [key, name]));
  const groups = new Map<string, { columns: string[]; values: Record<string, unknown>[] }>();
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    const value: Record<string, unknown> = {};
    const listed: string[] = [];
    let omitted = "";
    for (const { key, column, name, fromSet, asIs } of columns) {
      let item = record[key];
      if (item === undefined && !fromSet) {
        if (column.defaultFn !== undefined) item = column.defaultFn();
        else if (!column.default && column.onUpdateFn !== undefined) item = column.onUpdateFn();
        if (item === undefined && column.hasDefault) {
          // The database's default for this row: left out of the column list.
          omitted += `${key},`;
          continue;
        }
      }
      listed.push(key);
      if (item === undefined || item === null) continue;
      if (item instanceof SQL)
        throw new Error(`insertJsonRows: ${name} is an SQL expression; give it in \`set\``);
      value[name] = asIs
        ? item
        : typeof item === "bigint"
          ? item.toString()
          : column.mapToDriverValue(item);
    }
    const group = groups.get(omitted) ?? { columns: listed, values: [] };
    group.values.push(value);
    groups.set(omitted, group);
  }
  return [...groups.values()].map((group) => {
    const names = group.columns.map((key) => sql.identifier(nameOf.get(key) ?? key));
    const selected = group.columns.map((key, index) => setColumns[key] ?? sql`r.${names[index]}`);
    return sql`insert into ${table} (${sql.join(names, sql`, `)})
      select ${sql.join(selected, sql`, `)}
        from json_populate_recordset(null::${table}, ${JSON.stringify(group.values)}::json) as r`;
  });
}
