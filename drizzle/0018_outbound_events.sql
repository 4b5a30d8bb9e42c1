CREATE TABLE "message_preferences" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"non_essential_emails" boolean NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_sequences" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"organization_id" text,
	"stream" text NOT NULL,
	"sequence" bigint NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_deliveries_status" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "webhook_delivery_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"status_code" integer,
	"response_excerpt" text,
	"error" text,
	"outcome" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"region" text,
	"event_types" text[] NOT NULL,
	"description" text,
	"status" text NOT NULL,
	"disabled_reason" text,
	"disabled_at" timestamp with time zone,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_endpoints_kind" CHECK ("webhook_endpoints"."kind" in ('webhook', 'sqs')),
	CONSTRAINT "webhook_endpoints_status" CHECK ("webhook_endpoints"."status" in ('enabled', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "webhook_streams" (
	"endpoint_id" text NOT NULL,
	"stream" text NOT NULL,
	"leased_until" timestamp with time zone NOT NULL,
	"lease_token" text NOT NULL,
	CONSTRAINT "webhook_streams_endpoint_id_stream_pk" PRIMARY KEY("endpoint_id","stream")
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "sequence" bigint;--> statement-breakpoint
-- Events recorded before sequences existed are numbered in id (creation) order, per organization.
UPDATE "events" e SET "sequence" = n.sequence
  FROM (SELECT id, row_number() OVER (PARTITION BY coalesce(organization_id, '') ORDER BY id) AS sequence FROM "events") n
 WHERE e.id = n.id;--> statement-breakpoint
INSERT INTO "event_sequences" (organization_id, last_sequence)
  SELECT coalesce(organization_id, ''), max("sequence") FROM "events" GROUP BY 1;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "sequence" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "schema_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "previous" jsonb;--> statement-breakpoint
ALTER TABLE "features" ADD COLUMN "usage_thresholds" integer[];--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "attachments" jsonb;--> statement-breakpoint
ALTER TABLE "message_preferences" ADD CONSTRAINT "message_preferences_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_delivery_attempts" ADD CONSTRAINT "webhook_delivery_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_streams" ADD CONSTRAINT "webhook_streams_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event_idx" ON "webhook_deliveries" USING btree ("endpoint_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_stream_idx" ON "webhook_deliveries" USING btree ("endpoint_id","stream","sequence") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "webhook_delivery_attempts_delivery_idx" ON "webhook_delivery_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_organization_sequence_idx" ON "events" USING btree ("organization_id","sequence");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type","id");;--> statement-breakpoint
-- Event ids made in SQL (entitlement.updated): "evt_" and a lower-case ULID, as src/ids.ts makes them.
CREATE FUNCTION abono_event_id(at timestamptz) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  ms constant bigint := floor(extract(epoch FROM at) * 1000)::bigint;
  random constant bytea := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
  id text := 'evt_';
BEGIN
  FOR position IN REVERSE 9..0 LOOP
    id := id || substr(alphabet, ((ms >> (position * 5)) & 31)::int + 1, 1);
  END LOOP;
  -- Bytes 0-5 and 16-25: none of them carries a UUID's fixed version or variant bits.
  FOR position IN 0..15 LOOP
    id := id || substr(alphabet, (get_byte(random, CASE WHEN position < 6 THEN position ELSE position + 10 END) & 31) + 1, 1);
  END LOOP;
  RETURN id;
END;
$$;
--> statement-breakpoint
-- An instant as the API writes it: 2026-01-15T09:30:00.000Z.
CREATE FUNCTION abono_iso(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
--> statement-breakpoint
-- The outbox's one writer (src/events/publish-event.ts calls it too). Each element of p_events is
-- {id?, type, organizationId, data, previous?, createdAt, schemaVersion?, queueName?} (queueName: by default
-- the organization's test clock queue, if any). Each organization's
-- events get the next numbers of its sequence: its event_sequences row stays locked until the commit, so
-- numbers follow commit order with no gap. One job per (type, queue) carries the new events' ids (their
-- messages to people), and every enabled webhook endpoint or queue taking a type gets its delivery.
CREATE FUNCTION abono_publish_events(p_events jsonb) RETURNS TABLE (event_id text, event_sequence bigint)
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
  ), jobs AS (
    SELECT count(*) AS added FROM graphile_worker.add_jobs(array(
      SELECT json_populate_record(null::graphile_worker.job_spec, json_build_object(
               'identifier', w.type,
               'payload', json_build_object('eventIds', json_agg(w.id ORDER BY w.sequence)),
               'queue_name', i.queue_name))
        FROM written w JOIN input i ON i.id = w.id
       GROUP BY w.type, i.queue_name))
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
--> statement-breakpoint
-- entitlement.updated: once per organization and transaction, at its commit, with the entitlement as it
-- then stands, whenever something it is defined by changed (its plan and status, add-ons, packs, root
-- overrides, the organization's status, the end of its provisioning). Usage and period roll-overs are not
-- such changes.
CREATE FUNCTION abono_entitlement_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_data record;
  target text;
  flag text;
  org organizations;
  entitlement organization_entitlements;
  at timestamptz;
BEGIN
  IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    target := row_data.id;
  ELSIF TG_TABLE_NAME = 'subscription_items' THEN
    SELECT organization_id INTO target FROM subscriptions WHERE id = row_data.subscription_id;
  ELSE
    target := row_data.organization_id;
  END IF;
  IF target IS NULL THEN RETURN NULL; END IF;
  flag := 'abono.entitlement_event_' || md5(target);
  IF current_setting(flag, true) = '1' THEN RETURN NULL; END IF;
  SELECT * INTO org FROM organizations WHERE id = target;
  IF NOT FOUND OR org.provisioning_status <> 'active' THEN RETURN NULL; END IF;
  SELECT * INTO entitlement FROM organization_entitlements WHERE organization_id = target;
  IF NOT FOUND THEN RETURN NULL; END IF;
  PERFORM set_config(flag, '1', true);
  -- Dated like the other events of its transaction (the operation's "now"), else by the clock.
  at := coalesce(nullif(current_setting('abono.event_time', true), '')::timestamptz,
                 (SELECT frozen_time FROM test_clocks WHERE id = org.test_clock_id), now());
  PERFORM abono_publish_events(jsonb_build_array(jsonb_build_object(
    'type', 'entitlement.updated',
    'organizationId', target,
    'createdAt', abono_iso(at),
    'data', jsonb_build_object(
      'organizationId', target,
      'planId', entitlement.plan_id,
      'planVersion', entitlement.plan_version,
      'status', entitlement.status,
      'trialEndsAt', abono_iso(entitlement.trial_ends_at),
      'graceEndsAt', abono_iso(entitlement.grace_ends_at),
      'source', entitlement.source,
      'organizationStatus', org.status,
      'version', coalesce((SELECT version FROM entitlement_versions WHERE organization_id = target), 0)))));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER organization_entitlements_created_event AFTER INSERT ON organization_entitlements
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION abono_entitlement_event();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER organization_entitlements_changed_event AFTER UPDATE ON organization_entitlements
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.plan_id, OLD.plan_version, OLD.status, OLD.trial_ends_at, OLD.grace_ends_at, OLD.source, OLD.manual_features::text)
        IS DISTINCT FROM (NEW.plan_id, NEW.plan_version, NEW.status, NEW.trial_ends_at, NEW.grace_ends_at, NEW.source, NEW.manual_features::text))
  EXECUTE FUNCTION abono_entitlement_event();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER organizations_entitlement_event AFTER UPDATE ON organizations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.provisioning_status IS DISTINCT FROM NEW.provisioning_status)
  EXECUTE FUNCTION abono_entitlement_event();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER subscription_items_entitlement_event AFTER INSERT OR UPDATE OR DELETE ON subscription_items
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION abono_entitlement_event();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER entitlement_overrides_entitlement_event AFTER INSERT OR UPDATE OR DELETE ON entitlement_overrides
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION abono_entitlement_event();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER entitlement_grants_entitlement_event AFTER INSERT ON entitlement_grants
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION abono_entitlement_event();
