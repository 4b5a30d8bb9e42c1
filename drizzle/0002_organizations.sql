CREATE SEQUENCE "public"."organization_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "billing_customers" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "billing_customers_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "identity_group_members" (
	"group_name" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "identity_group_members_group_name_user_id_pk" PRIMARY KEY("group_name","user_id")
);
--> statement-breakpoint
CREATE TABLE "identity_groups" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_entitlements" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"plan_version" integer,
	"status" text NOT NULL,
	"trial_ends_at" timestamp with time zone,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_members" (
	"organization_id" text NOT NULL,
	"user_id" text NOT NULL,
	"email" text,
	"roles" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "organization_members_organization_id_user_id_pk" PRIMARY KEY("organization_id","user_id"),
	CONSTRAINT "organization_members_roles" CHECK (cardinality("organization_members"."roles") > 0)
);
--> statement-breakpoint
CREATE TABLE "organization_public_view" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"is_active" boolean NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"number" bigint DEFAULT nextval('organization_number_seq') NOT NULL,
	"name" text NOT NULL,
	"currency" text,
	"billing_anchor" text NOT NULL,
	"status" text NOT NULL,
	"test_clock_id" text,
	"identity_group" text NOT NULL,
	"tenant_schema" text,
	"owner_user_id" text,
	"owner_email" text,
	"provisioning_status" text NOT NULL,
	"provisioning_failed_step" text,
	"provisioning_error" text,
	"provisioning_started_at" timestamp with time zone NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "organizations_number_unique" UNIQUE("number"),
	CONSTRAINT "organizations_identity_group_unique" UNIQUE("identity_group"),
	CONSTRAINT "organizations_tenant_schema_unique" UNIQUE("tenant_schema"),
	CONSTRAINT "organizations_status" CHECK ("organizations"."status" in ('active', 'suspended', 'deleted'))
);
--> statement-breakpoint
CREATE TABLE "provisioning_steps" (
	"organization_id" text NOT NULL,
	"step" text NOT NULL,
	"position" integer NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "provisioning_steps_organization_id_step_pk" PRIMARY KEY("organization_id","step")
);
--> statement-breakpoint
ALTER TABLE "billing_customers" ADD CONSTRAINT "billing_customers_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_group_members" ADD CONSTRAINT "identity_group_members_group_name_identity_groups_name_fk" FOREIGN KEY ("group_name") REFERENCES "public"."identity_groups"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_entitlements" ADD CONSTRAINT "organization_entitlements_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_members" ADD CONSTRAINT "organization_members_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_public_view" ADD CONSTRAINT "organization_public_view_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_test_clock_id_test_clocks_id_fk" FOREIGN KEY ("test_clock_id") REFERENCES "public"."test_clocks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provisioning_steps" ADD CONSTRAINT "provisioning_steps_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "organization_members_user_id_idx" ON "organization_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "organizations_test_clock_id_idx" ON "organizations" USING btree ("test_clock_id");