import { createFeature } from "../src/catalog/features.ts";
import { createPlan } from "../src/catalog/plans.ts";
import type { Database } from "../src/db/database.ts";

/**
 * The catalog `seedDueSubscriptions` subscribes to: a metered `encounters` feature and the monthly USD
 * `plus` plan (40.00, 500 encounters). Used by the renewal benchmark and the crash test.
 */
export async function seedPlusPlan({ db, now }: { db: Database; now: Date }): Promise<void> {
  await createFeature({
    db,
    input: { key: "encounters", name: "Encounters", kind: "metered", unit: null },
    now,
  });
  await createPlan({
    db,
    id: "plus",
    definition: {
      name: "Plus",
      description: null,
      tier: 1,
      trialDays: 0,
      prices: [{ interval: "month", currency: "USD", unitAmount: 4000n }],
      features: { encounters: 500 },
      overage: {},
    },
    now,
  });
}
