import type pg from "pg";

export const eventsPerBatch = 10_000;

export interface IngestionFigures {
  /**
   * Events per second of the raw single statement that does what the design must: claim the ids in
   * `raw_usage_event_ids` (`ON CONFLICT DO NOTHING`) and insert the claimed events into `raw_usage_events`,
   * partitioned by month like `usage_events` with the same indexes. The baseline of the ratio.
   */
  raw: number;
  /**
   * Events per second of a raw `INSERT … SELECT unnest … ON CONFLICT DO NOTHING` into
   * `raw_plain_usage_events`, one unpartitioned table unique on (organization_id, event_id): the shape
   * usage_events had before it was partitioned, kept to compare with earlier figures.
   */
  rawPlain: number;
  /** Events per second through `POST /v1/usage/batch`. */
  abono: number;
}

/**
 * Batch usage ingestion over HTTP (`POST /v1/usage/batch`, 10,000 events per request) beside two raw
 * inserts of the same rows on the same database (see `IngestionFigures`): into tables shaped like
 * `usage_events` and `usage_event_ids` (one statement claiming the ids and inserting the claimed events),
 * and into one plain table. Events go to `organizations` in turn, all for `feature`; their ids are
 * `<tag>-b<batch>-e<index>`, so every tag must be new to the database. `warmUp` sends one untimed batch on
 * each path; `measure` sends `batches` batches, each on the two raw paths and then over HTTP (the paths take
 * turns batch by batch, so the load of a busy machine weighs on them alike), and throws unless Abono
 * accepted every one.
 */
export async function prepareUsageIngestion({
  call,
  pool,
  organizations,
  feature,
}: {
  call<Body>(method: string, path: string, body: unknown): Promise<Body>;
  pool: pg.Pool;
  organizations: readonly string[];
  feature: string;
}): Promise<{
  warmUp(tag: string): Promise<void>;
  measure(tag: string, batches: number): Promise<IngestionFigures>;
}> {
  const batch = (tag: string, number: number) =>
    Array.from({ length: eventsPerBatch }, (_, index) => ({
      organizationId: organizations[index % organizations.length] ?? "",
      feature,
      quantity: 1,
      eventId: `${tag}-b${number}-e${index}`,
    }));
  // The current month's partition and the next (a run across the turn of a month).
  await pool.query(
    "create table if not exists raw_usage_events (like usage_events including all) partition by range (recorded_at)",
  );
  for (const [name, months] of [
    ["raw_usage_events_current", 0],
    ["raw_usage_events_next", 1],
  ] as const) {
    const from = `(date_trunc('month', now() at time zone 'UTC') + interval '${months} month') at time zone 'UTC'`;
    const to = `(date_trunc('month', now() at time zone 'UTC') + interval '${months + 1} month') at time zone 'UTC'`;
    await pool.query(
      `create table if not exists ${name} partition of raw_usage_events for values from (${from}) to (${to})`,
    );
  }
  await pool.query(
    "create table if not exists raw_usage_event_ids (like usage_event_ids including all)",
  );
  await pool.query(
    `create table if not exists raw_plain_usage_events (like usage_events including defaults,
       primary key (organization_id, event_id))`,
  );
  await pool.query(
    "create index if not exists raw_plain_usage_events_feature_idx on raw_plain_usage_events (organization_id, feature_key, occurred_at)",
  );
  const columns = (events: ReturnType<typeof batch>) => [
    events.map((event) => event.organizationId),
    events.map((event) => event.eventId),
    events.map((event) => event.feature),
    events.map((event) => event.quantity),
  ];
  const rawInsert = (events: ReturnType<typeof batch>) =>
    pool.query(
      `with x as (select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) as x(o, e, f, q)),
       claimed as (
         insert into raw_usage_event_ids (organization_id, event_id, recorded_at)
         select o, e, now() from x
         on conflict do nothing
         returning organization_id, event_id
       )
       insert into raw_usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
       select x.o, x.e, x.f, x.q, now(), now() from x join claimed c on c.organization_id = x.o and c.event_id = x.e`,
      columns(events),
    );
  const rawPlainInsert = (events: ReturnType<typeof batch>) =>
    pool.query(
      `insert into raw_plain_usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
       select o, e, f, q, now(), now() from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) as t(o, e, f, q)
       on conflict do nothing`,
      columns(events),
    );
  const send = async (events: ReturnType<typeof batch>) =>
    (await call<{ accepted: number }>("POST", "/v1/usage/batch", { events })).accepted;
  return {
    async warmUp(tag) {
      await rawPlainInsert(batch(tag, 0));
      await rawInsert(batch(tag, 0));
      await send(batch(tag, 0));
    },
    async measure(tag, batches) {
      const total = batches * eventsPerBatch;
      const rate = (ms: number) => Math.floor((total / ms) * 1000);
      // Batch by batch, each path in turn, so that a busy machine's swings weigh on all three alike.
      let plainMs = 0;
      let rawMs = 0;
      let abonoMs = 0;
      let accepted = 0;
      const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
        const start = performance.now();
        const result = await work();
        return [result, performance.now() - start];
      };
      for (let number = 0; number < batches; number++) {
        const events = batch(tag, number);
        plainMs += (await timed(() => rawPlainInsert(events)))[1];
        rawMs += (await timed(() => rawInsert(events)))[1];
        const [sent, ms] = await timed(() => send(events));
        accepted += sent;
        abonoMs += ms;
      }
      if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
      return { raw: rate(rawMs), rawPlain: rate(plainMs), abono: rate(abonoMs) };
    },
  };
}
