import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEntitlement } from "../../src/entitlements/load-entitlement.ts";
import { loadEntitlements } from "../../src/entitlements/load-entitlements.ts";
import {
  summarizeEntitlement,
  summarizeEntitlements,
} from "../../src/entitlements/summarize-entitlement.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";
import { until } from "../helpers/until.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(() => app.close());

const ok = async (response: Promise<{ status: number; body: any }>) => {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

describe("loadEntitlements / summarizeEntitlements (the set-based snapshot)", () => {
  it("gives, for a varied set of organizations, exactly what the one-organization path gives", async () => {
    // Each on its own test clock frozen at `start`: their "now" is that, not the system time.
    const start = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000).toISOString();
    const organizations: Record<string, string> = {};
    const make = async (name: string) => {
      const org = await createBillingOrganization(app, { start });
      organizations[name] = org.organizationId;
      return org;
    };
    await make("no subscription");
    const plus = await make("plus with usage");
    await plus.subscribe("plus");
    await ok(
      app.request("POST", plus.path("/usage"), {
        body: { feature: "encounters", quantity: 12, eventId: "batch-1" },
      }),
    );
    await ok(
      app.request("POST", plus.path("/usage"), {
        body: { feature: "seats", quantity: 2, eventId: "batch-2" },
      }),
    );
    const overridden = await make("overrides");
    await overridden.subscribe("plus");
    await ok(
      app.request(
        "PUT",
        `/v1/root/organizations/${overridden.organizationId}/entitlement-overrides/encounters`,
        { body: { value: 77, reason: "batch test" } },
      ),
    );
    await ok(
      app.request(
        "PUT",
        `/v1/root/organizations/${overridden.organizationId}/entitlement-overrides/seats`,
        { body: { value: false, reason: "batch test" } },
      ),
    );
    const addon = await make("add-on");
    await addon.subscribe("plus");
    await ok(
      app.request("POST", addon.path("/subscription/items"), {
        body: { addonId: "seat", quantity: 3 },
      }),
    );
    const pack = await make("pack");
    await pack.subscribe("premium");
    await ok(app.request("POST", pack.path("/purchases"), { body: { packId: "encounters-100" } }));
    await until({
      what: "the pack granted",
      read: async () => {
        const summary = await ok(app.request("GET", pack.path("/entitlement")));
        return summary.balances.encounters.purchased === 100 ? true : undefined;
      },
    });
    const trial = await make("trial");
    await trial.subscribe("trial-pro");
    const canceled = await make("canceled");
    await canceled.subscribe("plus");
    await ok(
      app.request("POST", canceled.path("/subscription/cancel"), { body: { atPeriodEnd: false } }),
    );
    const suspended = await make("suspended");
    await suspended.subscribe("plus");
    await ok(
      app.request("PATCH", `/v1/organizations/${suspended.organizationId}`, {
        body: { status: "suspended" },
      }),
    );

    const db = app.server.connection.db;
    const systemNow = new Date();
    const ids = [...Object.values(organizations), "no-such-organization"];
    const batch = await loadEntitlements({
      executor: db,
      organizationIds: ids,
      freePlanId: "free",
      systemNow,
    });
    expect([...batch.keys()].sort()).toEqual(Object.values(organizations).sort());
    const now = new Date(start);
    const single = new Map<string, Awaited<ReturnType<typeof loadEntitlement>>>();
    for (const id of Object.values(organizations)) {
      single.set(
        id,
        await loadEntitlement({ executor: db, organizationId: id, freePlanId: "free", systemNow }),
      );
    }
    for (const [name, id] of Object.entries(organizations)) {
      expect({ name, entitlement: batch.get(id) }).toEqual({ name, entitlement: single.get(id) });
    }
    const summaries = await summarizeEntitlements({
      executor: db,
      loaded: [...batch.values()].map((entitlement) => ({
        entitlement,
        now,
      })),
    });
    for (const [name, id] of Object.entries(organizations)) {
      const one = await summarizeEntitlement({
        executor: db,
        entitlement: single.get(id) as never,
        now,
      });
      expect({ name, summary: summaries.get(id) }).toEqual({ name, summary: one });
      // And what the API answers for it.
      const api = await ok(app.request("GET", `/v1/organizations/${id}/entitlement`));
      expect({ name, summary: JSON.parse(JSON.stringify(summaries.get(id))) }).toEqual({
        name,
        summary: api,
      });
    }
    // The scenarios differ where they should (a guard against a vacuous comparison).
    const summary = (name: string) => summaries.get(organizations[name] as string);
    expect(summary("no subscription")?.planId).toBe("free");
    expect(summary("plus with usage")?.usage).toMatchObject({ encounters: 12, seats: 2 });
    expect(summary("overrides")?.limits).toMatchObject({ encounters: 77, seats: 0 });
    expect(summary("add-on")?.limits.seats).toBe(8);
    expect(summary("pack")?.balances.encounters?.purchased).toBe(100);
    expect(summary("trial")?.status).toBe("trialing");
    expect(summary("canceled")?.planId).toBe("free");
    expect(summary("suspended")?.organizationStatus).toBe("suspended");
  });
});
