import { randomUUID } from "node:crypto";
import { and, eq, lt, lte } from "drizzle-orm";
import type { Database, Executor } from "../db/database.ts";
import { idempotencyKeys } from "../db/schema/index.ts";
import { AbonoError } from "../errors.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";
import {
  defaultIdempotencyTiming,
  type IdempotencyTiming,
  idempotencyWaitMs,
} from "./idempotency-timing.ts";

/** Responses are replayed for 24 hours (README "Concepts"). */
const idempotencyRetentionMs = 24 * 60 * 60 * 1000;
const pollIntervalMs = 25;

export type BeginOutcome =
  | { kind: "started"; claim: IdempotencyClaim }
  | { kind: "replay"; status: number; body: string; contentType: string | null }
  | { kind: "reused"; originalMethod: string; originalPath: string }
  | { kind: "in_progress" };

interface KeyRef {
  principal: string;
  key: string;
}

/**
 * One execution's hold on a key. `token` is the fencing token: a takeover after an expired lease writes
 * a new one, and whatever this execution still writes is refused once it is no longer the key's token.
 */
export interface IdempotencyClaim extends KeyRef {
  token: string;
}

/**
 * Thrown when an execution finds that its Idempotency-Key was taken over by another (its lease lapsed):
 * whatever it was about to commit is rolled back, and its caller is told to retry.
 */
export class IdempotencyClaimLostError extends AbonoError {
  constructor(claim: KeyRef) {
    super(
      "conflict",
      "This request took longer than its Idempotency-Key lease and another attempt with the same key took over; nothing of this attempt was committed. Retry with the same Idempotency-Key to get that attempt's response.",
      { idempotencyKey: claim.key },
    );
  }
}

const sameKey = ({ principal, key }: KeyRef) =>
  and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key));

/**
 * Claims an Idempotency-Key for one execution. Exactly one of several concurrent callers gets `started`;
 * the others wait for its response and replay it. A key whose lease lapsed (its execution stopped
 * renewing it: the process died) is taken over with a new fencing token.
 */
export async function beginIdempotentRequest({
  db,
  principal,
  key,
  requestHash,
  method,
  path,
  clock,
  timing = defaultIdempotencyTiming,
}: KeyRef & {
  db: Database;
  requestHash: string;
  method: string;
  path: string;
  clock: () => Date;
  timing?: IdempotencyTiming;
}): Promise<BeginOutcome> {
  const giveUpAt = clock().getTime() + idempotencyWaitMs;
  for (;;) {
    const now = clock();
    const token = randomUUID();
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
        fencingToken: token,
        createdAt: now,
        expiresAt: new Date(now.getTime() + idempotencyRetentionMs),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { kind: "started", claim: { principal, key, token } };

    const [existing] = await db.select().from(idempotencyKeys).where(sameKey({ principal, key }));
    if (!existing) continue; // released between our insert and select: try again
    if (existing.expiresAt <= now) {
      await db
        .delete(idempotencyKeys)
        .where(and(sameKey({ principal, key }), lte(idempotencyKeys.expiresAt, now)));
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
    const lapsedBefore = new Date(now.getTime() - timing.leaseMs);
    if (existing.lockedAt < lapsedBefore) {
      // The condition is checked again on the row as it is when the update runs: a renewal or a
      // fenced commit of the running execution that got there first keeps the key where it is.
      const taken = await db
        .update(idempotencyKeys)
        .set({ lockedAt: now, fencingToken: token })
        .where(
          and(
            sameKey({ principal, key }),
            eq(idempotencyKeys.state, "in_progress"),
            eq(idempotencyKeys.fencingToken, existing.fencingToken),
            lt(idempotencyKeys.lockedAt, lapsedBefore),
          ),
        )
        .returning({ key: idempotencyKeys.key });
      if (taken.length > 0) return { kind: "started", claim: { principal, key, token } };
      continue;
    }
    if (now.getTime() >= giveUpAt) return { kind: "in_progress" };
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

const heldBy = (claim: IdempotencyClaim) =>
  and(
    sameKey(claim),
    eq(idempotencyKeys.state, "in_progress"),
    eq(idempotencyKeys.fencingToken, claim.token),
  );

/**
 * Renews the claim's lease (the heartbeat, on `db`; the fence, inside a transaction). False when the key
 * was taken over or is gone.
 */
export async function renewIdempotentClaim({
  db,
  claim,
  now,
}: {
  db: Executor;
  claim: IdempotencyClaim;
  now: Date;
}): Promise<boolean> {
  const renewed = await db
    .update(idempotencyKeys)
    .set({ lockedAt: now })
    .where(heldBy(claim))
    .returning({ key: idempotencyKeys.key });
  return renewed.length > 0;
}

/**
 * The fence, run inside a transaction just before it commits on behalf of an idempotent request: renews
 * the lease and locks the key's row until the commit, or throws `IdempotencyClaimLostError` (rolling the
 * transaction back) when the key now belongs to another execution. A takeover waits for the row lock
 * and then finds the lease renewed, so it cannot slip in between this check and the commit.
 */
export async function fenceIdempotentClaim({
  executor,
  claim,
  now,
}: {
  executor: Executor;
  claim: IdempotencyClaim;
  now: Date;
}): Promise<void> {
  if (!(await renewIdempotentClaim({ db: executor, claim, now }))) {
    throw new IdempotencyClaimLostError(claim);
  }
}

/**
 * Stores the response to replay (on `db`, or inside the transaction of the change it describes). False
 * (nothing written) when the key is no longer this claim's.
 */
export async function completeIdempotentRequest({
  db,
  claim,
  status,
  body,
  contentType,
}: {
  db: Executor;
  claim: IdempotencyClaim;
  status: number;
  body: string;
  contentType: string | null;
}): Promise<boolean> {
  const completed = await db
    .update(idempotencyKeys)
    .set({
      state: "completed",
      responseStatus: status,
      responseBody: body,
      responseContentType: contentType,
    })
    .where(heldBy(claim))
    .returning({ key: idempotencyKeys.key });
  return completed.length > 0;
}

/**
 * Forgets a key whose request failed on the server side, so that a retry executes again; a key taken
 * over by another execution is left to it.
 */
export async function releaseIdempotentRequest({
  db,
  claim,
}: {
  db: Database;
  claim: IdempotencyClaim;
}): Promise<void> {
  await db.delete(idempotencyKeys).where(heldBy(claim));
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
