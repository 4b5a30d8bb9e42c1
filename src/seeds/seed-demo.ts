import { inArray } from "drizzle-orm";
import { createAddon } from "../catalog/addons.ts";
import { createCoupon } from "../catalog/coupons.ts";
import { createFeature } from "../catalog/features.ts";
import { createPack } from "../catalog/packs.ts";
import { createPlan } from "../catalog/plans.ts";
import type { Database } from "../db/database.ts";
import { addons, coupons, features, packs, plans } from "../db/schema/index.ts";
import { demoAddons, demoCoupons, demoFeatures, demoPacks, demoPlans } from "./demo-catalog.ts";

export interface SeedReport {
  created: string[];
  skipped: string[];
}

interface Section {
  label: string;
  existing(ids: string[]): Promise<{ id: string }[]>;
  entries: { id: string; create(): Promise<unknown> }[];
}

/**
 * Loads the demo catalog through the same domain functions the API uses. Entries that already exist are
 * left as they are, so seeding twice changes nothing.
 */
export async function seedDemo({ db, now }: { db: Database; now: Date }): Promise<SeedReport> {
  const sections: Section[] = [
    {
      label: "feature",
      existing: (ids) =>
        db.select({ id: features.key }).from(features).where(inArray(features.key, ids)),
      entries: demoFeatures.map((input) => ({
        id: input.key,
        create: () => createFeature({ db, input, actor: "system:seed", now }),
      })),
    },
    {
      label: "plan",
      existing: (ids) => db.select({ id: plans.id }).from(plans).where(inArray(plans.id, ids)),
      entries: demoPlans.map(({ id, definition }) => ({
        id,
        create: () => createPlan({ db, id, definition, actor: "system:seed", now }),
      })),
    },
    {
      label: "add-on",
      existing: (ids) => db.select({ id: addons.id }).from(addons).where(inArray(addons.id, ids)),
      entries: demoAddons.map(({ id, kind, definition }) => ({
        id,
        create: () => createAddon({ db, id, kind, definition, actor: "system:seed", now }),
      })),
    },
    {
      label: "pack",
      existing: (ids) => db.select({ id: packs.id }).from(packs).where(inArray(packs.id, ids)),
      entries: demoPacks.map((input) => ({
        id: input.id,
        create: () => createPack({ db, input, actor: "system:seed", now }),
      })),
    },
    {
      label: "coupon",
      existing: (ids) =>
        db.select({ id: coupons.code }).from(coupons).where(inArray(coupons.code, ids)),
      entries: demoCoupons.map((input) => ({
        id: input.code,
        create: () => createCoupon({ db, input, actor: "system:seed", now }),
      })),
    },
  ];

  const report: SeedReport = { created: [], skipped: [] };
  for (const section of sections) {
    const present = new Set(
      (await section.existing(section.entries.map((entry) => entry.id))).map((row) => row.id),
    );
    for (const entry of section.entries) {
      if (present.has(entry.id)) {
        report.skipped.push(`${section.label} ${entry.id}`);
        continue;
      }
      await entry.create();
      report.created.push(`${section.label} ${entry.id}`);
    }
  }
  return report;
}

/** True when no plan exists yet: a fresh installation, to which `abono seed demo` is offered. */
export async function isCatalogEmpty(db: Database): Promise<boolean> {
  const rows = await db.select({ id: plans.id }).from(plans).limit(1);
  return rows.length === 0;
}

export const seeds = { demo: seedDemo } as const;
