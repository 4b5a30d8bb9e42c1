CREATE TABLE "founders_members" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"seat" integer NOT NULL,
	"benefit" jsonb NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	CONSTRAINT "founders_members_seat_unique" UNIQUE("seat")
);
--> statement-breakpoint
ALTER TABLE "organization_entitlements" ADD COLUMN "grace_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "past_due_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "payment_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "next_payment_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "founder_benefit" jsonb;--> statement-breakpoint
ALTER TABLE "founders_members" ADD CONSTRAINT "founders_members_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "subscriptions_next_payment_attempt_at_idx" ON "subscriptions" USING btree ("next_payment_attempt_at") WHERE "subscriptions"."status" = 'past_due';