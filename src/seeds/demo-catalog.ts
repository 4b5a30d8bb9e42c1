import type { AddonDefinition, FeatureKind, PlanDefinition } from "../catalog/catalog-types.ts";
import type { CouponInput } from "../catalog/coupons.ts";
import type { PackInput } from "../catalog/packs.ts";
import type { Interval } from "../time/index.ts";

/**
 * A realistic catalog drawn from the product teams' documents: the free/starter/pro/enterprise ladder with
 * preventive maintenance as a gate (`preventive_maintenance`: may the organization use it at all) and a
 * limit (`active_preventives`: how many preventives may be active at once: demo 5, free 3, pro 100,
 * enterprise 1000; docs/catalog.md explains how an app checks the two); Plus
 * and Premium with included encounters, monthly and annual; an annual-only Teams plan; seat licenses and a
 * support service; encounter packs; and the FOUNDERS coupon. Prices in USD cents.
 */

const usd = (interval: Interval, unitAmount: bigint) => ({ interval, currency: "USD", unitAmount });
const monthlyAndAnnual = (monthly: bigint) => [usd("month", monthly), usd("year", monthly * 10n)];

export const demoFeatures: { key: string; name: string; kind: FeatureKind; unit: string | null }[] =
  [
    { key: "preventive_maintenance", name: "Preventive maintenance", kind: "boolean", unit: null },
    { key: "active_preventives", name: "Active preventives", kind: "limit", unit: "preventive" },
    { key: "encounters", name: "Encounters", kind: "metered", unit: "encounter" },
    { key: "seats", name: "User seats", kind: "limit", unit: "seat" },
    { key: "priority_support", name: "Priority support", kind: "boolean", unit: null },
  ];

const plan = (
  definition: Omit<PlanDefinition, "description" | "overage"> & Partial<PlanDefinition>,
) => ({
  description: null,
  overage: {},
  ...definition,
});

export const demoPlans: { id: string; definition: PlanDefinition }[] = [
  {
    id: "free",
    definition: plan({
      name: "Free",
      tier: 0,
      trialDays: 0,
      prices: [usd("month", 0n)],
      features: {
        preventive_maintenance: true,
        active_preventives: 3,
        encounters: 20,
        seats: 1,
        priority_support: false,
      },
    }),
  },
  {
    id: "demo",
    definition: plan({
      name: "Demo",
      description: "Evaluation plan: up to 5 preventive templates.",
      tier: 1,
      trialDays: 0,
      prices: [usd("month", 0n)],
      features: {
        preventive_maintenance: true,
        active_preventives: 5,
        encounters: 10,
        seats: 1,
        priority_support: false,
      },
    }),
  },
  {
    id: "starter",
    definition: plan({
      name: "Starter",
      tier: 10,
      trialDays: 14,
      prices: monthlyAndAnnual(1900n),
      features: {
        preventive_maintenance: true,
        active_preventives: 25,
        encounters: 200,
        seats: 3,
        priority_support: false,
      },
    }),
  },
  {
    id: "plus",
    definition: plan({
      name: "Plus",
      tier: 20,
      trialDays: 14,
      prices: monthlyAndAnnual(2900n),
      features: {
        preventive_maintenance: true,
        active_preventives: 50,
        encounters: 500,
        seats: 5,
        priority_support: false,
      },
      overage: { encounters: { currency: "USD", unitAmount: 10n } },
    }),
  },
  {
    id: "pro",
    definition: plan({
      name: "Pro",
      tier: 30,
      trialDays: 14,
      prices: monthlyAndAnnual(4900n),
      features: {
        preventive_maintenance: true,
        active_preventives: 100,
        encounters: 1000,
        seats: 10,
        priority_support: false,
      },
      overage: { encounters: { currency: "USD", unitAmount: 8n } },
    }),
  },
  {
    id: "premium",
    definition: plan({
      name: "Premium",
      tier: 40,
      trialDays: 14,
      prices: monthlyAndAnnual(9900n),
      features: {
        preventive_maintenance: true,
        active_preventives: 500,
        encounters: 3000,
        seats: 25,
        priority_support: true,
      },
      overage: { encounters: { currency: "USD", unitAmount: 6n } },
    }),
  },
  {
    id: "teams",
    definition: plan({
      name: "Teams",
      description: "Annual plan for growing teams.",
      tier: 50,
      trialDays: 0,
      prices: [usd("year", 199_000n)],
      features: {
        preventive_maintenance: true,
        active_preventives: 1000,
        encounters: 5000,
        seats: 50,
        priority_support: true,
      },
    }),
  },
  {
    id: "enterprise",
    definition: plan({
      name: "Enterprise",
      tier: 60,
      trialDays: 0,
      prices: monthlyAndAnnual(29_900n),
      features: {
        preventive_maintenance: true,
        active_preventives: 1000,
        encounters: null,
        seats: null,
        priority_support: true,
      },
    }),
  },
];

export const demoAddons: {
  id: string;
  kind: "license" | "service";
  definition: AddonDefinition;
}[] = [
  {
    id: "extra-seat",
    kind: "license",
    definition: {
      name: "Extra user seat",
      description: null,
      prices: monthlyAndAnnual(900n),
      features: { seats: 1 },
    },
  },
  {
    id: "priority-support",
    kind: "service",
    definition: {
      name: "Priority support",
      description: "Answers within four business hours.",
      prices: monthlyAndAnnual(4900n),
      features: { priority_support: true },
    },
  },
];

export const demoPacks: PackInput[] = [
  {
    id: "encounters-100",
    name: "100 encounters",
    feature: "encounters",
    quantity: 100n,
    price: { currency: "USD", unitAmount: 1500n },
    expiresAfterDays: null,
  },
  {
    id: "encounters-500",
    name: "500 encounters",
    feature: "encounters",
    quantity: 500n,
    price: { currency: "USD", unitAmount: 6000n },
    expiresAfterDays: null,
  },
  {
    id: "encounters-1000",
    name: "1,000 encounters",
    feature: "encounters",
    quantity: 1000n,
    price: { currency: "USD", unitAmount: 10_000n },
    expiresAfterDays: 365,
  },
];

export const demoCoupons: CouponInput[] = [
  {
    code: "FOUNDERS",
    name: "Founders program",
    percentOff: 30,
    amountOff: null,
    currency: null,
    duration: "forever",
    durationInMonths: null,
    maxRedemptions: 100,
    expiresAt: null,
    planIds: ["starter", "pro", "teams"],
  },
  {
    code: "GRATIS100",
    name: "100% off the first invoice",
    percentOff: 100,
    amountOff: null,
    currency: null,
    duration: "once",
    durationInMonths: null,
    maxRedemptions: 10,
    expiresAt: null,
    planIds: null,
  },
];
