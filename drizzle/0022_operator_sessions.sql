CREATE TABLE "operator_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"actor" text NOT NULL,
	"credential_kind" text NOT NULL,
	"api_key_id" text,
	"subject" text,
	"email" text,
	"session_token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "operator_sessions_session_token_hash_unique" UNIQUE("session_token_hash")
);
--> statement-breakpoint
CREATE INDEX "operator_sessions_actor_idx" ON "operator_sessions" USING btree ("actor");