import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxUsageCounter, maxUsageEventQuantity } from "../../src/entitlements/usage-maximums.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/**
 * Usage quantities have documented maximums: a million units per event (checked by the request schema,
 * 400) and 10^12 units per counter and period (refused with 409 limit_exceeded, nothing recorded), so a
 * counter can never grow beyond what an invoice line can carry.
 */
let app: TestApp;
const organizationId = "usage-maximums";

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response.body)}`);
  };
  await post("/v1/features", { key: "calls", name: "Calls", kind: "metered" });
  await post("/v1/plans", {
    id: "free",
    name: "Free",
    prices: [{ interval: "month", currency: "USD", unitAmount: 0 }],
    features: { calls: null },
  });
  await post("/v1/organizations", { id: organizationId, name: "Usage maximums", currency: "USD" });
});
afterAll(() => app.close());

const usage = (quantity: number, eventId: string) =>
  app.request("POST", `/v1/organizations/${organizationId}/usage`, {
    body: { feature: "calls", quantity, eventId },
  });

describe("usage maximums", () => {
  it("refuses an event beyond the per-event maximum with 400 naming it", async () => {
    expect(maxUsageEventQuantity).toBe(1_000_000);
    const single = await usage(1_000_001, "too-big");
    expect(single.status).toBe(400);
    expect(single.body.error.code).toBe("validation_error");
    expect(JSON.stringify(single.body.error)).toContain("1000000");
    const batch = await app.request("POST", "/v1/usage/batch", {
      body: {
        events: [
          { organizationId, feature: "calls", quantity: 1_000_001, eventId: "batch-too-big" },
        ],
      },
    });
    expect(batch.status).toBe(400);
    expect(JSON.stringify(batch.body.error)).toContain("1000000");
  });

  it("refuses what would take a counter past its maximum, single and batched, and records nothing", async () => {
    expect((await usage(1, "first")).status).toBe(200);
    const { rowCount } = await app.database.pool.query(
      "update usage_counters set used = $2 where organization_id = $1 and feature_key = 'calls'",
      [organizationId, (maxUsageCounter - 5n).toString()],
    );
    expect(rowCount).toBe(1);

    const over = await usage(6, "over");
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("limit_exceeded");
    expect(over.body.error.details).toMatchObject({ reason: "counter_maximum" });
    expect(over.body.error.message).toContain(String(maxUsageCounter));

    const batch = await app.request("POST", "/v1/usage/batch", {
      body: {
        events: [
          { organizationId, feature: "calls", quantity: 6, eventId: "batch-over" },
          { organizationId, feature: "calls", quantity: 5, eventId: "batch-fits" },
        ],
      },
    });
    expect(batch.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 0, code: "limit_exceeded" }],
    });
    const { rows } = await app.database.pool.query(
      "select used::text from usage_counters where organization_id = $1 and feature_key = 'calls'",
      [organizationId],
    );
    expect(rows[0].used).toBe(maxUsageCounter.toString());
    const events = await app.database.pool.query(
      "select event_id from usage_events where organization_id = $1 order by event_id",
      [organizationId],
    );
    expect(events.rows.map((row) => row.event_id)).toEqual(["batch-fits", "first"]);
  });
});
