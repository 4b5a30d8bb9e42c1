import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { plans } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";

/**
 * The free plan (ABONO_FREE_PLAN_ID) every organization starts on. It is the operator's to create, so its
 * absence is an `invalid_state` (409) that says what to do, never an internal error.
 */
export async function requireFreePlan({
  executor,
  freePlanId,
}: {
  executor: Executor;
  freePlanId: string;
}): Promise<{ id: string; currentVersion: number }> {
  const [plan] = await executor
    .select({ id: plans.id, currentVersion: plans.currentVersion })
    .from(plans)
    .where(eq(plans.id, freePlanId));
  if (!plan) {
    throw invalidState(
      `The free plan "${freePlanId}" (ABONO_FREE_PLAN_ID) is not in the catalog, and every organization starts on it. Create a plan with id "${freePlanId}" (POST /v1/plans) or run \`abono seed demo\`, then send the request again (with a new Idempotency-Key if you sent one).`,
      { freePlanId },
    );
  }
  return plan;
}
