import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import { AbonoError, conflict, validationError } from "../errors.ts";
import {
  beginIdempotentRequest,
  completeIdempotentRequest,
  releaseIdempotentRequest,
} from "../idempotency/idempotency-store.ts";
import type { App, AppDependencies } from "./app-types.ts";

const mutatingMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on every mutating route (README "Concepts"): same key and same request within 24 h → the first
 * response is replayed; same key with a different request → 409 `idempotency_key_reused`; a concurrent
 * duplicate waits for the first execution and replays it. Keys are scoped to the caller. Requests that fail
 * validation are not recorded; a 5xx releases the key so a retry runs again.
 */
export function registerIdempotency(app: App, { db, clock }: AppDependencies) {
  app.decorateRequest("idempotency", null);

  app.addHook("preHandler", async (request, reply) => {
    if (!mutatingMethods.has(request.method)) return;
    const header = request.headers["idempotency-key"];
    if (header === undefined) return;
    if (typeof header !== "string" || !keyPattern.test(header)) {
      throw validationError(
        "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).",
      );
    }
    const principal = request.principal;
    if (principal === null) return; // public routes (webhooks) deduplicate by their own event ids

    const path = request.url;
    const requestHash = createHash("sha256")
      .update(`${request.method} ${path}\n${stringify(request.body ?? null)}`)
      .digest("hex");
    const outcome = await beginIdempotentRequest({
      db,
      principal: principal.id,
      key: header,
      requestHash,
      method: request.method,
      path,
      clock,
    });
    switch (outcome.kind) {
      case "started":
        request.idempotency = { principal: principal.id, key: header };
        return;
      case "replay":
        reply.code(outcome.status).header("idempotent-replayed", "true");
        if (outcome.contentType) reply.header("content-type", outcome.contentType);
        return reply.send(outcome.body);
      case "reused":
        throw new AbonoError(
          "idempotency_key_reused",
          `This Idempotency-Key was already used for a different request (${outcome.originalMethod} ${outcome.originalPath} with another body). Use a new key for a new request.`,
        );
      case "in_progress":
        throw conflict(
          "A request with this Idempotency-Key is still being processed. Retry in a few seconds.",
        );
    }
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotency;
    if (claim === null) return payload;
    request.idempotency = null;
    if (reply.statusCode >= 500 || typeof payload !== "string") {
      await releaseIdempotentRequest({ db, ...claim });
    } else {
      const contentType = reply.getHeader("content-type");
      await completeIdempotentRequest({
        db,
        ...claim,
        status: reply.statusCode,
        body: payload,
        contentType: typeof contentType === "string" ? contentType : null,
      });
    }
    return payload;
  });
}
