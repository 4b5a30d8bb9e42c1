CREATE TABLE "issuer_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"legal_name" text,
	"address" jsonb,
	"tax_id" text,
	"tax_id_type" text,
	"email" text,
	"logo_path" text,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tax_rates" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"percentage" numeric(7, 4) NOT NULL,
	"country" text NOT NULL,
	"inclusive" boolean NOT NULL,
	"country_default" boolean NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "tax_rates_percentage" CHECK ("tax_rates"."percentage" >= 0 and "tax_rates"."percentage" <= 100)
);
--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_total";--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "taxable_amount" bigint;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tax_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tax_rate_id" text;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tax_name" text;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tax_percentage" numeric(7, 4);--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tax_inclusive" boolean;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "tax" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "tax_included" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "reverse_charge" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "customer_details" jsonb;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "issuer_details" jsonb;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "billing_legal_name" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "billing_address" jsonb;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "billing_email" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "tax_id" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "tax_id_type" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "tax_exempt" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "tax_rate_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "tax_rates_one_default_per_country_idx" ON "tax_rates" USING btree ("country") WHERE "tax_rates"."country_default" and "tax_rates"."archived_at" is null;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_tax_rate_id_tax_rates_id_fk" FOREIGN KEY ("tax_rate_id") REFERENCES "public"."tax_rates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_total" CHECK ("invoices"."total" = "invoices"."subtotal" - "invoices"."discount" + "invoices"."tax" - "invoices"."tax_included");--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_tax_exempt" CHECK ("organizations"."tax_exempt" in ('none', 'exempt', 'reverse') and ("organizations"."tax_exempt" <> 'reverse' or "organizations"."tax_id" is not null));