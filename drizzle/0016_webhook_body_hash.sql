ALTER TABLE "payment_events" ADD COLUMN "body_sha256" text;--> statement-breakpoint
ALTER TABLE "payment_events" ADD COLUMN "body_bytes" integer;