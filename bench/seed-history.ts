/**
 * The history tables of a platform after a year of business, written set-based (`insert … select … from
 * generate_series`) in statements of `chunk` rows: audit entries (with their hash-chain links), invoices
 * with their lines, and inbound payment-provider events. Row `g` (numbered from `from + 1` to
 * `from + count`, so consecutive ranges top a table up) belongs to organization `<prefix>-<1 + g %
 * organizations>` (seed-organizations.ts's ids, which must exist: invoices reference them), and its
 * instant is spread over the 365 days before `now` like the usage events (seed-usage-events.ts). Ids are
 * the prefix and `g` in 26 hexadecimal digits, so they sort in `g`'s order and before live ids (ulids).
 */
import type { Queryable } from "./seed-usage-events.ts";

export interface HistorySeed {
  db: Queryable;
  from: number;
  count: number;
  organizations: number;
  prefix?: string;
  now: Date;
  chunk?: number;
  progress?: (written: number) => void;
}

const spreadSeconds = 365 * 24 * 3600;

/** SQL for row `g`'s organization id, id with `kind`'s prefix, and instant ($1 prefix, $2 organizations, $5 now). */
const organizationOf = `$1 || '-' || lpad((1 + g % $2)::text, 6, '0')`;
const idOf = (kind: string) => `'${kind}_' || upper(lpad(to_hex(g), 26, '0'))`;
const instantOf = `$5::timestamptz - interval '5 seconds' - ((g * 2654435761) % ${spreadSeconds}) * interval '1 second'`;

/** Runs `write` for each chunk, in a transaction, with $1 … $5 bound to prefix, organizations, start, end and now. */
async function inChunks(
  { db, from, count, organizations, prefix = "org", now, chunk = 1_000_000, progress }: HistorySeed,
  write: (values: unknown[]) => Promise<void>,
) {
  for (let start = from + 1; start <= from + count; start += chunk) {
    const end = Math.min(start + chunk - 1, from + count);
    await db.query("begin");
    try {
      await write([prefix, organizations, start, end, now.toISOString()]);
      await db.query("commit");
    } catch (error) {
      await db.query("rollback");
      throw error;
    }
    progress?.(end - from);
  }
}

/**
 * Audit entries: six actions in turn, by root, the billing system or the organization's owner, with small
 * before/after documents, a reason for 1 in 10. Their hash-chain links are written in the same statement
 * order with the chain's trigger off for the seed (in its transaction only): the links chain to each
 * other (each `prev_hash` is the previous link's `hash`, the first the chain's head at the seed) but their
 * hashes are placeholders that do not cover the entries, so `abono audit verify` reports a seeded chain
 * as broken. What the benchmark needs is the tables' size and the chain's head, which live links read.
 * `db` must be a single connection (a pg.Client or a pool's client): the chunks are transactions.
 */
