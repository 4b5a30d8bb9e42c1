-- usage_events becomes partitioned by calendar month (UTC) of recorded_at, one partition per month named
-- usage_events_YYYY_MM (docs/data-growth.md "Usage events"). A partitioned table's unique keys must hold
-- the partition key, so the dedup of event ids moves to usage_event_ids, written with every event.
CREATE TABLE "usage_event_ids" (
	"organization_id" text NOT NULL,
	"event_id" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_event_ids_organization_id_event_id_pk" PRIMARY KEY("organization_id","event_id")
);
--> statement-breakpoint
ALTER TABLE "usage_events" RENAME TO "usage_events_unpartitioned";
--> statement-breakpoint
ALTER TABLE "usage_events_unpartitioned" RENAME CONSTRAINT "usage_events_organization_id_event_id_pk" TO "usage_events_unpartitioned_pk";
--> statement-breakpoint
ALTER INDEX "usage_events_feature_idx" RENAME TO "usage_events_unpartitioned_feature_idx";
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"organization_id" text NOT NULL,
	"event_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"quantity" bigint NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_events_organization_id_event_id_recorded_at_pk" PRIMARY KEY("organization_id","event_id","recorded_at")
) PARTITION BY RANGE ("recorded_at");
--> statement-breakpoint
CREATE INDEX "usage_events_feature_idx" ON "usage_events" USING btree ("organization_id","feature_key","occurred_at");
--> statement-breakpoint
-- Creates the partition of the month (UTC) holding month_at unless it exists; true when it created it.
-- Owned by the tables' owner (SECURITY DEFINER) so the service's restricted role can create partitions on
-- demand. Several processes may call it at once: an advisory lock serializes the creations, and a
-- partition made meanwhile by another transaction is taken as made. The partition is created as a plain
-- table and attached, which does not block the inserts and reads of other months.
CREATE FUNCTION "abono_ensure_usage_partition"(month_at timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	first_day timestamp := date_trunc('month', month_at AT TIME ZONE 'UTC');
	partition_name text := 'usage_events_' || to_char(first_day, 'YYYY_MM');
BEGIN
	IF to_regclass('public.' || quote_ident(partition_name)) IS NOT NULL THEN
		RETURN false;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('abono.usage_partitions'));
	IF to_regclass('public.' || quote_ident(partition_name)) IS NOT NULL THEN
		RETURN false;
	END IF;
	BEGIN
		EXECUTE format(
			'CREATE TABLE public.%I (LIKE public.usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
			partition_name);
		EXECUTE format(
			'ALTER TABLE public.usage_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
			partition_name,
			(first_day AT TIME ZONE 'UTC')::text,
			((first_day + interval '1 month') AT TIME ZONE 'UTC')::text);
	EXCEPTION WHEN duplicate_table OR unique_violation THEN
		-- Created by a concurrent transaction that committed after this one first looked.
		RETURN false;
	END;
	RETURN true;
END
$$;
--> statement-breakpoint
-- Drops one partition of usage_events (retention, after the service checked that no open billing period
-- overlaps it). Only usage_events_YYYY_MM partitions; false when there is no such partition.
CREATE FUNCTION "abono_drop_usage_partition"(partition_name text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF partition_name !~ '^usage_events_[0-9]{4}_[0-9]{2}$' THEN
		RAISE EXCEPTION 'not a usage event partition: %', partition_name;
	END IF;
	IF NOT EXISTS (
		SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		 WHERE i.inhparent = 'public.usage_events'::regclass AND c.relname = partition_name
	) THEN
		RETURN false;
	END IF;
	EXECUTE format('DROP TABLE public.%I', partition_name);
	RETURN true;
END
$$;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION "abono_drop_usage_partition"(text) FROM PUBLIC;
--> statement-breakpoint
-- A partition for every month holding events, and for the current month and the next three.
DO $$
DECLARE
	month_at timestamptz;
BEGIN
	FOR month_at IN
		SELECT DISTINCT date_trunc('month', recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
		  FROM usage_events_unpartitioned
		UNION
		SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ahead)) AT TIME ZONE 'UTC'
		  FROM generate_series(0, 3) AS ahead
	LOOP
		PERFORM abono_ensure_usage_partition(month_at);
	END LOOP;
END
$$;
--> statement-breakpoint
INSERT INTO "usage_events" ("organization_id", "event_id", "feature_key", "quantity", "occurred_at", "recorded_at")
SELECT "organization_id", "event_id", "feature_key", "quantity", "occurred_at", "recorded_at"
  FROM "usage_events_unpartitioned";
--> statement-breakpoint
INSERT INTO "usage_event_ids" ("organization_id", "event_id", "recorded_at")
SELECT "organization_id", "event_id", "recorded_at" FROM "usage_events_unpartitioned";
--> statement-breakpoint
DROP TABLE "usage_events_unpartitioned";
