-- The execution holding an Idempotency-Key (docs/idempotency.md): a takeover after an expired lease gives
-- the key a new token, and a transaction commits for an idempotent request only while its token holds.
ALTER TABLE "idempotency_keys" ADD COLUMN "fencing_token" text DEFAULT '' NOT NULL;
