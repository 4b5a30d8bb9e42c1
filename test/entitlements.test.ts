import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testClockQueue } from "../src/jobs/scheduler.ts";
import { waitForJobs } from "../src/jobs/wait-for-jobs.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "./helpers/billing-scenario.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
});
afterAll(() => app.close());

async function subscribedOrganization(planId = "plus") {
  const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
  await org.subscribe(planId);
  return org;
}

/** Polls the entitlement until the purchased units the grant job adds show (10 s at most). */
async function waitForPurchased(org: { path: (suffix?: string) => string }, expected: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entitlement = await app.request("GET", org.path("/entitlement"));
    if (entitlement.body.balances.encounters.purchased === expected) return entitlement.body;
    if (Date.now() > deadline) throw new Error(JSON.stringify(entitlement.body));
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("usage and limits", () => {
  it("50 parallel uses against 7 remaining: exactly 7 succeed, 43 get 409 limit_exceeded", async () => {
    const org = await subscribedOrganization();
    const first = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 493, eventId: "bulk-1" },
    });
    expect(first.body).toMatchObject({ allowed: true, used: 493, remaining: 7 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        app.request("POST", org.path("/usage"), {
          body: { feature: "encounters", eventId: `parallel-${index}` },
        }),
      ),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(7);
    const refused = responses.filter((response) => response.status === 409);
    expect(refused).toHaveLength(43);
    expect(refused[0]?.body.error.code).toBe("limit_exceeded");
    const check = await app.request("GET", org.path("/entitlements/encounters"));
    expect(check.body).toEqual({
      feature: "encounters",
      allowed: false,
      limit: 500,
      used: 500,
      remaining: 0,
      reason: "limit_reached",
    });
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from usage_events where organization_id = $1",
      [org.organizationId],
    );
    expect(rows[0].count).toBe(8);
  });

  it("counts a repeated eventId once", async () => {
    const org = await subscribedOrganization();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.request("POST", org.path("/usage"), {
          body: { feature: "encounters", quantity: 3, eventId: "same" },
        }),
      ),
    );
    for (const response of responses) expect(response.status).toBe(200);
    expect(responses.filter((response) => response.body.duplicate === false)).toHaveLength(1);
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body.used).toBe(3);
  });

  it("moves limit features up and down, and refuses negative metered usage", async () => {
    const org = await subscribedOrganization();
    for (let index = 0; index < 5; index++) {
      const response = await app.request("POST", org.path("/usage"), {
        body: { feature: "seats", eventId: `seat-${index}` },
      });
      expect(response.status).toBe(200);
    }
    const sixth = await app.request("POST", org.path("/usage"), {
      body: { feature: "seats", eventId: "seat-5" },
    });
    expect(sixth.status).toBe(409);
    const release = await app.request("POST", org.path("/usage"), {
      body: { feature: "seats", quantity: -2, eventId: "release" },
    });
    expect(release.body).toMatchObject({ used: 3, remaining: 2 });
    const negative = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: -1, eventId: "neg" },
    });
    expect(negative.status).toBe(400);
    // A license add-on raises the seat limit.
    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 2 },
    });
    expect((await app.request("GET", org.path("/entitlements/seats"))).body).toMatchObject({
      limit: 7,
      used: 3,
      remaining: 4,
    });
  });
});

describe("gating", () => {
  it("denies everything to a suspended organization with organization_inactive, at once", async () => {
    const org = await subscribedOrganization();
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body.allowed).toBe(
      true,
    );
    await app.request("PATCH", org.path(), { body: { status: "suspended" } });
    for (const feature of ["encounters", "seats"]) {
      const check = await app.request("GET", org.path(`/entitlements/${feature}`));
      expect(check.body).toMatchObject({ allowed: false, reason: "organization_inactive" });
    }
    const usage = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", eventId: "x" },
    });
    expect(usage.status).toBe(409);
    expect(usage.body.error.details.reason).toBe("organization_inactive");
    const entitlement = await app.request("GET", org.path("/entitlement"));
    expect(entitlement.body.organizationStatus).toBe("suspended");
  });

  it("gives a canceled organization the free plan's values", async () => {
    const org = await subscribedOrganization("premium");
    expect((await app.request("GET", org.path("/entitlement"))).body).toMatchObject({
      planId: "premium",
      limits: { encounters: 3000, seats: 25 },
    });
    await app.request("POST", org.path("/subscription/cancel"), { body: { atPeriodEnd: false } });
    const entitlement = await app.request("GET", org.path("/entitlement"));
    expect(entitlement.body).toMatchObject({
      planId: "free",
      status: "active",
      limits: { encounters: 10, seats: 1 },
    });
  });

  it("denies a feature the plan does not define", async () => {
    await app.request("POST", "/v1/features", {
      body: { key: "reports", name: "Reports", kind: "boolean" },
    });
    const org = await subscribedOrganization();
    const check = await app.request("GET", org.path("/entitlements/reports"));
    expect(check.body).toMatchObject({ allowed: false, reason: "not_in_plan" });
  });
});

