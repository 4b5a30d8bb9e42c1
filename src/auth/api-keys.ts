import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { apiKeys, organizations } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { newId } from "../ids.ts";
import { apiKeySecretPrefix } from "./api-key-secret-prefix.ts";
import type { Principal } from "./principal.ts";

export { apiKeySecretPrefix };

export type ApiKeyScope = { scope: "root" } | { scope: "organization"; organizationId: string };

export interface ApiKeyRecord {
  id: string;
  name: string;
  scope: "root" | "organization";
  organizationId: string | null;
  secretPrefix: string;
  createdBy: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

function generateApiKeySecret(): string {
  return `${apiKeySecretPrefix}${randomBytes(32).toString("base64url")}`;
}

/** Secrets are 256-bit random values, so a fast unsalted hash is enough to store them safely. */
function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

const displayPrefix = (secret: string) => secret.slice(0, apiKeySecretPrefix.length + 6);

/**
 * Creates a key and returns its secret (shown once; only its hash is stored). An organization key needs
 * an existing organization: otherwise a `not_found` error.
 */
export async function createApiKey({
  executor,
  name,
  keyScope,
  createdBy,
  now,
  secret = generateApiKeySecret(),
}: {
  executor: Executor;
  name: string;
  keyScope: ApiKeyScope;
  createdBy: string | null;
  now: Date;
  secret?: string;
}): Promise<{ key: ApiKeyRecord; secret: string }> {
  if (keyScope.scope === "organization") {
    const [organization] = await executor
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.id, keyScope.organizationId));
    // A key for an organization that does not exist would authenticate as nobody's.
    if (!organization) throw notFound("Organization", keyScope.organizationId);
  }
  const [key] = await executor
    .insert(apiKeys)
    .values({
      id: newId("key", now.getTime()),
      name,
      scope: keyScope.scope,
      organizationId: keyScope.scope === "organization" ? keyScope.organizationId : null,
      secretHash: hashApiKeySecret(secret),
      secretPrefix: displayPrefix(secret),
      createdBy,
      createdAt: now,
    })
    .returning(publicColumns);
  if (!key) throw new Error("API key insert returned no row");
  await recordAudit({
    executor,
    entry: {
      action: "api_key.created",
      actor: createdBy ?? "system:bootstrap",
      organizationId: key.organizationId,
      after: key,
    },
    now,
  });
  return { key, secret };
}

/** Revokes an API key (idempotent: an already revoked key is returned as it is). Audited by `actor`. */
export async function revokeApiKey({
  db,
  keyId,
  actor,
  now,
}: {
  db: Database;
  keyId: string;
  actor: string;
  now: Date;
}): Promise<ApiKeyRecord | null> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select(publicColumns)
      .from(apiKeys)
      .where(eq(apiKeys.id, keyId))
      .for("update");
    if (!existing) return null;
    if (existing.revokedAt) return existing;
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(eq(apiKeys.id, keyId))
      .returning(publicColumns);
    await recordAudit({
      executor: tx,
      entry: {
        action: "api_key.revoked",
        actor,
        organizationId: existing.organizationId,
        before: existing,
        after: revoked ?? existing,
      },
      now,
    });
    return revoked ?? existing;
  });
}

export const publicColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  scope: apiKeys.scope,
  organizationId: apiKeys.organizationId,
  secretPrefix: apiKeys.secretPrefix,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

/** The principal for an API key secret, or null when it is unknown or revoked. */
export async function principalForApiKey({
  db,
  secret,
}: {
  db: Database;
  secret: string;
}): Promise<Principal | null> {
  const [key] = await db
    .select({ id: apiKeys.id, scope: apiKeys.scope, organizationId: apiKeys.organizationId })
    .from(apiKeys)
    .where(and(eq(apiKeys.secretHash, hashApiKeySecret(secret)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!key) return null;
  return {
    id: key.id,
    kind: "api_key",
    root: key.scope === "root",
    apiKeyOrganizationId: key.scope === "organization" ? key.organizationId : null,
    organizationRoles: new Map(),
    subject: null,
    email: null,
    groups: [],
  };
}

/**
 * The bootstrap rule (README, `ABONO_ROOT_API_KEY`): with `ABONO_ROOT_API_KEY` set, that secret is a root key (stored hashed);
 * without it, a root key is generated the first time no active root key exists, and returned once so the
 * caller can print it.
 */
export async function ensureBootstrapRootKey({
  db,
  configuredSecret,
  now,
}: {
  db: Database;
  configuredSecret: string | undefined;
  now: Date;
}): Promise<{ generatedSecret: string | null }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('abono.bootstrap_root_key'))`);
    if (configuredSecret !== undefined) {
      const [existing] = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.secretHash, hashApiKeySecret(configuredSecret)));
      if (!existing) {
        await createApiKey({
          executor: tx,
          name: "Root key from ABONO_ROOT_API_KEY",
          keyScope: { scope: "root" },
          createdBy: null,
          now,
          secret: configuredSecret,
        });
      }
      return { generatedSecret: null };
    }
    const [activeRoot] = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.scope, "root"), isNull(apiKeys.revokedAt)))
      .limit(1);
    if (activeRoot) return { generatedSecret: null };
    const { secret } = await createApiKey({
      executor: tx,
      name: "Generated root key",
      keyScope: { scope: "root" },
      createdBy: null,
      now,
    });
    return { generatedSecret: secret };
  });
}
