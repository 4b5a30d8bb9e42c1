import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/**
 * Feature keys are unique without regard to case: `Encounters` next to `encounters` would be two
 * features a reader (and a client that normalizes case) cannot tell apart.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
});
afterAll(() => app.close());

describe("feature keys", () => {
  it("refuses a key that differs from an existing one only by case, naming it", async () => {
    const first = await app.request("POST", "/v1/features", {
      body: { key: "active_preventives", name: "Active preventives", kind: "limit" },
    });
    expect(first.status).toBe(201);
    const second = await app.request("POST", "/v1/features", {
      body: { key: "ACTIVE_PREVENTIVES", name: "Preventive maintenance", kind: "boolean" },
    });
    expect(second.status).toBe(400);
    expect(second.body.error.code).toBe("validation_error");
    expect(second.body.error.message).toMatch(/"active_preventives"/);
    expect(second.body.error.message).toMatch(/case/);
    expect(second.body.error.details).toMatchObject({
      key: "ACTIVE_PREVENTIVES",
      existingKey: "active_preventives",
    });
    expect((await app.request("GET", "/v1/features/ACTIVE_PREVENTIVES")).status).toBe(404);
  });

  it("creates one feature when two keys differing by case race", async () => {
    const responses = await Promise.all(
      ["Seats", "seats", "SEATS", "sEaTs"].map((key) =>
        app.request("POST", "/v1/features", { body: { key, name: "Seats", kind: "limit" } }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 400, 400, 400]);
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from features where lower(key) = 'seats'",
    );
    expect(rows[0].count).toBe(1);
  });
});
