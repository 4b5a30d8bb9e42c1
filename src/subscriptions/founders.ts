import { sql } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Executor } from "../db/database.ts";
import { type FounderBenefit, foundersMembers } from "../db/schema/index.ts";
import type { Interval } from "../time/index.ts";

/**
 * The founders program (docs/billing.md "Lifecycle"): while it is open, an organization that takes an annual subscription
 * becomes a founder, up to the configured number of seats, and its benefit (a discount, or the price of
 * the plan version it bought locked) is recorded on the subscription. Seats are handed out one at a time
 * (a transaction-scoped lock), so the limit holds under concurrency.
 */
export async function registerFounder({
  executor,
  config,
  organizationId,
  subscriptionId,
  interval,
  planVersion,
  now,
}: {
  executor: Executor;
  config: Config;
  organizationId: string;
  subscriptionId: string;
  interval: Interval;
  planVersion: number;
  now: Date;
}): Promise<FounderBenefit | null> {
  const program = config.founders;
  if (!program || interval !== "year" || now < program.opensAt || now >= program.closesAt)
    return null;
  await executor.execute(sql`select pg_advisory_xact_lock(hashtext('abono.founders_program'))`);
  const { rows } = await executor.execute<{ members: number; already: boolean }>(sql`
    select count(*)::int as members, bool_or(organization_id = ${organizationId}) as already
      from founders_members`);
  const members = rows[0]?.members ?? 0;
  if (rows[0]?.already || members >= program.seats) return null;
  const seat = members + 1;
  const benefit: FounderBenefit =
    program.benefit.kind === "discount"
      ? { kind: "discount", percentOff: program.benefit.percentOff, seat }
      : { kind: "price_lock", planVersion, seat };
  await executor
    .insert(foundersMembers)
    .values({ organizationId, subscriptionId, seat, benefit, joinedAt: now });
  return benefit;
}
