import { AsyncLocalStorage } from "node:async_hooks";
import type { Transaction } from "./database.ts";

/**
 * A check that every transaction opened in the current async context runs last, inside the transaction,
 * before it commits; throwing rolls the transaction back. The HTTP layer sets one for a request with an
 * Idempotency-Key (the fencing check, src/idempotency/idempotency-store.ts) so domain code commits on the
 * request's behalf only while the request still holds its key, without passing anything down.
 */
export type CommitGuard = (tx: Transaction) => Promise<void>;

const storage = new AsyncLocalStorage<CommitGuard>();

export function runWithCommitGuard<Result>(guard: CommitGuard, run: () => Result): Result {
  return storage.run(guard, run);
}

export function currentCommitGuard(): CommitGuard | undefined {
  return storage.getStore();
}
