CREATE TABLE "portal_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"role" text NOT NULL,
	"locale" text,
	"flow" text,
	"return_url" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"link_token_hash" text NOT NULL,
	"link_expires_at" timestamp with time zone NOT NULL,
	"link_used_at" timestamp with time zone,
	"session_token_hash" text,
	"expires_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "portal_sessions_link_token_hash_unique" UNIQUE("link_token_hash"),
	CONSTRAINT "portal_sessions_session_token_hash_unique" UNIQUE("session_token_hash"),
	CONSTRAINT "portal_sessions_opened" CHECK (("portal_sessions"."session_token_hash" is null) = ("portal_sessions"."link_used_at" is null))
);
--> statement-breakpoint
ALTER TABLE "portal_sessions" ADD CONSTRAINT "portal_sessions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "portal_sessions_organization_id_idx" ON "portal_sessions" USING btree ("organization_id");