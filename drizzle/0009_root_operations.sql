ALTER TABLE "organization_entitlements" ADD COLUMN "manual_features" jsonb;--> statement-breakpoint
CREATE INDEX "audit_logs_actor_idx" ON "audit_logs" USING btree ("actor","id");