export async function seedAuditLogs(seed: HistorySeed): Promise<void> {
  await inChunks(seed, async (values) => {
    const { db } = seed;
    await db.query("alter table audit_logs disable trigger audit_logs_chain");
    await db.query(
      `insert into audit_logs (id, action, actor, organization_id, reason, before, after, metadata,
                               request_id, created_at)
       select ${idOf("aud")},
              (array['organization.updated', 'subscription.plan_changed', 'entitlement.override_set',
                     'invoice.voided', 'balance.adjusted', 'api_key.created'])[1 + g % 6],
              case g % 4 when 0 then 'root' when 1 then 'system:billing'
                         else 'user:owner-' || (1 + g % $2) end,
              ${organizationOf},
              case when g % 10 = 0 then 'Requested by the customer by email' end,
              jsonb_build_object('status', 'active', 'planId', 'plus', 'seats', 5),
              jsonb_build_object('status', case when g % 2 = 0 then 'active' else 'suspended' end,
                                 'planId', 'premium', 'seats', 5 + g % 10),
              jsonb_build_object('ip', '203.0.113.' || g % 250, 'userAgent', 'abono-backoffice'),
              'req_' || upper(lpad(to_hex(g), 26, '0')), ${instantOf}
         from generate_series($3::bigint, $4::bigint) g`,
      values,
    );
    const { rows } = await db.query(
      "select seq, hash from audit_chain order by seq desc limit 1 for update",
    );
    const headSeq = BigInt(String(rows[0]?.seq ?? 0));
    const headHash = String(rows[0]?.hash ?? "0".repeat(64));
    const link = (seq: string) =>
      `encode(sha256(convert_to('bench-link-' || ${seq}, 'UTF8')), 'hex')`;
    const idAt = (parameter: string) =>
      `'aud_' || upper(lpad(to_hex(${parameter}::bigint), 26, '0'))`;
    await db.query(
      `insert into audit_chain (seq, audit_id, format, prev_hash, hash, chained_at)
       select s, id, 1, case when s = $3::bigint + 1 then $4 else ${link("(s - 1)")} end, ${link("s")},
              created_at
         from (select $3::bigint + row_number() over (order by id) as s, id, created_at
                 from audit_logs where id between ${idAt("$1")} and ${idAt("$2")}) l`,
      [values[2], values[3], headSeq.toString(), headHash],
    );
    await db.query("alter table audit_logs enable trigger audit_logs_chain");
  });
}

/**
 * Invoices with their lines: monthly subscription renewals (Plus or Premium, `billing_reason`
 * `subscription_cycle`, USD), numbered `B-<g>`; 1 in 50 void, 1 in 25 open, the rest paid. Lines: the plan,
 * extra seats, and metered usage when there is some. 1 in 10 has a 10 % discount on the plan line and 1 in 3
 * a 21 % tax (exclusive, per line, rounded down); the totals respect the table's checks.
 */
export async function seedInvoices(seed: HistorySeed): Promise<void> {
  const amounts = `
    select g, ${organizationOf} as organization_id, 4000 + 6000 * (g % 2) as plan, 1000 * (1 + g % 4) as seats, 100 * (g % 13) as usage,
           case when g % 10 = 0 then (4000 + 6000 * (g % 2)) / 10 else 0 end as plan_discount,
           case when g % 3 = 0 then 21 else 0 end as rate,
           case when g % 50 = 0 then 'void' when g % 25 = 1 then 'open' else 'paid' end as status,
           date_trunc('month', ${instantOf}) as period_start
      from generate_series($3::bigint, $4::bigint) g`;
  await inChunks(seed, async (values) => {
    await seed.db.query(
      `with a as (${amounts}),
            t as (select a.*, (plan - plan_discount) * rate / 100 + seats * rate / 100 + usage * rate / 100 as tax,
                         plan + seats + usage - plan_discount as net
                    from a)
       insert into invoices (id, number, organization_id, subscription_id, kind, document_type, status,
                             billing_reason, currency, locale, subtotal, discount, tax, tax_included, total,
                             balance_applied, credited_to_balance, amount_due, amount_paid, customer_details,
                             period_start, period_end, period_key, created_at, finalized_at, paid_at, voided_at)
       select ${idOf("inv")}, 'B-' || lpad(g::text, 10, '0'), ${organizationOf}, 'sub_' || ${organizationOf},
              'subscription', 'invoice', status, 'subscription_cycle', 'USD', 'en',
              plan + seats + usage, plan_discount, tax, 0, net + tax, 0, 0,
              case when status = 'void' then 0 else net + tax end,
              case when status = 'paid' then net + tax else 0 end,
              jsonb_build_object('name', 'Customer ' || (1 + g % $2), 'email', 'owner-' || (1 + g % $2) || '@example.com',
                                 'address', jsonb_build_object('country', 'ES', 'city', 'Madrid', 'line1', 'Calle Mayor ' || g % 200)),
              period_start, period_start + interval '1 month', 'bench:' || ${idOf("inv")},
              period_start, period_start, case when status = 'paid' then period_start + interval '2 minutes' end,
              case when status = 'void' then period_start + interval '3 days' end
         from t`,
      values,
    );
    await seed.db.query(
      `with a as (${amounts})
       insert into invoice_lines (invoice_id, organization_id, position, kind, description, amount, discount, addon_id, quantity,
                                  unit_amount, proration, period_start, period_end, taxable_amount, tax_amount,
                                  tax_rate_id, tax_name, tax_percentage, tax_inclusive)
       select ${idOf("inv")}, a.organization_id, p, l.kind, l.description, l.amount, l.discount, l.addon_id, l.quantity, l.unit_amount,
              false, period_start, period_start + interval '1 month', l.amount - l.discount,
              (l.amount - l.discount) * rate / 100,
              case when rate > 0 then 'txr_vat_es' end, case when rate > 0 then 'IVA' end,
              case when rate > 0 then 21.0000 end, case when rate > 0 then false end
         from a, generate_series(1, 3) p,
              lateral (select case p when 1 then 'plan' when 2 then 'addon' else 'usage' end as kind,
                              case p when 1 then case when g % 2 = 1 then 'Premium (monthly)' else 'Plus (monthly)' end
                                     when 2 then 'Extra seats' else 'API calls beyond the allowance' end as description,
                              case p when 1 then plan when 2 then seats else usage end as amount,
                              case p when 1 then plan_discount else 0 end as discount,
                              case p when 2 then 'seats' end as addon_id,
                              case p when 1 then 1 when 2 then 1 + g % 4 else g % 13 end as quantity,
                              case p when 1 then plan when 2 then 1000 else 100 end as unit_amount) l
        where p < 3 or usage > 0`,
      values,
    );
  });
}

