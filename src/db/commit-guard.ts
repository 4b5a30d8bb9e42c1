import { AsyncLocalStorage } from "node:async_hooks";
import type { Transaction } from "./database.ts";
import type { CommitHolder } from "./held-commit.ts";

/**
 * A check that every transaction opened in the current async context runs last, inside the transaction,
 * before it commits; throwing rolls the transaction back. The HTTP layer sets one for a request with an
 * Idempotency-Key (the fencing check, src/idempotency/idempotency-store.ts) so domain code commits on the
 * request's behalf only while the request still holds its key, without passing anything down.
 */
export type CommitGuard = (tx: Transaction) => Promise<void>;

export interface CommitContext {
  guard: CommitGuard;
  /** Holds each transaction's commit until the request's answer is written into it (src/db/held-commit.ts). */
  holder?: CommitHolder;
  /** Runs right after each commit that is not held (a test fault point). */
  afterCommit?: () => void;
}

const storage = new AsyncLocalStorage<CommitContext>();

export function runWithCommitGuard<Result>(
  guard: CommitGuard,
  run: () => Result,
  options: Omit<CommitContext, "guard"> = {},
): Result {
  return storage.run({ guard, ...options }, run);
}

export function currentCommitContext(): CommitContext | undefined {
  return storage.getStore();
}

export function currentCommitGuard(): CommitGuard | undefined {
  return storage.getStore()?.guard;
}