describe("encounter packs (top-ups of a metered feature)", () => {
  beforeAll(() => createEncounterPack(app));

  it("declined → 402 and no grant", async () => {
    const org = await subscribedOrganization();
    await org.setDefaultCard("pm_sandbox_declined");
    const response = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(response.status).toBe(402);
    expect(response.body.error.code).toBe("payment_failed");
    // Whatever the purchase could have queued has run by now (on the organization's clock or not).
    for (const queueName of [testClockQueue(org.clockId), null]) {
      await waitForJobs({ db: app.database.db, queueName, deadline: Date.now() + 10_000 });
    }
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from entitlement_grants where organization_id = $1",
      [org.organizationId],
    );
    expect(rows[0].count).toBe(0);
    expect(
      (await app.request("GET", org.path("/entitlement"))).body.balances.encounters.purchased,
    ).toBe(0);
  });

  it("charges a one-off invoice without the credit balance; the grant arrives and survives the period reset", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("premium");
    await org.advance("2026-01-16T00:00:00Z");
    await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(3096);

    const purchase = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(purchase.status).toBe(201);
    expect(purchase.body.grant).toEqual({ feature: "encounters", quantity: 100 });
    expect(purchase.body.invoice).toMatchObject({
      kind: "one_off",
      total: 1500,
      balanceApplied: 0,
      amountPaid: 1500,
      status: "paid",
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(3096);
    await waitForPurchased(org, 100);

    const used = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 550, eventId: "big" },
    });
    expect(used.body).toMatchObject({ used: 550, remaining: 50 });
    expect((await app.request("GET", org.path("/entitlement"))).body.balances.encounters).toEqual({
      included: 500,
      purchased: 50,
      used: 550,
      remaining: 50,
    });

    await org.advance("2026-02-01T00:00:00Z");
    expect((await app.request("GET", org.path("/entitlement"))).body.balances.encounters).toEqual({
      included: 500,
      purchased: 50,
      used: 0,
      remaining: 550,
    });
  });
});

describe("pack expiry", () => {
  it("stops counting a pack's units after expiresAfterDays", async () => {
    await app.request("POST", "/v1/packs", {
      body: {
        id: "encounters-10d",
        name: "10-day encounters",
        feature: "encounters",
        quantity: 40,
        price: { currency: "USD", unitAmount: 500 },
        expiresAfterDays: 10,
      },
    });
    const org = await subscribedOrganization("plus");
    expect(
      (await app.request("POST", org.path("/purchases"), { body: { packId: "encounters-10d" } }))
        .status,
    ).toBe(201);
    await waitForPurchased(org, 40);
    await org.advance("2026-01-11T00:00:01Z");
    expect(
      (await app.request("GET", org.path("/entitlement"))).body.balances.encounters.purchased,
    ).toBe(0);
  });
});

