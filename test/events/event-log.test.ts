import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventCatalog, eventTypes, isEventType } from "../../src/events/event-catalog.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "../helpers/billing-scenario.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(() => app.close());

interface Event {
  id: string;
  type: string;
  schemaVersion: number;
  sequence: number;
  createdAt: string;
  organizationId: string | null;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
}

/** Every event of an organization, oldest first, page by page. */
async function eventsOf(organizationId: string, auth?: string): Promise<Event[]> {
  const all: Event[] = [];
  let cursor: string | null = null;
  do {
    const response: { status: number; body: { data: Event[]; nextCursor: string | null } } =
      await app.request(
        "GET",
        `/v1/events?organizationId=${organizationId}&order=asc&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
        auth === undefined ? {} : { auth },
      );
    expect(response.status).toBe(200);
    all.push(...response.body.data);
    cursor = response.body.nextCursor;
  } while (cursor !== null);
  return all;
}

async function waitForEvent(organizationId: string, type: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await eventsOf(organizationId)).filter((event) => event.type === type);
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} event for ${organizationId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each event's payload is valid against the catalog's schema for its type. */
function expectValid(events: Event[]) {
  for (const event of events) {
    expect(isEventType(event.type), event.type).toBe(true);
    if (!isEventType(event.type)) continue;
    const definition = eventCatalog[event.type];
    expect(event.schemaVersion).toBe(definition.version);
    const parsed = definition.data.safeParse(event.data);
    expect(parsed.success, `${event.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    if (event.previous !== null) {
      expect(definition.previous, `${event.type} has no previous`).toBeDefined();
      expect(definition.previous?.safeParse(event.previous).success).toBe(true);
    }
  }
}

describe("the event log", () => {
  it("numbers an organization's events 1, 2, 3… and publishes what each money path does", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(200);
    const purchase = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(purchase.status).toBe(201);
    await waitForEvent(org.organizationId, "pack.granted");
    // Premium allows 25 seats: 20 is 80 %, 25 is 100 %.
    for (const [index, quantity] of [19, 1, 2, 3].entries()) {
      const usage = await app.request("POST", org.path("/usage"), {
        body: { feature: "seats", quantity, eventId: `seats-${index}` },
      });
      expect(usage.status).toBe(200);
    }
    await org.advance("2026-02-01T00:00:01Z");

    const events = await eventsOf(org.organizationId);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    expectValid(events);
    const types = events.map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(["organization.created", "entitlement.updated"]);

    // The subscription: its invoice, paid, a payment, the subscription and the entitlement.
    const paidCharge = ["invoice.created", "invoice.paid", "payment.succeeded"];
    expect(types).toEqual([
      "organization.created",
      "entitlement.updated",
      ...paidCharge,
      "subscription.created",
      "entitlement.updated",
      ...paidCharge,
      "subscription.plan_changed",
      "entitlement.updated",
      ...paidCharge,
      "pack.granted",
      "entitlement.updated",
      "usage.threshold_reached",
      "usage.threshold_reached",
      ...paidCharge,
      "subscription.renewed",
    ]);
    const paid = events.find((event) => event.type === "payment.succeeded");
    expect(paid?.data).toMatchObject({ amount: 4000, currency: "USD", provider: "sandbox" });

    // The upgrade: plan_changed with the previous plan, and the entitlement on premium.
    const changed = events.find((event) => event.type === "subscription.plan_changed");
    expect(changed?.data).toMatchObject({ planId: "premium", interval: "month" });
    expect(changed?.previous).toEqual({ planId: "plus", interval: "month" });
    const afterChange = events.filter(
      (event) => event.type === "entitlement.updated" && event.sequence > (changed?.sequence ?? 0),
    );
    expect(afterChange[0]?.data).toMatchObject({ planId: "premium", status: "active" });

    // The pack: a one-off invoice paid, then the grant.
    const granted = events.find((event) => event.type === "pack.granted");
    expect(granted?.data).toMatchObject({
      packId: "encounters-100",
      feature: "encounters",
      quantity: 100,
    });
    expect(
      events.some(
        (event) =>
          event.type === "invoice.created" &&
          event.data.kind === "one_off" &&
          event.data.billingReason === "pack_purchase",
      ),
    ).toBe(true);

    // Usage thresholds: 80 % once at 20 of 25, 100 % once at 25.
    const thresholds = events.filter((event) => event.type === "usage.threshold_reached");
    expect(thresholds.map((event) => event.data)).toEqual([
      { feature: "seats", kind: "limit", threshold: 80, used: 20, limit: 25, periodStart: null },
      { feature: "seats", kind: "limit", threshold: 100, used: 25, limit: 25, periodStart: null },
    ]);

    // The renewal, paid.
    const renewed = events.find((event) => event.type === "subscription.renewed");
    expect(renewed?.data).toMatchObject({ status: "active" });
    expect(renewed?.createdAt).toBe("2026-02-01T00:00:00.000Z");
  });

  it("publishes a declined upgrade as a voided invoice and a failed payment, nothing else", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z" });
    await org.subscribe("plus");
    const before = (await eventsOf(org.organizationId)).length;
    await org.setDefaultCard("pm_sandbox_declined");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(change.status).toBe(402);
    const events = (await eventsOf(org.organizationId)).slice(before);
    expectValid(events);
    expect(events.map((event) => event.type)).toEqual([
      "invoice.created",
      "invoice.voided",
      "invoice.payment_failed",
      "payment.failed",
    ]);
    expect(events[3]?.data).toMatchObject({ code: "card_declined", amount: expect.any(Number) });
    expect(events.map((event) => event.sequence)).toEqual(
      events.map((_, index) => before + index + 1),
    );
  });

  it("has no gap and no repeat in the sequence under parallel changes", async () => {
    const org = await createBillingOrganization(app, { start: "2026-04-01T00:00:00Z" });
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        app.request("POST", `/v1/root/organizations/${org.organizationId}/balance-adjustments`, {
          body: { amount: 100 + index, reason: `parallel ${index}` },
        }),
      ),
    );
    expect(results.every((result) => result.status === 201)).toBe(true);
    const events = await eventsOf(org.organizationId);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    const balances = events.filter((event) => event.type === "balance.changed");
    expect(balances).toHaveLength(24);
    // In sequence order the available balance only grows: each saw the one before it.
    const available = balances.map((event) => event.data.available as number);
    expect(available).toEqual([...available].sort((a, b) => a - b));
    expect(available.at(-1)).toBe(24 * 100 + (23 * 24) / 2);
  });

  it("lets an organization's key read its own events only; root reads every organization", async () => {
    const mine = await createBillingOrganization(app, { start: "2026-05-01T00:00:00Z" });
    const other = await createBillingOrganization(app, { start: "2026-05-01T00:00:00Z" });
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: mine.organizationId, name: "backend" },
    });
    expect(key.status).toBe(201);
    const own = await app.request("GET", "/v1/events", { auth: key.body.secret });
    expect(own.status).toBe(200);
    expect(own.body.data.length).toBeGreaterThan(0);
    expect(
      own.body.data.every((event: Event) => event.organizationId === mine.organizationId),
    ).toBe(true);
    const theirs = await app.request("GET", `/v1/events?organizationId=${other.organizationId}`, {
      auth: key.body.secret,
    });
    expect(theirs.status).toBe(403);
    const single = await app.request("GET", `/v1/events/${own.body.data[0].id}`, {
      auth: key.body.secret,
    });
    expect(single.status).toBe(200);
    expect(single.body).toEqual(own.body.data[0]);
    const otherEvent = (await eventsOf(other.organizationId))[0];
    expect(
      (await app.request("GET", `/v1/events/${otherEvent?.id}`, { auth: key.body.secret })).status,
    ).toBe(403);

    const everyone = await app.request("GET", "/v1/events?type=organization.created&limit=100");
    expect(everyone.status).toBe(200);
    const organizations = everyone.body.data.map((event: Event) => event.organizationId);
    expect(organizations).toEqual(
      expect.arrayContaining([mine.organizationId, other.organizationId]),
    );
    expect((await app.request("GET", "/v1/events?type=no.such_type")).status).toBe(400);
  });

  it("documents every type: the catalog route and the OpenAPI webhooks section", async () => {
    const catalog = await app.request("GET", "/v1/event-types");
    expect(catalog.status).toBe(200);
    expect(catalog.body.data.map((entry: { type: string }) => entry.type)).toEqual(eventTypes);
    const document = await app.request("GET", "/openapi.json", { auth: null });
    expect(document.body.openapi).toBe("3.1.0");
    expect(Object.keys(document.body.webhooks)).toEqual(eventTypes);
    const paid = document.body.webhooks["invoice.paid"].post;
    expect(paid.requestBody.content["application/json"].schema.properties.type.const).toBe(
      "invoice.paid",
    );
    expect(paid.parameters.map((parameter: { name: string }) => parameter.name)).toEqual([
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]);
  });

  it("uses a feature's own thresholds, once per metered period", async () => {
    const set = await app.request("PUT", "/v1/features/encounters/usage-thresholds", {
      body: { percents: [90, 50] },
    });
    expect(set.status).toBe(200);
    expect(set.body.usageThresholds).toEqual([50, 90]);
    expect(
      (
        await app.request("PUT", "/v1/features/nothing/usage-thresholds", {
          body: { percents: [50] },
        })
      ).status,
    ).toBe(404);
    try {
      const org = await createBillingOrganization(app, { start: "2026-06-01T00:00:00Z" });
      await org.subscribe("plus");
      for (const [index, quantity] of [200, 60, 200, 30].entries()) {
        const usage = await app.request("POST", org.path("/usage"), {
          body: { feature: "encounters", quantity, eventId: `encounters-${index}` },
        });
        expect(usage.status).toBe(200);
      }
      const thresholds = (await eventsOf(org.organizationId)).filter(
        (event) => event.type === "usage.threshold_reached",
      );
      expect(thresholds.map((event) => event.data)).toEqual([
        {
          feature: "encounters",
          kind: "metered",
          threshold: 50,
          used: 260,
          limit: 500,
          periodStart: "2026-06-01T00:00:00.000Z",
        },
        {
          feature: "encounters",
          kind: "metered",
          threshold: 90,
          used: 460,
          limit: 500,
          periodStart: "2026-06-01T00:00:00.000Z",
        },
      ]);
    } finally {
      await app.request("PUT", "/v1/features/encounters/usage-thresholds", {
        body: { percents: null },
      });
    }
  });
});
