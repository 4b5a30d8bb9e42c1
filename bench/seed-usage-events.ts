/**
 * The stored usage events of a platform after a year of business, written set-based (`insert … select …
 * from generate_series`). Everything `usage_events`-specific the growth benchmark does is here, so a change
 * to that table (its partitioning, a separate table of event ids for deduplication) is adapted in this
 * file only.
 */

export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Seeded events are spread over the 365 days before `now`. */
const spreadSeconds = 365 * 24 * 3600;

const monthStart = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
const nextMonth = (date: Date) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * When `usage_events` is partitioned (by month on `recorded_at`, partitions `usage_events_YYYY_MM`),
 * creates the monthly partitions that hold the seeded range and the next month (what live ingestion
 * writes), if missing. Returns the partitions' names, or nothing for a plain table.
 */
export async function ensureUsageEventPartitions(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query(
    "select relkind from pg_class where relname = 'usage_events' and pg_table_is_visible(oid)",
  );
  if (rows[0]?.relkind !== "p") return [];
  const names: string[] = [];
  const last = nextMonth(now);
  for (
    let month = monthStart(new Date(now.getTime() - spreadSeconds * 1000));
    month <= last;
    month = nextMonth(month)
  ) {
    const name = `usage_events_${day(month).slice(0, 7).replace("-", "_")}`;
    await db.query(
      `create table if not exists ${name} partition of usage_events
         for values from ('${day(month)}') to ('${day(nextMonth(month))}')`,
    );
    names.push(name);
  }
  return names;
}

/**
 * Appends events number `from + 1` to `from + count` (so calls with consecutive ranges top up the table),
 * in statements of `chunk` rows each, calling `progress` after each. Event `g` belongs to organization
 * `<prefix>-<1 + g % organizations>` (zero-padded to 6 digits, as seed-organizations.ts names them), so
 * every organization gets the same share; its id is `evt_` and `g` zero-padded to 12 digits (unique, and
 * increasing within an organization as a client's own ids often are); 4 in 5 are `api_calls`, the rest
 * `emails_sent`; quantities 1 to 13; `occurred_at` spread over the 365 days before `now` (a step of 2,654,435,761
 * seconds modulo one year, so even a few events cover the year); `recorded_at` up to 5 s later (and before `now`).
 * Every event's id is claimed in `usage_event_ids` (with its `recorded_at`), as live ingestion claims it.
 * The usage counters are left alone: checks read the counters of the current period, not the events.
 */
export async function seedUsageEvents({
  db,
  from,
  count,
  organizations,
  prefix = "org",
  now,
  chunk = 2_000_000,
  progress = () => {},
}: {
  db: Queryable;
  from: number;
  count: number;
  organizations: number;
  prefix?: string;
  now: Date;
  chunk?: number;
  progress?: (written: number) => void;
}): Promise<void> {
  for (let start = from + 1; start <= from + count; start += chunk) {
    const end = Math.min(start + chunk - 1, from + count);
    // Each event claims its id in usage_event_ids in the same statement, as live ingestion does.
    await db.query(
      `with events as (
         insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
         select $1 || '-' || lpad((1 + g % $2)::text, 6, '0'), 'evt_' || lpad(g::text, 12, '0'),
                case when g % 5 = 0 then 'emails_sent' else 'api_calls' end, 1 + (g % 7) * (g % 3),
                t.occurred_at, t.occurred_at + (g % 5000) * interval '1 millisecond'
           from generate_series($3::bigint, $4::bigint) g,
                lateral (select $5::timestamptz - interval '5 seconds' - ((g * 2654435761) % $6) * interval '1 second'
                                as occurred_at) t
         returning organization_id, event_id, recorded_at
       )
       insert into usage_event_ids (organization_id, event_id, recorded_at)
       select organization_id, event_id, recorded_at from events`,
      [prefix, organizations, start, end, now.toISOString(), spreadSeconds],
    );
    progress(end - from);
  }
}