describe("plan recommendation (from usage)", () => {
  it("recommends the cheapest plan that covers recent usage, with the reason", async () => {
    const org = await subscribedOrganization("premium");
    await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 120, eventId: "e1" },
    });
    const cheaper = await app.request("GET", org.path("/recommendation"));
    expect(cheaper.body).toMatchObject({
      currentPlanId: "premium",
      recommendedPlanId: "plus",
      usage: { encounters: 120 },
    });
    expect(cheaper.body.reason).toMatch(
      /Plus covers your recent usage \(encounters 120\) for less/,
    );
    await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 1400, eventId: "e2" },
    });
    const fits = await app.request("GET", org.path("/recommendation"));
    expect(fits.body).toMatchObject({ recommendedPlanId: "premium", usage: { encounters: 1520 } });
    expect(fits.body.reason).toMatch(/current plan is the cheapest/);
  });

  it("tells a plan that is too small which limit it exceeds", async () => {
    const org = await subscribedOrganization("plus");
    for (let index = 0; index < 5; index++) {
      await app.request("POST", org.path("/usage"), {
        body: { feature: "seats", eventId: `s${index}` },
      });
    }
    await app.database.pool.query(
      "update usage_counters set used = 9 where organization_id = $1 and feature_key = 'seats'",
      [org.organizationId],
    );
    const response = await app.request("GET", org.path("/recommendation"));
    expect(response.body.recommendedPlanId).toBe("trial-pro");
    expect(response.body.reason).toMatch(
      /exceeds Plus \(seats 9 of 5\); Trial Pro is the cheapest plan that covers it/,
    );
  });
});

describe("the entitlement cache across processes", () => {
  type Check = { limit: number; used: number; allowed: boolean; reason?: string };
  let second: Awaited<ReturnType<typeof import("../src/server.ts")["startServer"]>>;
  beforeAll(async () => {
    const { loadConfig } = await import("../src/config.ts");
    const { createLogger } = await import("../src/logger.ts");
    const { startServer } = await import("../src/server.ts");
    second = await startServer({
      config: loadConfig({
        DATABASE_URL: app.database.url,
        PORT: "0",
        ABONO_LOG_LEVEL: "silent",
        ABONO_TEST_MODE: "true",
      }),
      logger: createLogger({ level: "silent" }),
      worker: false,
      onRootKeyGenerated: () => {},
    });
  });
  afterAll(() => second.stop());

  const checkIn = (baseUrl: string, path: string) =>
    fetch(`${baseUrl}${path}`, {
      headers: { authorization: "Bearer abono_sk_test_root_key_0123456789abcdefghij" },
    }).then((response) => response.json() as Promise<Check>);

  const listeners = async () =>
    (
      await app.database.pool.query(
        `select count(*)::int as count from pg_stat_activity
          where datname = current_database() and application_name = 'abono-entitlement-listener'`,
      )
    ).rows[0].count as number;

  /**
   * The other process answers from memory, so a change reaches it with the notification, just after the
   * commit: poll until it shows (2 s at most), then it must never answer the old value again.
   */
  async function eventually(ask: () => Promise<Check>, fresh: (check: Check) => boolean) {
    const deadline = Date.now() + 2_000;
    for (let check = await ask(); !fresh(check); check = await ask()) {
      if (Date.now() > deadline) throw new Error(`still stale: ${JSON.stringify(check)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (let index = 0; index < 20; index++) expect(fresh(await ask())).toBe(true);
  }

  it("shows a change committed through one process in the other once notified, and in the first at once", async () => {
    await vi.waitFor(async () => expect(await listeners()).toBe(2));
    const org = await subscribedOrganization("plus");
    const seats = org.path("/entitlements/seats");
    const askFirst = () => checkIn(app.baseUrl, seats);
    const askSecond = () => checkIn(second.url ?? "", seats);
    expect((await askFirst()).limit).toBe(5);
    expect((await askSecond()).limit).toBe(5);

    await app.request("POST", org.path("/subscription/items"), {
      body: { addonId: "seat", quantity: 3 },
    });
    expect((await askFirst()).limit).toBe(8);
    await eventually(askSecond, (check) => check.limit === 8);

    await app.request("POST", org.path("/usage"), {
      body: { feature: "seats", quantity: 2, eventId: "two-seats" },
    });
    expect((await askFirst()).used).toBe(2);
    await eventually(askSecond, (check) => check.used === 2);

    await app.request("PATCH", org.path(), { body: { status: "suspended" } });
    expect(await askFirst()).toMatchObject({ allowed: false, reason: "organization_inactive" });
    await eventually(askSecond, (check) => check.reason === "organization_inactive");
  });

  it("forgets what it learnt from notifications when its listener is lost", async () => {
    await vi.waitFor(async () => expect(await listeners()).toBe(2));
    const org = await subscribedOrganization("plus");
    const askSecond = () => checkIn(second.url ?? "", org.path("/entitlements/seats"));
    await app.request("POST", org.path("/usage"), {
      body: { feature: "seats", quantity: 1, eventId: "one-seat" },
    });
    await eventually(askSecond, (check) => check.used === 1);

    // A write that notifies nobody (triggers off for its session): memory does not see it, proving the
    // answers come from memory, and losing the listener must drop them.
    const client = await app.database.pool.connect();
    try {
      await client.query("begin");
      await client.query("set local session_replication_role = replica");
      await client.query("update usage_counters set used = 4 where organization_id = $1", [
        org.organizationId,
      ]);
      await client.query("commit");
    } finally {
      client.release();
    }
    expect((await askSecond()).used).toBe(1);

    await app.database.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'abono-entitlement-listener'`,
    );
    await eventually(askSecond, (check) => check.used === 4);
    await vi.waitFor(async () => expect(await listeners()).toBe(2), { timeout: 5_000 });
    for (let index = 0; index < 20; index++) expect((await askSecond()).used).toBe(4);
  });
});

