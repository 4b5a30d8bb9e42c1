import { and, eq, lt, lte } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { idempotencyKeys } from "../db/schema/index.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";

/** Responses are replayed for 24 hours (README "Concepts"). */
const idempotencyRetentionMs = 24 * 60 * 60 * 1000;
/** A request still `in_progress` after this long is taken to have died with its process. */
const idempotencyLeaseMs = 60 * 1000;
/** How long a concurrent retry waits for the first request to finish before answering 409. */
const idempotencyWaitMs = 15 * 1000;
const pollIntervalMs = 25;

export type BeginOutcome =
  | { kind: "started" }
  | { kind: "replay"; status: number; body: string; contentType: string | null }
  | { kind: "reused"; originalMethod: string; originalPath: string }
  | { kind: "in_progress" };

interface KeyRef {
  principal: string;
  key: string;
}

/**
 * Claims an Idempotency-Key for one execution. Exactly one of several concurrent callers gets `started`;
 * the others wait for its response and replay it.
 */
export async function beginIdempotentRequest({
  db,
  principal,
  key,
  requestHash,
  method,
  path,
  clock,
}: KeyRef & {
  db: Database;
  requestHash: string;
  method: string;
  path: string;
  clock: () => Date;
}): Promise<BeginOutcome> {
  const giveUpAt = clock().getTime() + idempotencyWaitMs;
  for (;;) {
    const now = clock();
    const inserted = await db
      .insert(idempotencyKeys)
      .values({
        principal,
        key,
        requestHash,
        method,
        path,
        state: "in_progress",
        lockedAt: now,
        createdAt: now,
        expiresAt: new Date(now.getTime() + idempotencyRetentionMs),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { kind: "started" };

    const [existing] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
    if (!existing) continue; // released between our insert and select: try again
    if (existing.expiresAt <= now) {
      await db
        .delete(idempotencyKeys)
        .where(
          and(
            eq(idempotencyKeys.principal, principal),
            eq(idempotencyKeys.key, key),
            lte(idempotencyKeys.expiresAt, now),
          ),
        );
      continue;
    }
    if (existing.requestHash !== requestHash) {
      return { kind: "reused", originalMethod: existing.method, originalPath: existing.path };
    }
    if (existing.state === "completed") {
      return {
        kind: "replay",
        status: existing.responseStatus ?? 200,
        body: existing.responseBody ?? "",
        contentType: existing.responseContentType,
      };
    }
    if (now.getTime() - existing.lockedAt.getTime() > idempotencyLeaseMs) {
      const taken = await db
        .update(idempotencyKeys)
        .set({ lockedAt: now })
        .where(
          and(
            eq(idempotencyKeys.principal, principal),
            eq(idempotencyKeys.key, key),
            eq(idempotencyKeys.state, "in_progress"),
            eq(idempotencyKeys.lockedAt, existing.lockedAt),
          ),
        )
        .returning({ key: idempotencyKeys.key });
      if (taken.length > 0) return { kind: "started" };
      continue;
    }
    if (now.getTime() >= giveUpAt) return { kind: "in_progress" };
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

export async function completeIdempotentRequest({
  db,
  principal,
  key,
  status,
  body,
  contentType,
}: KeyRef & { db: Database; status: number; body: string; contentType: string | null }) {
  await db
    .update(idempotencyKeys)
    .set({
      state: "completed",
      responseStatus: status,
      responseBody: body,
      responseContentType: contentType,
    })
    .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
}

/** Forgets a key whose request failed on the server side, so that a retry executes again. */
export async function releaseIdempotentRequest({ db, principal, key }: KeyRef & { db: Database }) {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.principal, principal),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.state, "in_progress"),
      ),
    );
}

export const purgeExpiredIdempotencyKeys: ScheduledTask = {
  name: "idempotency.purge_expired",
  async run({ db, now, scope }) {
    // Keys live in real time: a test clock's advance has nothing to purge.
    if (scope.testClockId !== null) return 0;
    await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now));
    return 0;
  },
};
