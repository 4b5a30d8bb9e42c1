CREATE TABLE "entitlement_grants" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"quantity" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"source" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "entitlement_grants_source_unique" UNIQUE("source"),
	CONSTRAINT "entitlement_grants_remaining" CHECK ("entitlement_grants"."remaining" >= 0 and "entitlement_grants"."remaining" <= "entitlement_grants"."quantity")
);
--> statement-breakpoint
CREATE TABLE "entitlement_overrides" (
	"organization_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"value" jsonb,
	"reason" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "entitlement_overrides_organization_id_feature_key_pk" PRIMARY KEY("organization_id","feature_key")
);
--> statement-breakpoint
CREATE TABLE "entitlement_versions" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_counters" (
	"organization_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"used" bigint DEFAULT 0 NOT NULL,
	"used_purchased" bigint DEFAULT 0 NOT NULL,
	"overage" bigint DEFAULT 0 NOT NULL,
	"overage_billed" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_counters_organization_id_feature_key_period_start_pk" PRIMARY KEY("organization_id","feature_key","period_start"),
	CONSTRAINT "usage_counters_not_negative" CHECK ("usage_counters"."used" >= 0 and "usage_counters"."overage" >= 0)
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"organization_id" text NOT NULL,
	"event_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"quantity" bigint NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_events_organization_id_event_id_pk" PRIMARY KEY("organization_id","event_id")
);
--> statement-breakpoint
ALTER TABLE "entitlement_grants" ADD CONSTRAINT "entitlement_grants_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlement_overrides" ADD CONSTRAINT "entitlement_overrides_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_counters" ADD CONSTRAINT "usage_counters_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "entitlement_grants_organization_idx" ON "entitlement_grants" USING btree ("organization_id","feature_key");--> statement-breakpoint
CREATE INDEX "usage_events_feature_idx" ON "usage_events" USING btree ("organization_id","feature_key","occurred_at");