describe("batch ingestion", () => {
  it("accepts, deduplicates and rejects per event, never exceeding a limit", async () => {
    const org = await subscribedOrganization("plus");
    const other = await subscribedOrganization("plus");
    const key = (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId: org.organizationId, name: "k" },
      })
    ).body.secret;
    const events = [
      ...Array.from({ length: 498 }, (_, index) => ({
        organizationId: org.organizationId,
        feature: "encounters",
        eventId: `b-${index}`,
      })),
      { organizationId: org.organizationId, feature: "encounters", eventId: "b-0" },
      {
        organizationId: org.organizationId,
        feature: "encounters",
        quantity: 5,
        eventId: "too-many",
      },
      { organizationId: org.organizationId, feature: "encounters", quantity: 2, eventId: "fits" },
      { organizationId: org.organizationId, feature: "nope", eventId: "unknown" },
      { organizationId: other.organizationId, feature: "encounters", eventId: "not-mine" },
    ];
    const response = await app.request("POST", "/v1/usage/batch", { body: { events }, auth: key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      accepted: 499,
      duplicates: 1,
      rejected: [
        { index: 499, code: "limit_exceeded" },
        { index: 501, code: "unknown_feature" },
        { index: 502, code: "forbidden" },
      ],
    });
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body).toMatchObject({
      used: 500,
      remaining: 0,
    });
    const again = await app.request("POST", "/v1/usage/batch", {
      body: { events: events.slice(0, 10) },
      auth: key,
    });
    expect(again.body).toEqual({ accepted: 0, duplicates: 10, rejected: [] });
    // The refused event left neither its row nor its id's claim.
    const { rows } = await app.database.pool.query(
      `select (select count(*) from usage_events where organization_id = $1)::int as events,
              (select count(*) from usage_event_ids where organization_id = $1)::int as claims,
              (select count(*) from usage_event_ids where organization_id = $1 and event_id = 'too-many')::int as refused`,
      [org.organizationId],
    );
    expect(rows[0]).toEqual({ events: 499, claims: 499, refused: 0 });
  });

  it("sums the new events of an unlimited feature: repeats in the batch, before it and across features count once", async () => {
    const org = await subscribedOrganization("plus");
    const override = await app.request(
      "PUT",
      `/v1/root/organizations/${org.organizationId}/entitlement-overrides/encounters`,
      { body: { value: null, reason: "bulk ingestion test" } },
    );
    expect(override.status).toBe(200);
    const event = (eventId: string, quantity: number, feature = "encounters") => ({
      organizationId: org.organizationId,
      feature,
      quantity,
      eventId,
    });
    const first = await app.request("POST", "/v1/usage/batch", {
      body: {
        events: [
          ...["e1", "e2", "e3", "e4", "e5"].map((eventId) => event(eventId, 2)),
          event("e1", 7),
          event("NULL", 1),
          event('quote"back\\slash', 1),
        ],
      },
    });
    expect(first.body).toEqual({ accepted: 7, duplicates: 1, rejected: [] });
    const second = await app.request("POST", "/v1/usage/batch", {
      body: { events: [event("e1", 2), event("e6", 3), event("e6", 1, "seats")] },
    });
    expect(second.body).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body).toMatchObject({
      used: 15,
      limit: null,
    });
    expect((await app.request("GET", org.path("/entitlements/seats"))).body.used).toBe(0);
    const { rows } = await app.database.pool.query(
      `select event_id, quantity::int from usage_events where organization_id = $1 order by event_id collate "C"`,
      [org.organizationId],
    );
    expect(rows).toEqual(
      [
        ["NULL", 1],
        ["e1", 2],
        ["e2", 2],
        ["e3", 2],
        ["e4", 2],
        ["e5", 2],
        ["e6", 3],
        ['quote"back\\slash', 1],
      ].map(([event_id, quantity]) => ({ event_id, quantity })),
    );
  });

  it("counts each event of parallel overlapping batches of an unlimited feature once, in the counter and the table", async () => {
    const org = await subscribedOrganization("plus");
    const override = await app.request(
      "PUT",
      `/v1/root/organizations/${org.organizationId}/entitlement-overrides/encounters`,
      { body: { value: null, reason: "bulk ingestion test" } },
    );
    expect(override.status).toBe(200);
    const shared = Array.from({ length: 300 }, (_, index) => `shared-${index}`);
    // Six batches at once: the same 300 ids (in opposite orders) and 50 ids of their own each.
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, batch) =>
        app.request("POST", "/v1/usage/batch", {
          body: {
            events: [
              ...(batch % 2 === 0 ? shared : [...shared].reverse()),
              ...Array.from({ length: 50 }, (_, index) => `own-${batch}-${index}`),
            ].map((eventId) => ({
              organizationId: org.organizationId,
              feature: "encounters",
              quantity: 2,
              eventId,
            })),
          },
        }),
      ),
    );
    for (const response of responses) expect(response.status).toBe(200);
    const total = (key: "accepted" | "duplicates") =>
      responses.reduce((sum, response) => sum + response.body[key], 0);
    expect({ accepted: total("accepted"), duplicates: total("duplicates") }).toEqual({
      accepted: 600,
      duplicates: 1500,
    });
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body.used).toBe(1200);
    const { rows } = await app.database.pool.query(
      `select (select count(*) from usage_events where organization_id = $1)::int as events,
              (select count(distinct event_id) from usage_events where organization_id = $1)::int as ids,
              (select count(*) from usage_event_ids where organization_id = $1)::int as claims`,
      [org.organizationId],
    );
    expect(rows[0]).toEqual({ events: 600, ids: 600, claims: 600 });
  });

  it("claims the ids of parallel batches on different features in one order: overlapping ids never deadlock", async () => {
    const org = await subscribedOrganization("plus");
    for (const feature of ["encounters", "seats"]) {
      const override = await app.request(
        "PUT",
        `/v1/root/organizations/${org.organizationId}/entitlement-overrides/${feature}`,
        { body: { value: null, reason: "bulk ingestion test" } },
      );
      expect(override.status).toBe(200);
    }
    const deadlocks = async () => {
      const { rows } = await app.database.pool.query(
        "select deadlocks::int as count from pg_stat_database where datname = current_database()",
      );
      return rows[0].count as number;
    };
    const before = await deadlocks();
    // Each round: two batches at once, one per feature (so no counter lock orders them), with the same
    // 200 ids in opposite orders. Claimed in batch order, they would wait on each other's claims.
    const rounds = 6;
    let accepted = 0;
    for (let round = 0; round < rounds; round += 1) {
      const ids = Array.from({ length: 200 }, (_, index) => `round-${round}-${index}`);
      const responses = await Promise.all(
        [
          { feature: "encounters", order: ids },
          { feature: "seats", order: [...ids].reverse() },
        ].map(({ feature, order }) =>
          app.request("POST", "/v1/usage/batch", {
            body: {
              events: order.map((eventId) => ({
                organizationId: org.organizationId,
                feature,
                quantity: 1,
                eventId,
              })),
            },
          }),
        ),
      );
      for (const response of responses)
        expect(response.status, JSON.stringify(response.body)).toBe(200);
      // Every id is counted once, by whichever batch claimed it first.
      expect(responses.reduce((sum, response) => sum + response.body.accepted, 0)).toBe(200);
      expect(responses.reduce((sum, response) => sum + response.body.duplicates, 0)).toBe(200);
      accepted += 200;
    }
    const used = async (feature: string) =>
      (await app.request("GET", org.path(`/entitlements/${feature}`))).body.used as number;
    expect((await used("encounters")) + (await used("seats"))).toBe(accepted);
    // The database saw no deadlock (its statistics are flushed within a second).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await deadlocks()).toBe(before);
  });

  it("draws limited metered usage from each organization's purchased units once its allowance is used", async () => {
    await app.request("POST", "/v1/packs", {
      body: {
        id: "encounters-20",
        name: "20 encounters",
        feature: "encounters",
        quantity: 20,
        price: { currency: "USD", unitAmount: 300 },
      },
    });
    const first = await subscribedOrganization("plus");
    const second = await subscribedOrganization("plus");
    for (const [org, used] of [
      [first, 495],
      [second, 500],
    ] as const) {
      const purchase = await app.request("POST", org.path("/purchases"), {
        body: { packId: "encounters-20" },
      });
      expect(purchase.status).toBe(201);
      await waitForPurchased(org, 20);
      const usage = await app.request("POST", org.path("/usage"), {
        body: { feature: "encounters", quantity: used, eventId: "allowance" },
      });
      expect(usage.status).toBe(200);
    }
    const events = (org: typeof first, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        organizationId: org.organizationId,
        feature: "encounters",
        eventId: `pack-${index}`,
      }));
    const response = await app.request("POST", "/v1/usage/batch", {
      body: { events: [...events(first, 10), ...events(second, 25)] },
    });
    expect(response.body).toEqual({
      accepted: 30,
      duplicates: 0,
      rejected: [30, 31, 32, 33, 34].map((index) => ({ index, code: "limit_exceeded" })),
    });
    expect((await app.request("GET", first.path("/entitlement"))).body.balances.encounters).toEqual(
      { included: 500, purchased: 15, used: 505, remaining: 15 },
    );
    expect(
      (await app.request("GET", second.path("/entitlement"))).body.balances.encounters,
    ).toEqual({ included: 500, purchased: 0, used: 520, remaining: 0 });
  });

  it("refuses more than 10,000 events with a clear message", async () => {
    const events = Array.from({ length: 10_001 }, (_, index) => ({
      organizationId: "x",
      feature: "encounters",
      eventId: `${index}`,
    }));
    const response = await app.request("POST", "/v1/usage/batch", { body: { events } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/at most 10,000/);
  });
});

