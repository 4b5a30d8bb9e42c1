ALTER TABLE "invoices" ADD COLUMN "document_type" text DEFAULT 'invoice' NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "corrects_invoice_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "credited_to" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "reason" text;--> statement-breakpoint
CREATE INDEX "invoices_organization_document_idx" ON "invoices" USING btree ("organization_id","document_type","id");--> statement-breakpoint
-- Invoices already issued with a negative total stay what they were issued as: invoices, with the number
-- of the invoice sequence they were given (an issued document is never renumbered or retitled). From
-- this migration on, a negative total is a credit note with its own sequence (docs/billing.md "Credit notes").
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_credit_note_total" CHECK ("document_type" = 'invoice' OR "total" <= 0);
