import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import type { IdempotencyClaim } from "./idempotency-store.ts";

/** The Idempotency-Key the current request runs under, and how many charges and refunds it made per organization. */
interface RunningRequest {
  claim: IdempotencyClaim;
  charges: Map<string, number>;
}

const storage = new AsyncLocalStorage<RunningRequest>();

export function runWithIdempotencyClaim<Result>(
  claim: IdempotencyClaim,
  run: () => Result,
): Result {
  return storage.run({ claim, charges: new Map() }, run);
}

/**
 * The provider idempotency key for the next charge of the current request, or null outside a request
 * with an Idempotency-Key. It depends on the caller, the Idempotency-Key, the organization and the
 * charge's position among the request's charges to that organization, never on ids minted during the execution, so every execution of
 * the request (a retry after a 5xx, a takeover after a crash) sends the same key for its first charge,
 * and the provider answers with the payment already made instead of charging again.
 */
export function nextProviderChargeKey(organizationId: string): string | null {
  return nextProviderKey({ organizationId, kind: "charge" });
}

/** The same for a refund (`POST /v1/invoices/:id/refunds`, balance payouts): a retry never refunds twice. */
export function nextProviderRefundKey(organizationId: string): string | null {
  return nextProviderKey({ organizationId, kind: "refund" });
}

function nextProviderKey({
  organizationId,
  kind,
}: {
  organizationId: string;
  kind: "charge" | "refund";
}): string | null {
  const running = storage.getStore();
  if (!running) return null;
  const counter = `${kind}:${organizationId}`;
  const position = (running.charges.get(counter) ?? 0) + 1;
  running.charges.set(counter, position);
  const digest = createHash("sha256")
    .update([running.claim.principal, running.claim.key, organizationId].join("\n"))
    .digest("hex")
    .slice(0, 40);
  return `abono-${digest}-${kind}-${position}`;
}