describe("overage in arrears", () => {
  beforeAll(async () => {
    await app.request("POST", "/v1/plans", {
      body: {
        id: "metered",
        name: "Metered",
        tier: 25,
        prices: [{ interval: "month", currency: "USD", unitAmount: 2000 }],
        features: { encounters: 100, seats: 3 },
        overage: { encounters: { unitAmount: 5, currency: "USD" } },
      },
    });
  });

  it("records usage past the allowance as overage and bills it on the renewal", async () => {
    const org = await subscribedOrganization("metered");
    const usage = await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 130, eventId: "o1" },
    });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ used: 130, remaining: 0 });
    expect((await app.request("GET", org.path("/entitlements/encounters"))).body).toMatchObject({
      allowed: true,
      used: 130,
    });
    await org.advance("2026-02-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(
      renewal.lines.map((line: { description: string; amount: number }) => [
        line.description,
        line.amount,
      ]),
    ).toEqual([
      ["Metered (monthly)", 2000],
      ["encounters: 30 over the included allowance", 150],
    ]);
    expect(renewal).toMatchObject({ total: 2150, status: "paid" });
    await org.advance("2026-03-01T00:00:00Z");
    const next = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(next.total).toBe(2000);
  });

  it("settles unbilled overage before a plan change", async () => {
    const org = await subscribedOrganization("metered");
    await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 110, eventId: "o2" },
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(200);
    expect(change.body.invoices[0]).toMatchObject({
      kind: "settlement",
      total: 50,
      amountPaid: 50,
    });
  });
});
