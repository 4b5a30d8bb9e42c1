import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { storeAccountTokens } from "../db/schema/index.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The organization's store token (a UUID): the app passes it to StoreKit as `appAccountToken` and to Google
 * Play Billing as `obfuscatedExternalAccountId`, and store notifications carry it back. Issued once.
 */
export async function storeAccountToken({
  executor,
  organizationId,
  now,
}: {
  executor: Executor;
  organizationId: string;
  now: Date;
}): Promise<string> {
  await executor
    .insert(storeAccountTokens)
    .values({ organizationId, token: randomUUID(), createdAt: now })
    .onConflictDoNothing();
  const [row] = await executor
    .select()
    .from(storeAccountTokens)
    .where(eq(storeAccountTokens.organizationId, organizationId));
  if (!row) throw new Error(`no store token for ${organizationId}`);
  return row.token;
}

/** The organization a store token was issued to, or null (also for a value that is not a UUID). */
export async function organizationOfAccountToken({
  executor,
  token,
}: {
  executor: Executor;
  token: string;
}): Promise<string | null> {
  if (!uuidPattern.test(token)) return null;
  const [row] = await executor
    .select({ organizationId: storeAccountTokens.organizationId })
    .from(storeAccountTokens)
    .where(eq(storeAccountTokens.token, token.toLowerCase()));
  return row?.organizationId ?? null;
}
