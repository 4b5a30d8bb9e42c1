import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { insertJsonRows } from "../db/insert-json-rows.ts";
import {
  balanceTransactions,
  invoiceLines,
  invoiceNumberSequences,
  invoices,
  payments,
} from "../db/schema/index.ts";
import { eventRowsOf, type NewEvent } from "../events/publish-event.ts";

/** The invoice-event types whose `number` is the invoice's. */
const numberedEventTypes = ["invoice.created", "invoice.paid"];

/** Stands for the invoice's number in a ledger entry's description until the number is known. */
const numberToken = "{{abono:invoice-number}}";

export interface NumberedLedgerEntry
  extends Omit<typeof balanceTransactions.$inferInsert, "description"> {
  invoiceId: string;
  /** The entry's description, naming the invoice's number. */
  description(args: { number: string }): string;
}

/**
 * The writes of a renewal batch that name its invoices' numbers, in ONE statement: the block of gapless
 * numbers taken from the issuer's counter (`<prefix>-000001`…, in the order of `invoiceRows`), the
 * invoices numbered from it, their lines and payments, the ledger entries naming the numbers and the
 * batch's domain events (`invoice.created` and `invoice.paid` with the number). The counter row stays
 * locked from this statement to the commit, and every other batch waits for it: one round trip, with
 * nothing for this process to do in between, keeps that wait as short as the writes themselves. The
 * numbers are taken in the transaction that writes the invoices, so a batch that fails returns them.
 */
export async function writeNumberedRenewals({
  executor,
  prefix,
  invoiceRows,
  lineRows,
  paymentRows,
  ledgerRows,
  events,
}: {
  executor: Executor;
  prefix: string;
  invoiceRows: readonly Omit<typeof invoices.$inferInsert, "number">[];
  lineRows: readonly (typeof invoiceLines.$inferInsert)[];
  paymentRows: readonly (typeof payments.$inferInsert)[];
  ledgerRows: readonly NumberedLedgerEntry[];
  events: readonly NewEvent[];
}): Promise<void> {
  const count = invoiceRows.length;
  const writes: SQL[] = [
    sql`taken as (
      insert into ${invoiceNumberSequences} (issuer, last_number) values (${prefix}, ${count})
      on conflict (issuer) do update set last_number = ${invoiceNumberSequences.lastNumber} + ${count}
      returning last_number - ${count} as base)`,
    sql`numbered as (
      select r.id, ${prefix} || '-' || lpad(n::text, greatest(6, length(n::text)), '0') as number
        from unnest(${sql.param(invoiceRows.map((row) => row.id))}::text[]) with ordinality as r(id, position)
        cross join taken cross join lateral (select taken.base + r.position as n) as k)`,
  ];
  // Each table's rows as one JSON document (see insertJsonRows): a parameter per value would cost this
  // process more CPU than the database spends writing them.
  const written = (name: string, inserts: SQL[]) =>
    inserts.map((insert, index) => sql`${sql.raw(`written_${name}_${index}`)} as (${insert})`);
  if (count > 0)
    writes.push(
      ...written(
        "invoices",
        insertJsonRows({
          table: invoices,
          rows: invoiceRows,
          set: { number: sql`(select n.number from numbered n where n.id = r.id)` },
        }),
      ),
    );
  if (lineRows.length > 0)
    writes.push(...written("lines", insertJsonRows({ table: invoiceLines, rows: lineRows })));
  if (paymentRows.length > 0)
    writes.push(...written("payments", insertJsonRows({ table: payments, rows: paymentRows })));
  if (ledgerRows.length > 0) {
    writes.push(
      ...written(
        "ledger",
        insertJsonRows({
          table: balanceTransactions,
          // The description names the number by a token, replaced by the number taken above.
          rows: ledgerRows.map(({ description, ...row }) => ({
            ...row,
            description: description({ number: numberToken }),
          })),
          set: {
            description: sql`replace(r.description, ${numberToken}, (select n.number from numbered n where n.id = r.invoice_id))`,
          },
        }),
      ),
    );
  }
  const { rows: items } = eventRowsOf(events);
  await executor.execute(sql`
    with ${sql.join(writes, sql`, `)}
    select count(*) from abono_publish_events((
      select coalesce(jsonb_agg(
               case when e.item->>'type' = any(${sql.param(numberedEventTypes)}::text[]) and n.number is not null
                    then jsonb_set(e.item, '{data,number}', to_jsonb(n.number)) else e.item end
               order by e.position), '[]'::jsonb)
        from jsonb_array_elements(${JSON.stringify(items)}::jsonb) with ordinality as e(item, position)
        left join numbered n on n.id = e.item->'data'->>'invoiceId'))`);
}
