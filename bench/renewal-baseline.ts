import type pg from "pg";

/**
 * The physical limit of a billing run on this machine: the very rows the renewals of the `from` cohort
 * wrote (invoices numbered from the same gapless counter, their lines, payments, ledger entries, audit
 * entries with their hash-chain links, domain events through `abono_publish_events` with their jobs,
 * the subscription and entitlement updates) written again for the `to` cohort — a second set of
 * organizations seeded alike but not due — with set-based SQL and nothing else: no provider call, no
 * pricing, no reads beyond the statements themselves.
 *
 * `prepare` copies the rows into staging tables, re-keyed (ids and organizations renamed), untimed;
 * `run` writes them, `chunkSize` organizations per transaction, `concurrency` transactions at a time,
 * and returns the milliseconds it took.
 */
export async function prepareRenewalBaseline({
  pool,
  from,
  to,
  chunkSize,
  issuer,
}: {
  pool: pg.Pool;
  /** The invoice-number prefix whose counter the renewals took their numbers from. */
  issuer: string;
  from: string;
  to: string;
  chunkSize: number;
}): Promise<{ chunks: number; run(concurrency: number): Promise<number> }> {
  const client = await pool.connect();
  // `table`'s rows rekeyed, as `r`. A lateral call: `(jsonb_populate_record(…)).*` in the select list
  // would run the function once per column (hours at a million rows).
  const rekeyed = (table: string, extra = "") =>
    `${table} t cross join lateral jsonb_populate_record(null::${table}_row, (${rekeyText(`to_jsonb(t)`, from, to)})::jsonb${extra}) r`;
  const chunkOf = (column: string) =>
    `((substring(${column} from ${to.length + 2})::int - 1) / ${chunkSize})`;
  const columns = new Map<string, string[]>();
  try {
    for (const table of [
      "invoices",
      "invoice_lines",
      "payments",
      "balance_transactions",
      "audit_logs",
    ]) {
      const { rows } = await client.query<{ column_name: string }>(
        `select column_name from information_schema.columns
          where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER'
          order by ordinal_position`,
        [table],
      );
      columns.set(
        table,
        rows.map((row) => row.column_name),
      );
      await client.query(`drop table if exists baseline_${table}`);
      // A composite type with the table's columns, for jsonb_populate_record.
      await client.query(`drop table if exists ${table}_row`);
      await client.query(`create unlogged table ${table}_row (like ${table})`);
    }
    await client.query(`
      create unlogged table baseline_invoices as
      select r.* from ${rekeyed("invoices")}
       where t.billing_reason = 'subscription_cycle' and t.organization_id like '${from}-%'`);
    await client.query(
      `alter table baseline_invoices add column chunk int; update baseline_invoices set chunk = ${chunkOf("organization_id")}`,
    );
    for (const table of ["invoice_lines", "payments", "balance_transactions"]) {
      await client.query(`
        create unlogged table baseline_${table} as
        select r.*
          from ${rekeyed(table, table === "payments" ? ` || jsonb_build_object('provider_payment_id', 'b' || t.provider_payment_id)` : "")}
         where t.invoice_id in (select id from invoices where billing_reason = 'subscription_cycle'
                                   and organization_id like '${from}-%')`);
      await client.query(
        `alter table baseline_${table} add column chunk int; update baseline_${table} set chunk = ${chunkOf("organization_id")}`,
      );
    }
    await client.query(`
      create unlogged table baseline_audit_logs as
      select r.* from ${rekeyed("audit_logs")}
       where t.actor = 'system:renewal' and t.organization_id like '${from}-%'`);
    await client.query(
      `alter table baseline_audit_logs add column chunk int; update baseline_audit_logs set chunk = ${chunkOf("organization_id")}`,
    );
    await client.query(`drop table if exists baseline_events`);
    await client.query(`
      create unlogged table baseline_events as
      select ${chunkOf(`replace(organization_id, '${from}', '${to}')`)} as chunk,
             jsonb_build_object('type', type, 'organizationId', replace(organization_id, '${from}', '${to}'),
                                'data', (${rekeyText("data", from, to)})::jsonb, 'previous', previous,
                                'createdAt', created_at, 'schemaVersion', schema_version) as item,
             organization_id, sequence
        from events where organization_id like '${from}-%' and sequence > 0
         and type <> 'entitlement.updated'`);
    // The subscription and entitlement rows as the renewals left them.
    await client.query(`drop table if exists baseline_subscriptions`);
    await client.query(`
      create unlogged table baseline_subscriptions as
      select ${chunkOf(`replace(organization_id, '${from}', '${to}')`)} as chunk,
             replace(id, '${from}', '${to}') as id, status, current_period_start, current_period_end,
             past_due_since, payment_attempts, next_payment_attempt_at, updated_at
        from subscriptions where organization_id like '${from}-%'`);
    await client.query(`drop table if exists baseline_entitlements`);
    await client.query(`
      create unlogged table baseline_entitlements as
      select ${chunkOf(`replace(organization_id, '${from}', '${to}')`)} as chunk,
             replace(organization_id, '${from}', '${to}') as organization_id, plan_id, plan_version, status,
             grace_ends_at, updated_at
        from organization_entitlements where organization_id like '${from}-%'`);
    for (const table of [
      "invoices",
      "invoice_lines",
      "payments",
      "balance_transactions",
      "audit_logs",
      "events",
      "subscriptions",
      "entitlements",
    ]) {
      await client.query(`create index on baseline_${table} (chunk)`);
      await client.query(`analyze baseline_${table}`);
    }
    const { rows } = await client.query<{ chunks: number }>(
      `select coalesce(max(chunk) + 1, 0)::int as chunks from baseline_subscriptions`,
    );
    const chunks = rows[0]?.chunks ?? 0;
    const names = (table: string) => (columns.get(table) ?? []).join(", ");
    const writeChunk = async (chunk: number) => {
      const connection = await pool.connect();
      try {
        await connection.query("begin");
        // In the batch's order: what needs no invoice number first, then the numbers (the issuer's
        // counter row stays locked to the commit) and what names them.
        await connection.query(
          `insert into audit_logs (${names("audit_logs")}) select ${names("audit_logs")} from baseline_audit_logs where chunk = $1`,
          [chunk],
        );
        await connection.query(
          `update subscriptions s
              set status = b.status, current_period_start = b.current_period_start,
                  current_period_end = b.current_period_end, past_due_since = b.past_due_since,
                  payment_attempts = b.payment_attempts, next_payment_attempt_at = b.next_payment_attempt_at,
                  updated_at = b.updated_at, renewal_failed_at = null, renewal_error = null,
                  renewal_attempts = 0, next_renewal_attempt_at = null
             from baseline_subscriptions b where b.chunk = $1 and s.id = b.id`,
          [chunk],
        );
        await connection.query(
          `update organization_entitlements e
              set plan_id = b.plan_id, plan_version = b.plan_version, status = b.status,
                  trial_ends_at = null, grace_ends_at = b.grace_ends_at, source = 'subscription',
                  manual_features = null, updated_at = b.updated_at
             from baseline_entitlements b where b.chunk = $1 and e.organization_id = b.organization_id`,
          [chunk],
        );
        // Gapless numbers from the issuer's counter, as the batch takes them.
        const numbered = "taken.last_number - taken.n + row_number() over (order by b.id)";
        await connection.query(
          `with counted as (select count(*)::int as n from baseline_invoices where chunk = $1),
                taken as (
                  update invoice_number_sequences s set last_number = s.last_number + counted.n
                    from counted where s.issuer = $2
                  returning s.issuer, s.last_number, counted.n)
           insert into invoices (${names("invoices")})
           select ${(columns.get("invoices") ?? [])
             .map((column) =>
               column === "number"
                 ? // Six digits at least, as the product numbers them (more past 999,999).
                   `taken.issuer || '-' || lpad((${numbered})::text, greatest(6, length((${numbered})::text)), '0')`
                 : `b.${column}`,
             )
             .join(", ")}
             from baseline_invoices b cross join taken where b.chunk = $1`,
          [chunk, issuer],
        );
        for (const table of ["invoice_lines", "payments", "balance_transactions"]) {
          await connection.query(
            `insert into ${table} (${names(table)}) select ${names(table)} from baseline_${table} where chunk = $1`,
            [chunk],
          );
        }
        await connection.query(
          `select count(*) from abono_publish_events(
             (select jsonb_agg(item order by organization_id, sequence) from baseline_events where chunk = $1))`,
          [chunk],
        );
        await connection.query("commit");
      } catch (error) {
        await connection.query("rollback");
        throw error;
      } finally {
        connection.release();
      }
    };
    return {
      chunks,
      async run(concurrency) {
        const started = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(concurrency, chunks) }, async () => {
            while (next < chunks) {
              const chunk = next;
              next += 1;
              await writeChunk(chunk);
            }
          }),
        );
        return performance.now() - started;
      },
    };
  } finally {
    client.release();
  }
}

/** A row's JSON text with the cohort renamed and every generated id made new (a suffix after its prefix). */
function rekeyText(expression: string, from: string, to: string): string {
  let text = `replace((${expression})::text, '${from}', '${to}')`;
  for (const prefix of ["inv", "ii", "pay", "txn", "aud", "evt", "il"]) {
    text = `replace(${text}, '"${prefix}_', '"${prefix}_b')`;
  }
  return text;
}
