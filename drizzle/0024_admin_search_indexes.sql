-- pg_trgm (a trusted extension shipped with PostgreSQL, in the embedded server too) backs the backoffice
-- organization search by name and owner email fragments.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "payments_created_at_idx" ON "payments" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "organization_entitlements_plan_id_idx" ON "organization_entitlements" USING btree ("plan_id","organization_id");--> statement-breakpoint
CREATE INDEX "organizations_id_prefix_idx" ON "organizations" USING btree ("id" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "organizations_name_trgm_idx" ON "organizations" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "organizations_owner_email_trgm_idx" ON "organizations" USING gin ("owner_email" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "organizations_status_idx" ON "organizations" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "organization_billing_providers_provider_idx" ON "organization_billing_providers" USING btree ("provider","organization_id");--> statement-breakpoint
CREATE INDEX "organization_billing_providers_data_idx" ON "organization_billing_providers" USING gin ("data");