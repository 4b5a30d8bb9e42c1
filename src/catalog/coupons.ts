import { asc, inArray, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { coupons, plans } from "../db/schema/index.ts";
import { invalidEntry, notFound, validationError } from "../errors.ts";
import { listFilter } from "./catalog-queries.ts";
import type { Coupon } from "./catalog-types.ts";
import { setEntryArchived } from "./set-entry-archived.ts";
import { validateCurrency } from "./validate-catalog-entry.ts";

/**
 * Coupons (docs/billing.md "Coupons"): `percentOff` 1–100 or `amountOff` + currency; `once`, `repeating`
 * (`durationInMonths`) or `forever`; optional `maxRedemptions`, `expiresAt` and allowed `planIds`.
 * Codes are unique regardless of case.
 */
export interface CouponInput {
  code: string;
  name: string | null;
  percentOff: number | null;
  amountOff: bigint | null;
  currency: string | null;
  duration: Coupon["duration"];
  durationInMonths: number | null;
  maxRedemptions: number | null;
  expiresAt: Date | null;
  planIds: string[] | null;
}

/** Creates a coupon (audited as `catalog.coupon_created` by `actor`). */
export async function createCoupon({
  db,
  input,
  actor = "system",
  now,
}: {
  db: Database;
  input: CouponInput;
  actor?: string;
  now: Date;
}): Promise<Coupon> {
  const problems = validateCouponInput({ input, now });
  if (input.planIds && input.planIds.length > 0) {
    const known = await db
      .select({ id: plans.id })
      .from(plans)
      .where(inArray(plans.id, input.planIds));
    const knownIds = new Set(known.map((plan) => plan.id));
    for (const planId of input.planIds) {
      if (!knownIds.has(planId)) problems.push(`planIds: no plan with id "${planId}"`);
    }
  }
  if (problems.length > 0) {
    throw invalidEntry("The coupon", problems);
  }
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(coupons)
      .values({ ...input, createdAt: now })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      throw validationError(
        `A coupon with code "${input.code}" already exists (codes are compared without case); choose another code.`,
        { code: input.code },
      );
    }
    await recordAudit({
      executor: tx,
      entry: { action: "catalog.coupon_created", actor, organizationId: null, after: created },
      now,
    });
    return created;
  });
}

/** Pure rules a coupon must satisfy before it is stored. */
export function validateCouponInput({ input, now }: { input: CouponInput; now: Date }): string[] {
  const problems: string[] = [];
  const { percentOff, amountOff } = input;
  if ((percentOff === null) === (amountOff === null)) {
    problems.push(
      "give either percentOff (1–100) or amountOff with a currency, not both and not neither",
    );
  }
  if (percentOff !== null && (percentOff < 1 || percentOff > 100)) {
    problems.push("percentOff: must be between 1 and 100");
  }
  if (amountOff !== null) {
    if (amountOff <= 0n) problems.push("amountOff: must be a positive amount in minor units");
    if (input.currency === null) {
      problems.push("currency: required with amountOff (the currency the amount is in)");
    } else {
      problems.push(...validateCurrency({ currency: input.currency, path: "currency" }));
    }
  } else if (input.currency !== null) {
    problems.push("currency: only allowed with amountOff");
  }
  if (input.duration === "repeating" && input.durationInMonths === null) {
    problems.push("durationInMonths: required when duration is repeating");
  }
  if (input.duration !== "repeating" && input.durationInMonths !== null) {
    problems.push("durationInMonths: only allowed when duration is repeating");
  }
  if (input.expiresAt !== null && input.expiresAt <= now) {
    problems.push("expiresAt: must be in the future");
  }
  return problems;
}

export async function getCoupon({ db, code }: { db: Database; code: string }): Promise<Coupon> {
  const [coupon] = await db.select().from(coupons).where(matchesCode(code));
  if (!coupon) throw notFound("Coupon", code);
  return coupon;
}

export async function listCoupons({
  db,
  includeArchived,
  limit,
  cursor,
}: {
  db: Database;
  includeArchived: boolean;
  limit: number;
  cursor?: string | undefined;
}): Promise<Coupon[]> {
  return db
    .select()
    .from(coupons)
    .where(
      listFilter({ archivedAt: coupons.archivedAt, includeArchived, key: coupons.code, cursor }),
    )
    .orderBy(asc(coupons.code))
    .limit(limit);
}

/** Stops a coupon from being redeemed, or allows it again (audited by `actor`). */
export async function setCouponArchived({
  db,
  code,
  archived,
  actor = "system",
  now,
}: {
  db: Database;
  code: string;
  archived: boolean;
  actor?: string;
  now: Date;
}): Promise<Coupon> {
  const stored = await setEntryArchived({
    db,
    table: coupons,
    key: coupons.code,
    id: code,
    match: matchesCode(code),
    noun: "Coupon",
    auditName: "coupon",
    archived,
    actor,
    now,
  });
  return getCoupon({ db, code: stored });
}

/** Codes are compared without case. */
const matchesCode = (code: string) => sql`upper(${coupons.code}) = upper(${code})`;
