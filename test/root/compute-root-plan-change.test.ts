import { describe, expect, it } from "vitest";
import {
  computeRootPlanChange,
  type EntitlementState,
} from "../../src/root/compute-root-plan-change.ts";

/** The pure part of root's override: what is written, what is left alone, which warnings. */

const now = new Date("2026-05-10T12:00:00Z");
const current: EntitlementState = {
  planId: "starter",
  planVersion: 2,
  status: "active",
  trialEndsAt: null,
  graceEndsAt: null,
  source: "subscription",
  manualFeatures: null,
};
const starterFeatures = { active_preventives: 25, encounters: 200, preventive_maintenance: true };
const base = {
  current,
  catalogPlan: null,
  previousPlanFeatures: starterFeatures,
  liveSubscription: null,
  freePlanId: "free",
  pastDueGraceDays: 7,
  now,
};

describe("computeRootPlanChange", () => {
  it("leaves the entitlement alone without planId and entitlementStatus", () => {
    const change = computeRootPlanChange({ ...base, request: { organizationStatus: "suspended" } });
    expect(change).toEqual({
      entitlement: null,
      organizationStatus: "suspended",
      planCatalogFound: null,
      warnings: [],
    });
  });

  it("warns when nothing at all is asked for", () => {
    const change = computeRootPlanChange({ ...base, request: {} });
    expect(change.entitlement).toBeNull();
    expect(change.organizationStatus).toBeNull();
    expect(change.warnings).toEqual([expect.stringContaining("Nothing was changed")]);
  });

  it("moves to a catalog plan at its current version, source manual, status kept", () => {
    const change = computeRootPlanChange({
      ...base,
      request: { planId: "pro" },
      catalogPlan: { id: "pro", currentVersion: 4 },
    });
    expect(change.planCatalogFound).toBe(true);
    expect(change.entitlement).toEqual({
      ...current,
      planId: "pro",
      planVersion: 4,
      source: "manual",
      manualFeatures: null,
    });
    expect(change.warnings).toEqual([]);
  });

  it("keeps the previous plan's values for a plan missing from the catalog", () => {
    const change = computeRootPlanChange({ ...base, request: { planId: "legacy" } });
    expect(change.planCatalogFound).toBe(false);
    expect(change.entitlement).toMatchObject({
      planId: "legacy",
      planVersion: null,
      manualFeatures: starterFeatures,
    });
    expect(change.warnings).toEqual([expect.stringContaining('"starter"')]);
  });

  it("denies everything (and says so) when even the previous plan had no known values", () => {
    const change = computeRootPlanChange({
      ...base,
      request: { planId: "legacy" },
      previousPlanFeatures: null,
    });
    expect(change.entitlement?.manualFeatures).toEqual({});
    expect(change.warnings[0]).toContain("every feature is denied");
  });

  it("starts a grace period when root sets past_due, keeps a running one, clears it otherwise", () => {
    const pastDue = computeRootPlanChange({ ...base, request: { entitlementStatus: "past_due" } });
    expect(pastDue.entitlement?.graceEndsAt).toEqual(new Date("2026-05-17T12:00:00Z"));
    const running = new Date("2026-05-12T00:00:00Z");
    const again = computeRootPlanChange({
      ...base,
      current: { ...current, status: "past_due", graceEndsAt: running },
      request: { entitlementStatus: "past_due" },
    });
    expect(again.entitlement?.graceEndsAt).toEqual(running);
    const active = computeRootPlanChange({
      ...base,
      current: { ...current, status: "past_due", graceEndsAt: running },
      request: { entitlementStatus: "active" },
    });
    expect(active.entitlement?.graceEndsAt).toBeNull();
  });

  it("warns about a live subscription and a trial without an end", () => {
    const change = computeRootPlanChange({
      ...base,
      request: { entitlementStatus: "trialing" },
      liveSubscription: { id: "sub_1", planId: "starter" },
    });
    expect(change.warnings).toEqual([
      expect.stringContaining("no trial end date"),
      expect.stringContaining("sub_1"),
    ]);
  });

  it("starts from the free plan when the organization has no entitlement yet", () => {
    const change = computeRootPlanChange({
      ...base,
      current: null,
      previousPlanFeatures: null,
      request: { entitlementStatus: "active" },
    });
    expect(change.entitlement).toMatchObject({
      planId: "free",
      status: "active",
      source: "manual",
    });
  });
});