/**
 * Inbound payment-provider events as received: Stripe, PayPal and Mercado Pago in turn, a JSON body of
 * about 400 bytes with its SHA-256 and size; 1 in 200 unverified (a bad signature, ignored), 1 in 20 of
 * the rest a duplicate delivery, the others processed 40 ms after they arrived.
 */
export async function seedPaymentEvents(seed: HistorySeed): Promise<void> {
  await inChunks(seed, async (values) => {
    await seed.db.query(
      `insert into payment_events (id, provider, provider_event_id, event_type, verified, verification_error,
                                   headers, query, body, body_sha256, body_bytes, outcome, received_at,
                                   processed_at)
       select ${idOf("pev")}, provider, provider_event_id, event_type, verified,
              case when not verified then 'signature mismatch' end,
              jsonb_build_object('content-type', 'application/json', 'user-agent', provider || '-webhooks/1.0',
                                 'x-request-id', md5(g::text)),
              '{}'::jsonb, body, encode(sha256(convert_to(body, 'UTF8')), 'hex'),
              octet_length(body),
              case when not verified then 'ignored: unverified' when g % 20 = 0 then 'duplicate' else 'processed' end,
              received_at, received_at + interval '40 milliseconds'
         from generate_series($3::bigint, $4::bigint) g,
              lateral (select (array['stripe', 'paypal', 'mercadopago'])[1 + g % 3] as provider,
                              'evt_' || substr(md5('provider-event-' || g), 1, 24) as provider_event_id,
                              (array['payment_intent.succeeded', 'PAYMENT.CAPTURE.COMPLETED', 'payment'])[1 + g % 3]
                                as event_type,
                              g % 200 <> 0 as verified, ${instantOf} as received_at) e,
              lateral (select jsonb_build_object(
                         'id', provider_event_id, 'type', event_type, 'created', extract(epoch from received_at)::bigint,
                         'data', jsonb_build_object(
                           'object', jsonb_build_object(
                             'id', 'pi_' || substr(md5('payment-' || g), 1, 24), 'amount', 4000 + 6000 * (g % 2),
                             'currency', 'usd', 'status', 'succeeded', 'customer', 'cus_' || ${organizationOf},
                             'metadata', jsonb_build_object('organizationId', ${organizationOf},
                                                            'checkoutId', 'chk_' || upper(lpad(to_hex(g), 26, '0'))))))::text
                         as body) b`,
      values,
    );
  });
}
