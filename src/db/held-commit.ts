import type { Transaction } from "./database.ts";

/** What is written into a held transaction just before it commits (the request's stored answer). */
export type FinalWrite = (tx: Transaction) => Promise<void>;

/** Past this, a held transaction commits without waiting for its request's answer any longer. */
export const heldCommitMaxMs = 5_000;

interface Held {
  /** Lets the transaction commit, after writing `write` into it when given. */
  end(write: FinalWrite | null): void;
  /** Settles when the transaction has committed; rejects when it rolled back or its commit failed. */
  ended: Promise<void>;
}

/**
 * Holds the commit of a request's transactions until the request knows its answer, so that the answer is
 * stored in the same transaction as the change it describes: a process that dies after the commit has
 * both on record, and one that dies before it has neither (docs/idempotency.md).
 *
 * A transaction opened under a holder runs as usual up to its last statement (the commit guard); then
 * its result goes back to its caller while the transaction stays open, and it commits when the next
 * transaction of the request begins (the change of one transaction is then committed before the next one
 * reads), when the answer is written into it (`finish`), or after `heldCommitMaxMs` at the latest. Only
 * routes that read nothing outside their transactions after it may run under a holder: a plain query
 * would not see the held change.
 */
export class CommitHolder {
  #held: Held | null = null;
  /** Transactions let go without an answer whose commit is still under way. */
  #ending: Promise<void>[] = [];

  constructor(private readonly afterCommit?: () => void) {}

  /**
   * Runs `open`, which opens one transaction and calls `park(tx, result)` as the transaction's last step:
   * resolves with the result as soon as the transaction is parked, or rejects if it failed before.
   */
  async run<Result>(
    open: (park: (tx: Transaction, result: Result) => Promise<void>) => Promise<Result>,
  ): Promise<Result> {
    await this.settle();
    let handOut!: (result: Result) => void;
    let fail!: (error: unknown) => void;
    const handed = new Promise<Result>((resolve, reject) => {
      handOut = resolve;
      fail = reject;
    });
    let end!: (write: FinalWrite | null) => void;
    const finalWrite = new Promise<FinalWrite | null>((resolve) => {
      end = resolve;
    });
    let parked = false;
    const ended = open(async (tx, result) => {
      parked = true;
      handOut(result);
      const timer = setTimeout(() => end(null), heldCommitMaxMs);
      timer.unref();
      const write = await finalWrite;
      clearTimeout(timer);
      if (write) await write(tx);
    }).then(() => this.afterCommit?.());
    ended.catch((error) => {
      if (!parked) fail(error);
    });
    const result = await handed;
    // Another transaction of the request parked meanwhile (opened concurrently): it commits now.
    if (this.#held) this.#letGo(this.#held);
    this.#held = { end, ended };
    return result;
  }

  /** Whether a transaction is waiting for the answer. */
  holding(): boolean {
    return this.#held !== null;
  }

  /**
   * Writes `write` into the held transaction and commits it; throws when that commit failed (the change is
   * then not on record, or not known to be). False when no transaction is held.
   */
  async finish(write: FinalWrite): Promise<boolean> {
    const held = this.#held;
    this.#held = null;
    try {
      await this.#endedBefore();
    } catch (error) {
      held?.end(null);
      throw error;
    }
    if (!held) return false;
    held.end(write);
    await held.ended;
    return true;
  }

  /** Commits whatever is held, with nothing more written; throws when a commit failed. */
  async settle(): Promise<void> {
    if (this.#held) this.#letGo(this.#held);
    this.#held = null;
    await this.#endedBefore();
  }

  #letGo(held: Held) {
    held.end(null);
    this.#ending.push(held.ended);
  }

  async #endedBefore(): Promise<void> {
    const ending = this.#ending;
    this.#ending = [];
    await Promise.all(ending);
  }
}
