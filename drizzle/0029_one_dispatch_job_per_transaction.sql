-- abono_publish_events queues one `events.dispatch` job per transaction and queue: a later publishing
-- statement of the same transaction adds its events to the job an earlier one queued (still the
-- transaction's own, uncommitted row) instead of queueing another. A plan change published its events in
-- one statement and the entitlement.updated of its commit in a second, and each job cost the worker a
-- fetch, a transaction and a completion, plus the other idle workers' empty fetches.
CREATE OR REPLACE FUNCTION abono_publish_events(p_events jsonb) RETURNS TABLE (event_id text, event_sequence bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT e.position,
           coalesce(e.item->>'id', abono_event_id(coalesce((e.item->>'createdAt')::timestamptz, now()))) AS id,
           e.item->>'type' AS type,
           e.item->>'organizationId' AS organization_id,
           coalesce(e.item->>'organizationId', '') AS stream,
           e.item->'data' AS data,
           nullif(e.item->'previous', 'null'::jsonb) AS previous,
           coalesce((e.item->>'createdAt')::timestamptz, now()) AS created_at,
           coalesce((e.item->>'schemaVersion')::integer, 1) AS schema_version,
           -- An organization on a test clock has its jobs in the clock's queue, so an advance waits for them.
           coalesce(e.item->>'queueName',
                    (SELECT 'test_clock:' || o.test_clock_id FROM organizations o
                      WHERE o.id = e.item->>'organizationId' AND o.test_clock_id IS NOT NULL)) AS queue_name
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(item, position)
  ), counts AS (
    SELECT input.stream, count(*) AS n FROM input GROUP BY input.stream
  ), taken AS (
    INSERT INTO event_sequences AS s (organization_id, last_sequence)
    SELECT counts.stream, counts.n FROM counts ORDER BY counts.stream
    ON CONFLICT (organization_id) DO UPDATE SET last_sequence = s.last_sequence + excluded.last_sequence
    RETURNING s.organization_id AS stream, s.last_sequence AS last
  ), written AS (
    INSERT INTO events AS ev (id, type, organization_id, sequence, schema_version, data, previous, created_at)
    SELECT i.id, i.type, i.organization_id,
           t.last - c.n + row_number() OVER (PARTITION BY i.stream ORDER BY i.position),
           i.schema_version, i.data, i.previous, i.created_at
      FROM input i JOIN taken t ON t.stream = i.stream JOIN counts c ON c.stream = i.stream
    RETURNING ev.id, ev.type, ev.sequence
  ), batches AS (
    -- The statement's events per queue, and the dispatch job this transaction added for that queue
    -- before, if any (its id is kept in a transaction-local setting, reverted with a rolled-back savepoint).
    SELECT i.queue_name,
           jsonb_agg(w.id ORDER BY i.position) AS ids,
           nullif(current_setting('abono.dispatch_job_' || md5(coalesce(i.queue_name, '')), true), '')::bigint AS job_id
      FROM written w JOIN input i ON i.id = w.id
     GROUP BY i.queue_name
  ), appended AS (
    -- That job is this transaction's own row, invisible to every worker until the commit: it takes these
    -- events too, so a transaction that publishes several times (an operation's events, then the
    -- entitlement.updated its commit publishes) queues one job per queue.
    UPDATE graphile_worker._private_jobs AS j
       SET payload = json_build_object('eventIds', (j.payload::jsonb -> 'eventIds') || b.ids)
      FROM batches b
     WHERE j.id = b.job_id AND j.locked_at IS NULL
    RETURNING b.queue_name
  ), added AS (
    SELECT j.id, j.payload::jsonb -> 'eventIds' ->> 0 AS first_event_id
      FROM graphile_worker.add_jobs(array(
             SELECT json_populate_record(null::graphile_worker.job_spec, json_build_object(
                      'identifier', 'events.dispatch',
                      'payload', json_build_object('eventIds', b.ids),
                      'queue_name', b.queue_name))
               FROM batches b
              WHERE NOT EXISTS (SELECT 1 FROM appended a WHERE a.queue_name IS NOT DISTINCT FROM b.queue_name))) AS j
  ), jobs AS (
    SELECT count(set_config('abono.dispatch_job_' || md5(coalesce(b.queue_name, '')), a.id::text, true)) AS added
      FROM added a JOIN batches b ON b.ids ->> 0 = a.first_event_id
  ), deliveries AS (
    -- Each enabled endpoint taking the type gets its delivery in this very transaction: a stream's
    -- deliveries become visible in sequence order, so its worker never sends one before an earlier one.
    INSERT INTO webhook_deliveries AS d
      (id, endpoint_id, event_id, event_type, organization_id, stream, sequence, status, attempts,
       next_attempt_at, created_at)
    SELECT 'whd_' || substr(abono_event_id(now()), 5), e.id, w.id, w.type, i.organization_id, i.stream,
           w.sequence, 'pending', 0, now(), now()
      FROM written w
      JOIN input i ON i.id = w.id
      JOIN webhook_endpoints e
        ON e.status = 'enabled' AND ('*' = ANY (e.event_types) OR w.type = ANY (e.event_types))
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING d.endpoint_id, d.stream
  ), streams AS (
    -- The stream's job (src/webhooks/stream-jobs.ts): one per stream, keyed; one waiting for a retry
    -- keeps its time (job_key_preserve_run_at), so new events queue behind the failing one.
    SELECT count(*) AS added FROM graphile_worker.add_jobs(array(
      SELECT json_populate_record(null::graphile_worker.job_spec, json_build_object(
               'identifier', 'webhook.deliver',
               'payload', json_build_object('endpointId', s.endpoint_id, 'stream', s.stream),
               'job_key', 'webhook:' || s.endpoint_id || ':' || s.stream,
               'max_attempts', 25))
        FROM (SELECT DISTINCT endpoint_id, stream FROM deliveries) s), true)
  )
  SELECT w.id, w.sequence FROM written w CROSS JOIN jobs CROSS JOIN streams;
  -- The transaction's latest event time, for the events SQL publishes at its commit (entitlement.updated).
  PERFORM set_config('abono.event_time', abono_iso(greatest(
            nullif(current_setting('abono.event_time', true), '')::timestamptz,
            max((item->>'createdAt')::timestamptz))), true)
     FROM jsonb_array_elements(p_events) AS item
    WHERE item->>'createdAt' IS NOT NULL
   HAVING count(*) > 0;
END;
$$;
