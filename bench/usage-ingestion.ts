import type pg from "pg";

export const eventsPerBatch = 10_000;

export interface IngestionFigures {
  /** Events per second of the raw `INSERT … SELECT unnest` into `raw_usage_events`. */
  raw: number;
  /** Events per second through `POST /v1/usage/batch`. */
  abono: number;
}

/**
 * Batch usage ingestion over HTTP (`POST /v1/usage/batch`, 10,000 events per request) beside a raw
 * `INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING` of the same rows into `raw_usage_events`, a table made
 * `like usage_events including all` (same columns and indexes) on the same database. Events go to
 * `organizations` in turn, all for `feature`; their ids are `<tag>-b<batch>-e<index>`, so every tag must be
 * new to the database. `warmUp` sends one untimed batch on each path; `measure` sends `batches` batches on
 * the raw path, then the same events over HTTP, and throws unless Abono accepted every one.
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
  await pool.query("create table if not exists raw_usage_events (like usage_events including all)");
  const rawInsert = (events: ReturnType<typeof batch>) =>
    pool.query(
      `insert into raw_usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
       select o, e, f, q, now(), now() from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) as t(o, e, f, q)
       on conflict do nothing`,
      [
        events.map((event) => event.organizationId),
        events.map((event) => event.eventId),
        events.map((event) => event.feature),
        events.map((event) => event.quantity),
      ],
    );
  const send = async (events: ReturnType<typeof batch>) =>
    (await call<{ accepted: number }>("POST", "/v1/usage/batch", { events })).accepted;
  return {
    async warmUp(tag) {
      await rawInsert(batch(tag, 0));
      await send(batch(tag, 0));
    },
    async measure(tag, batches) {
      const total = batches * eventsPerBatch;
      const rate = (ms: number) => Math.floor((total / ms) * 1000);
      const rawStart = performance.now();
      for (let number = 0; number < batches; number++) await rawInsert(batch(tag, number));
      const rawMs = performance.now() - rawStart;
      const abonoStart = performance.now();
      let accepted = 0;
      for (let number = 0; number < batches; number++) accepted += await send(batch(tag, number));
      const abonoMs = performance.now() - abonoStart;
      if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
      return { raw: rate(rawMs), abono: rate(abonoMs) };
    },
  };
}
