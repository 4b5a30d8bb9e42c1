CREATE TABLE "store_account_tokens" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"token" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "store_account_tokens_token_unique" UNIQUE("token")
);
--> statement-breakpoint
CREATE TABLE "store_notifications" (
	"store" text NOT NULL,
	"notification_id" text NOT NULL,
	"notification_type" text NOT NULL,
	"store_subscription_id" text,
	"outcome" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "store_notifications_store_notification_id_pk" PRIMARY KEY("store","notification_id"),
	CONSTRAINT "store_notifications_id" CHECK (length("store_notifications"."notification_id") > 0)
);
--> statement-breakpoint
CREATE TABLE "store_products" (
	"store" text NOT NULL,
	"product_id" text NOT NULL,
	"base_plan_id" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"target_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "store_products_store_product_id_base_plan_id_pk" PRIMARY KEY("store","product_id","base_plan_id")
);
--> statement-breakpoint
CREATE TABLE "store_subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"store_subscription_id" text NOT NULL,
	"organization_id" text,
	"account_token" text,
	"product_id" text NOT NULL,
	"base_plan_id" text DEFAULT '' NOT NULL,
	"plan_id" text,
	"status" text NOT NULL,
	"auto_renew" boolean NOT NULL,
	"current_period_start" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"trial_ends_at" timestamp with time zone,
	"grace_ends_at" timestamp with time zone,
	"environment" text NOT NULL,
	"store_state_at" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "store_account_tokens" ADD CONSTRAINT "store_account_tokens_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_subscriptions" ADD CONSTRAINT "store_subscriptions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "store_products_target_idx" ON "store_products" USING btree ("kind","target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "store_subscriptions_store_id_idx" ON "store_subscriptions" USING btree ("store","store_subscription_id");--> statement-breakpoint
CREATE INDEX "store_subscriptions_organization_idx" ON "store_subscriptions" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "store_subscriptions_unlinked_idx" ON "store_subscriptions" USING btree ("created_at") WHERE "store_subscriptions"."organization_id" is null;