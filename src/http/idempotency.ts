import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import { runWithCommitGuard } from "../db/commit-guard.ts";
import { CommitHolder } from "../db/held-commit.ts";
import { AbonoError, conflict, validationError } from "../errors.ts";
import { runWithIdempotencyClaim } from "../idempotency/idempotency-context.ts";
import {
  type BeginOutcome,
  beginIdempotentRequest,
  completeIdempotentRequest,
  fenceIdempotentClaim,
  type IdempotencyClaim,
  releaseIdempotentRequest,
  renewIdempotentClaim,
} from "../idempotency/idempotency-store.ts";
import type { Logger } from "../logger.ts";
import type { App, AppDependencies } from "./app-types.ts";

const mutatingMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on every mutating route (README "Concepts"): same key and same request within 24 h → the first
 * response is replayed; same key with a different request → 409 `idempotency_key_reused`; a concurrent
 * duplicate waits for the first execution and replays it. Keys are scoped to the caller. Requests that fail
 * validation are not recorded; a 5xx releases the key so a retry runs again.
 *
 * While the request runs, a heartbeat renews its lease on the key, and every transaction it opens checks,
 * just before committing, that the key is still its own (the fencing token); an execution that lost the
 * key to a takeover commits nothing (docs/idempotency.md).
 */
export function registerIdempotency(app: App, { db, clock, config, logger }: AppDependencies) {
  app.decorateRequest("idempotency", null);

  app.addHook("preHandler", (request, reply, done) => {
    if (!mutatingMethods.has(request.method)) return done();
    const header = request.headers["idempotency-key"];
    if (header === undefined) return done();
    if (typeof header !== "string" || !keyPattern.test(header)) {
      return done(
        validationError(
          "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).",
        ),
      );
    }
    const principal = request.principal;
    if (principal === null) return done(); // public routes (webhooks) deduplicate by their own event ids

    const path = request.url;
    const requestHash = createHash("sha256")
      .update(`${request.method} ${path}\n${stringify(request.body ?? null)}`)
      .digest("hex");
    const answer = (outcome: BeginOutcome) => {
      switch (outcome.kind) {
        case "started": {
          const { claim } = outcome;
          const afterCommit = config.killAfterCommitKey === claim.key ? killThisProcess : undefined;
          const holder = request.routeOptions.config.answerInTransaction
            ? new CommitHolder(afterCommit)
            : null;
          request.idempotency = {
            claim,
            stop: startHeartbeat({
              db,
              claim,
              clock,
              intervalMs: config.idempotency.heartbeatMs,
              logger,
            }),
            holder,
          };
          // The handler runs with the claim: its transactions are fenced, its charges keyed by it, and
          // on routes that allow it the last one commits with the answer.
          const guard = (tx: Parameters<typeof fenceIdempotentClaim>[0]["executor"]) =>
            fenceIdempotentClaim({ executor: tx, claim, now: clock() });
          return runWithCommitGuard(guard, () => runWithIdempotencyClaim(claim, () => done()), {
            holder: holder ?? undefined,
            afterCommit,
          });
        }
        case "replay":
          reply.code(outcome.status).header("idempotent-replayed", "true");
          if (outcome.contentType) reply.header("content-type", outcome.contentType);
          reply.send(outcome.body);
          return;
        case "reused":
          return done(
            new AbonoError(
              "idempotency_key_reused",
              `This Idempotency-Key was already used for a different request (${outcome.originalMethod} ${outcome.originalPath} with another body). Use a new key for a new request.`,
            ),
          );
        case "in_progress":
          return done(
            conflict(
              "A request with this Idempotency-Key is still being processed. Retry in a few seconds.",
            ),
          );
      }
    };
    beginIdempotentRequest({
      db,
      principal: principal.id,
      key: header,
      requestHash,
      method: request.method,
      path,
      clock,
      timing: config.idempotency,
    }).then(answer, done);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const running = request.idempotency;
    if (running === null) return payload;
    request.idempotency = null;
    running.stop();
    const { claim, holder } = running;
    if (reply.statusCode >= 500 || typeof payload !== "string") {
      await holder?.settle().catch((error: unknown) => {
        request.log.warn({ err: error }, "a failed request's transaction did not commit");
      });
      await releaseIdempotentRequest({ db, claim });
    } else {
      const contentType = reply.getHeader("content-type");
      const answer = {
        claim,
        status: reply.statusCode,
        body: payload,
        contentType: typeof contentType === "string" ? contentType : null,
      };
      let stored = false;
      try {
        // The answer commits with the change it describes when the change's transaction is held.
        const inTransaction = await holder?.finish(async (tx) => {
          stored = await completeIdempotentRequest({ db: tx, ...answer });
        });
        if (!inTransaction) stored = await completeIdempotentRequest({ db, ...answer });
      } catch (error) {
        // The change's commit failed: this answer describes nothing on record. A retry runs again.
        await releaseIdempotentRequest({ db, claim }).catch(() => {});
        throw error;
      }
      if (!stored) {
        request.log.warn(
          { idempotencyKey: claim.key, status: reply.statusCode },
          "the Idempotency-Key was taken over while this request ran; its response is not stored",
        );
      }
    }
    return payload;
  });

  // A request that ends without a response (the client went away) stops renewing its lease too.
  app.addHook("onResponse", async (request) => {
    request.idempotency?.stop();
  });
  app.addHook("onRequestAbort", async (request) => {
    request.idempotency?.stop();
  });
}

/** The test fault of `ABONO_TEST_KILL_AFTER_COMMIT`: dies at once, as a crashed process does. */
function killThisProcess() {
  process.kill(process.pid, "SIGKILL");
}

/**
 * Renews the claim's lease every `intervalMs` until stopped. A renewal that finds the key taken over
 * stops; one that fails (the database unreachable) is retried at the next beat, and if none gets
 * through before the lease lapses the fence refuses the request's commits.
 */
function startHeartbeat({
  db,
  claim,
  clock,
  intervalMs,
  logger,
}: {
  db: AppDependencies["db"];
  claim: IdempotencyClaim;
  clock: () => Date;
  intervalMs: number;
  logger: Logger;
}): () => void {
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    renewIdempotentClaim({ db, claim, now: clock() })
      .then((held) => {
        if (held) return;
        clearInterval(timer);
        logger.warn(
          { idempotencyKey: claim.key },
          "the Idempotency-Key's lease was lost to another attempt; this request will commit nothing",
        );
      })
      .catch((error: unknown) => {
        logger.warn(
          { err: error, idempotencyKey: claim.key },
          "could not renew an Idempotency-Key lease",
        );
      })
      .finally(() => {
        renewing = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
