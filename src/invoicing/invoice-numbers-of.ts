import { inArray } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { invoices } from "../db/schema/index.ts";

/** The numbers of these invoices (a credit note's corrected invoices), their ids where they have none, in the order given. */
export async function invoiceNumbersOf({
  executor,
  invoiceIds,
}: {
  executor: Executor;
  invoiceIds: readonly string[];
}): Promise<string[]> {
  if (invoiceIds.length === 0) return [];
  const rows = await executor
    .select({ id: invoices.id, number: invoices.number })
    .from(invoices)
    .where(inArray(invoices.id, [...invoiceIds]));
  const numberOf = new Map(rows.map((row) => [row.id, row.number ?? row.id]));
  return invoiceIds.map((id) => numberOf.get(id) ?? id);
}
