import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWithCommitGuard } from "../../src/db/commit-guard.ts";
import {
  beginIdempotentRequest,
  completeIdempotentRequest,
  fenceIdempotentClaim,
  type IdempotencyClaim,
  IdempotencyClaimLostError,
  renewIdempotentClaim,
} from "../../src/idempotency/idempotency-store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/**
 * The Idempotency-Key store's lease and fencing token, on the real database, with a clock the test
 * moves: a takeover after a lapsed lease gets a new token, the execution it replaced can renew, commit
 * and store a response no more, and a renewed lease keeps the key where it is.
 */
let database: TestDatabase;
const timing = { leaseMs: 1_000, heartbeatMs: 250 };
let now = Date.now();
const clock = () => new Date(now);
let keys = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool.query("create table fenced_effects (label text not null)");
});
afterAll(() => database.drop());

function begin(key: string, stepMs = 0, leaseTiming = timing) {
  return beginIdempotentRequest({
    db: database.db,
    principal: "key_fencing",
    key,
    requestHash: "hash",
    method: "POST",
    path: "/v1/things",
    // Each look at the clock moves it on, so a waiting caller's patience runs out in a few polls.
    clock: () => {
      now += stepMs;
      return clock();
    },
    timing: leaseTiming,
  });
}

async function claimOf(outcome: Awaited<ReturnType<typeof begin>>): Promise<IdempotencyClaim> {
  if (outcome.kind !== "started") throw new Error(`expected started, got ${outcome.kind}`);
  return outcome.claim;
}

/** A domain transaction on behalf of `claim`: fenced as the HTTP layer fences a request's. */
function commitFor(claim: IdempotencyClaim, label: string) {
  return runWithCommitGuard(
    (tx) => fenceIdempotentClaim({ executor: tx, claim, now: clock() }),
    () =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into fenced_effects (label) values (${label})`);
      }),
  );
}

async function effects(label: string) {
  const { rows } = await database.pool.query(
    "select count(*)::int as count from fenced_effects where label = $1",
    [label],
  );
  return rows[0].count as number;
}

describe("the Idempotency-Key lease and its fencing token", () => {
  it("a takeover after the lease lapsed changes the token; the replaced execution can neither renew, commit nor store its response", async () => {
    keys += 1;
    const key = `takeover-${keys}`;
    const first = await claimOf(await begin(key));
    await commitFor(first, `${key}-before`);
    expect(await effects(`${key}-before`)).toBe(1);

    now += timing.leaseMs + 1;
    const second = await claimOf(await begin(key));
    expect(second.token).not.toBe(first.token);

    expect(await renewIdempotentClaim({ db: database.db, claim: first, now: clock() })).toBe(false);
    await expect(commitFor(first, `${key}-late`)).rejects.toBeInstanceOf(IdempotencyClaimLostError);
    expect(await effects(`${key}-late`)).toBe(0);
    expect(
      await completeIdempotentRequest({
        db: database.db,
        claim: first,
        status: 201,
        body: "{}",
        contentType: "application/json",
      }),
    ).toBe(false);

    await commitFor(second, `${key}-successor`);
    expect(await effects(`${key}-successor`)).toBe(1);
    expect(
      await completeIdempotentRequest({
        db: database.db,
        claim: second,
        status: 201,
        body: '{"by":"second"}',
        contentType: "application/json",
      }),
    ).toBe(true);
    const replay = await begin(key);
    expect(replay).toMatchObject({ kind: "replay", status: 201, body: '{"by":"second"}' });
  });

  it("a lease renewed by the heartbeat is not taken over, however long the request runs", async () => {
    keys += 1;
    const key = `renewed-${keys}`;
    // A lease longer than a retry's patience (15 s), so the retry gives up before it could lapse.
    const longer = { leaseMs: 20_000, heartbeatMs: 5_000 };
    const first = await claimOf(await begin(key, 0, longer));
    for (let beat = 0; beat < 12; beat += 1) {
      now += longer.heartbeatMs;
      expect(await renewIdempotentClaim({ db: database.db, claim: first, now: clock() })).toBe(
        true,
      );
    }
    // Three leases after the claim: a retry waits, then gives up.
    expect(await begin(key, 500, longer)).toEqual({ kind: "in_progress" });
    await commitFor(first, key);
    expect(await effects(key)).toBe(1);
  });

  it("a commit that renews the lease in its transaction holds off a takeover racing it", async () => {
    keys += 1;
    const key = `race-${keys}`;
    const first = await claimOf(await begin(key));
    now += timing.leaseMs + 1;
    // The first execution commits (its fence renews the lease and locks the row) while a retry that saw
    // the lapsed lease tries to take the key over: the takeover waits for the commit, then fails.
    let releaseCommit: () => void = () => {};
    const committing = runWithCommitGuard(
      async (tx) => {
        await fenceIdempotentClaim({ executor: tx, claim: first, now: clock() });
        await new Promise<void>((resolve) => {
          releaseCommit = resolve;
        });
      },
      () =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`insert into fenced_effects (label) values (${key})`);
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = begin(key);
    await new Promise((resolve) => setTimeout(resolve, 100));
    releaseCommit();
    await committing;
    // Still the first execution's key: it stores its response, and the retry replays it.
    expect(
      await completeIdempotentRequest({
        db: database.db,
        claim: first,
        status: 201,
        body: '{"by":"first"}',
        contentType: "application/json",
      }),
    ).toBe(true);
    expect(await retry).toMatchObject({ kind: "replay", body: '{"by":"first"}' });
    expect(await effects(key)).toBe(1);
  });
});
