CREATE TABLE "addon_prices" (
	"addon_id" text NOT NULL,
	"version" integer NOT NULL,
	"interval" text NOT NULL,
	"currency" text NOT NULL,
	"unit_amount" bigint NOT NULL,
	CONSTRAINT "addon_prices_addon_id_version_interval_currency_pk" PRIMARY KEY("addon_id","version","interval","currency"),
	CONSTRAINT "addon_prices_unit_amount" CHECK ("addon_prices"."unit_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "addon_versions" (
	"addon_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"features" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "addon_versions_addon_id_version_pk" PRIMARY KEY("addon_id","version")
);
--> statement-breakpoint
CREATE TABLE "addons" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"current_version" integer NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "coupons" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text,
	"percent_off" integer,
	"amount_off" bigint,
	"currency" text,
	"duration" text NOT NULL,
	"duration_in_months" integer,
	"max_redemptions" integer,
	"times_redeemed" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone,
	"plan_ids" text[],
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coupons_discount" CHECK (("coupons"."percent_off" between 1 and 100 and "coupons"."amount_off" is null and "coupons"."currency" is null)
        or ("coupons"."percent_off" is null and "coupons"."amount_off" > 0 and "coupons"."currency" is not null)),
	CONSTRAINT "coupons_duration" CHECK (("coupons"."duration" = 'repeating') = ("coupons"."duration_in_months" is not null)),
	CONSTRAINT "coupons_redemptions" CHECK ("coupons"."max_redemptions" is null or "coupons"."times_redeemed" <= "coupons"."max_redemptions")
);
--> statement-breakpoint
CREATE TABLE "features" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"unit" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "features_kind" CHECK ("features"."kind" in ('boolean', 'limit', 'metered'))
);
--> statement-breakpoint
CREATE TABLE "packs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"feature_key" text NOT NULL,
	"quantity" bigint NOT NULL,
	"currency" text NOT NULL,
	"unit_amount" bigint NOT NULL,
	"expires_after_days" integer,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "packs_quantity" CHECK ("packs"."quantity" > 0),
	CONSTRAINT "packs_unit_amount" CHECK ("packs"."unit_amount" >= 0),
	CONSTRAINT "packs_expires_after_days" CHECK ("packs"."expires_after_days" is null or "packs"."expires_after_days" > 0)
);
--> statement-breakpoint
CREATE TABLE "plan_overage_prices" (
	"plan_id" text NOT NULL,
	"version" integer NOT NULL,
	"feature_key" text NOT NULL,
	"currency" text NOT NULL,
	"unit_amount" bigint NOT NULL,
	CONSTRAINT "plan_overage_prices_plan_id_version_feature_key_currency_pk" PRIMARY KEY("plan_id","version","feature_key","currency"),
	CONSTRAINT "plan_overage_prices_unit_amount" CHECK ("plan_overage_prices"."unit_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "plan_prices" (
	"plan_id" text NOT NULL,
	"version" integer NOT NULL,
	"interval" text NOT NULL,
	"currency" text NOT NULL,
	"unit_amount" bigint NOT NULL,
	CONSTRAINT "plan_prices_plan_id_version_interval_currency_pk" PRIMARY KEY("plan_id","version","interval","currency"),
	CONSTRAINT "plan_prices_unit_amount" CHECK ("plan_prices"."unit_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "plan_versions" (
	"plan_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"tier" integer NOT NULL,
	"trial_days" integer NOT NULL,
	"features" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "plan_versions_plan_id_version_pk" PRIMARY KEY("plan_id","version"),
	CONSTRAINT "plan_versions_trial_days" CHECK ("plan_versions"."trial_days" >= 0)
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" text PRIMARY KEY NOT NULL,
	"current_version" integer NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_clocks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"frozen_time" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "addon_prices" ADD CONSTRAINT "addon_prices_addon_id_version_addon_versions_addon_id_version_fk" FOREIGN KEY ("addon_id","version") REFERENCES "public"."addon_versions"("addon_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "addon_versions" ADD CONSTRAINT "addon_versions_addon_id_addons_id_fk" FOREIGN KEY ("addon_id") REFERENCES "public"."addons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "packs" ADD CONSTRAINT "packs_feature_key_features_key_fk" FOREIGN KEY ("feature_key") REFERENCES "public"."features"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_overage_prices" ADD CONSTRAINT "plan_overage_prices_feature_key_features_key_fk" FOREIGN KEY ("feature_key") REFERENCES "public"."features"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_overage_prices" ADD CONSTRAINT "plan_overage_prices_plan_id_version_plan_versions_plan_id_version_fk" FOREIGN KEY ("plan_id","version") REFERENCES "public"."plan_versions"("plan_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_prices" ADD CONSTRAINT "plan_prices_plan_id_version_plan_versions_plan_id_version_fk" FOREIGN KEY ("plan_id","version") REFERENCES "public"."plan_versions"("plan_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_versions" ADD CONSTRAINT "plan_versions_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coupons_code_upper_idx" ON "coupons" USING btree (upper("code"));