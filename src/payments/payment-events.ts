import { createHash } from "node:crypto";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { paymentEvents } from "../db/schema/index.ts";
import { newId } from "../ids.ts";

export type PaymentEventRow = typeof paymentEvents.$inferSelect;

/** Headers never stored: credentials a proxy might forward. */
const secretHeaders = new Set(["authorization", "cookie", "proxy-authorization"]);

/** Of a request that could not be verified, only this many bytes of the body are kept (with its hash). */
export const unverifiedBodyExcerptBytes = 2048;

/**
 * Stores an inbound provider request once its signature has been checked, before anything acts on it:
 * a verified request is kept exactly as received; one that failed verification (which anyone can send)
 * keeps only its first bytes, with the SHA-256 and size of the whole body, so it cannot fill the database
 * yet stays on record.
 */
export async function recordPaymentEvent({
  db,
  provider,
  headers,
  query,
  body,
  rejection,
  now,
}: {
  db: Database;
  provider: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: Buffer;
  /** Why verification failed, and what that means for the event; absent for a verified request. */
  rejection?: { verificationError: string; outcome: string };
  now: Date;
}): Promise<string> {
  const id = newId("pev", now.getTime());
  const kept = rejection ? body.subarray(0, unverifiedBodyExcerptBytes) : body;
  await db.insert(paymentEvents).values({
    id,
    provider,
    verified: rejection === undefined,
    verificationError: rejection?.verificationError ?? null,
    outcome: rejection?.outcome ?? null,
    processedAt: rejection ? now : null,
    headers: definedEntries(headers, (name) => !secretHeaders.has(name)),
    query: definedEntries(query, () => true),
    // A NUL byte (which PostgreSQL text cannot hold, and no provider sends) is written as the escape
    // `\u0000` so that even such a request stays on record.
    body: kept.toString("utf8").replaceAll("\u0000", "\\u0000"),
    bodySha256: createHash("sha256").update(body).digest("hex"),
    bodyBytes: body.length,
    receivedAt: now,
  });
  return id;
}

/** Records what verification said and what Abono did with the event. */
export async function completePaymentEvent({
  db,
  id,
  result,
  now,
}: {
  db: Database;
  id: string;
  result: {
    verified: boolean;
    verificationError?: string | null;
    providerEventId?: string | null;
    eventType?: string | null;
    outcome: string;
    checkoutId?: string | null;
    paymentId?: string | null;
  };
  now: Date;
}): Promise<void> {
  await db
    .update(paymentEvents)
    .set({
      verified: result.verified,
      verificationError: result.verificationError ?? null,
      providerEventId: result.providerEventId ?? null,
      eventType: result.eventType ?? null,
      outcome: result.outcome,
      checkoutId: result.checkoutId ?? null,
      paymentId: result.paymentId ?? null,
      processedAt: now,
    })
    .where(eq(paymentEvents.id, id));
}

export async function listPaymentEvents({
  db,
  provider,
  verified,
  limit,
  cursor,
}: {
  db: Database;
  provider: string | undefined;
  verified: boolean | undefined;
  limit: number;
  cursor: string | undefined;
}): Promise<PaymentEventRow[]> {
  const conditions: SQL[] = [];
  if (provider !== undefined) conditions.push(eq(paymentEvents.provider, provider));
  if (verified !== undefined) conditions.push(eq(paymentEvents.verified, verified));
  if (cursor !== undefined) conditions.push(lt(paymentEvents.id, cursor));
  return db
    .select()
    .from(paymentEvents)
    .where(and(...conditions))
    .orderBy(desc(paymentEvents.id))
    .limit(limit + 1);
}

function definedEntries(
  record: Record<string, string | undefined>,
  keep: (name: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && keep(entry[0]),
    ),
  );
}
