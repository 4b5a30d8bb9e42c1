import { type SQL, sql } from "drizzle-orm";

const needsEscape = /["\\]/;

/**
 * An array bound as one PostgreSQL array literal (`{"a","b",NULL}`), for `unnest` over thousands of values.
 * node-postgres would escape each element with two regular expressions; values without `"` or `\` (ids,
 * keys, numbers, ISO dates: nearly always) are quoted as they are, anything else falls back to it.
 */
export function arrayParam(values: readonly (string | null)[]): SQL {
  let plain = true;
  for (const value of values) {
    if (value !== null && needsEscape.test(value)) {
      plain = false;
      break;
    }
  }
  if (!plain) return sql`${sql.param(values)}`;
  let literal = "{";
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) literal += ",";
    literal += value === null || value === undefined ? "NULL" : `"${value}"`;
  }
  return sql`${sql.param(`${literal}}`)}`;
}
