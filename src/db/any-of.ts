import type { SQL } from "drizzle-orm";
import { sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { arrayParam } from "./array-param.ts";

/**
 * `column = any($1::text[])`: what `inArray(column, values)` matches, with the values bound as ONE array
 * parameter instead of one parameter each (for a batch's hundred ids, most of the cost of building and
 * sending the query). For text columns.
 */
export function anyOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${arrayParam(values)}::text[])`;
}
