import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { access } from "../../src/auth/principal.ts";
import { AbonoError, errorStatus } from "../../src/errors.ts";
import type { RouteModule } from "../../src/http/app-types.ts";
import { toErrorResponse } from "../../src/http/error-handler.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const probeRoutes: RouteModule = (app) => {
  app.post(
    "/test/echo",
    {
      config: { access: access.authenticated },
      schema: {
        body: z.object({ name: z.string().min(1), quantity: z.number().int().positive() }),
        querystring: z.object({ verbose: z.enum(["yes", "no"]).optional() }),
      },
    },
    async (request) => request.body,
  );
  app.get("/test/bug", { config: { access: access.authenticated } }, async () => {
    throw new Error("secret internal detail: connection string postgres://...");
  });
  app.get("/test/domain-error", { config: { access: access.authenticated } }, async () => {
    throw new AbonoError("limit_exceeded", "Only 3 active preventives on the free plan.", {
      limit: 3,
    });
  });
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    worker: false,
    extraRoutes: [probeRoutes],
    environment: { ABONO_BODY_LIMIT_BYTES: "2048" },
  });
});
afterAll(() => app.close());

describe("error mapping", () => {
  it("answers 404 not_found for an unknown route, with or without credentials", async () => {
    for (const auth of [null, undefined]) {
      const response = await app.request("GET", "/v1/nothing-here", { auth });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe("not_found");
    }
  });

  it("answers 400 validation_error for malformed JSON", async () => {
    const response = await app.request("POST", "/test/echo", { rawBody: '{"name": "x", ' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toMatch(/JSON/);
  });

  it("answers 400 validation_error naming every field that violates the schema", async () => {
    const response = await app.request("POST", "/test/echo", { body: { name: "", quantity: 1.5 } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    const paths = response.body.error.details.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.quantity"]));
    expect(response.body.error.message).toMatch(/body\.quantity/);
  });

  it("validates query strings too", async () => {
    const response = await app.request("POST", "/test/echo?verbose=maybe", {
      body: { name: "x", quantity: 1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.issues[0].path).toMatch(/^querystring/);
  });

  it("answers 413 payload_too_large for an oversize body", async () => {
    const response = await app.request("POST", "/test/echo", {
      body: { name: "x".repeat(5000), quantity: 1 },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("payload_too_large");
    expect(response.body.error.message).toMatch(/too large/);
  });

  it("answers 400 for an unsupported content type and for an empty JSON body", async () => {
    const xml = await app.request("POST", "/test/echo", {
      rawBody: "<name>x</name>",
      headers: { "content-type": "application/xml" },
    });
    expect(xml.status).toBe(400);
    expect(xml.body.error.code).toBe("validation_error");
    const empty = await app.request("POST", "/test/echo", {
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe("validation_error");
  });

  it("maps domain errors to their status and keeps details", async () => {
    const response = await app.request("GET", "/test/domain-error");
    expect(response.status).toBe(409);
    expect(response.body.error).toEqual({
      code: "limit_exceeded",
      message: "Only 3 active preventives on the free plan.",
      details: { limit: 3 },
    });
  });

  it("hides internal details of unexpected failures behind internal_error and the request id", async () => {
    const response = await app.request("GET", "/test/bug");
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe("internal_error");
    expect(JSON.stringify(response.body)).not.toContain("secret internal detail");
    expect(response.body.error.details.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("gives every response a prefixed request id", async () => {
    const response = await app.request("GET", "/health", { auth: null });
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{26}$/);
  });

  it("maps every error code (docs/errors.md) to its status", () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      const mapped = toErrorResponse(
        new AbonoError(code as keyof typeof errorStatus, "m"),
        "req_1",
      );
      expect(mapped.status).toBe(status);
      expect(mapped.body.error.code).toBe(code);
    }
  });
});

describe("input PostgreSQL cannot store answers 400, never 500", () => {
  const expectValidationError = (response: { status: number; body: any }, message: RegExp) => {
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(response.body.error.message).toMatch(message);
  };

  it("refuses a NUL character in the path or the query string, on the check route too", async () => {
    for (const path of [
      "/v1/organizations/%00/entitlement",
      "/v1/organizations/%00/entitlements/seats",
      "/v1/organizations/acme%00/usage",
      "/v1/audit-logs?organizationId=%00",
      "/v1/api-keys?cursor=a%00",
    ]) {
      const method = path.endsWith("/usage") ? "POST" : "GET";
      const response = await app.request(method, path, {
        body: method === "POST" ? { feature: "seats", eventId: "e" } : undefined,
      });
      expectValidationError(response, /NUL/);
    }
  });

  it("refuses a NUL character or an unpaired surrogate anywhere in a JSON body, naming the field", async () => {
    const named = await app.request("POST", "/v1/organizations", { body: { name: "A\u0000B" } });
    expectValidationError(named, /^body\.name: contains a NUL character/);
    expect(named.body.error.details).toEqual({ path: "body.name" });

    const batch = await app.request("POST", "/v1/usage/batch", {
      body: { events: [{ organizationId: "acme", feature: "seats", eventId: "e\u0000" }] },
    });
    expectValidationError(batch, /^body\.events\.0\.eventId: contains a NUL/);

    const surrogate = await app.request("POST", "/v1/root/organizations/acme/plan", {
      body: { organizationId: "acme", reason: "approved \ud800" },
    });
    expectValidationError(surrogate, /^body\.reason: contains an unpaired UTF-16 surrogate/);

    const key = await app.request("POST", "/v1/organizations", {
      body: { name: "x", "bad\u0000key": 1 },
    });
    expectValidationError(key, /^body: has a key that contains a NUL/);
  });

  it("accepts escaped text PostgreSQL can store (an emoji as a surrogate pair)", async () => {
    const response = await app.request("POST", "/v1/test-clocks", {
      rawBody: '{"frozenTime": "2030-01-01T00:00:00Z", "name": "Smile \\ud83d\\ude00 \\u00e9"}',
    });
    expect(response.status).toBe(201);
    expect(response.body.name).toBe("Smile \u{1f600} é");
  });

  it("refuses date-times outside the years 0001–9999 (UTC)", async () => {
    const responses = [
      await app.request("GET", "/v1/audit-logs?until=0000-01-01T00:00:00Z"),
      await app.request("POST", "/v1/test-clocks", {
        body: { frozenTime: "9999-12-31T23:59:59-14:00" },
      }),
      await app.request("PUT", "/v1/root/organizations/acme/entitlement-overrides/seats", {
        body: { value: 1, reason: "r", expiresAt: "9999-12-31T20:00:00-10:00" },
      }),
      await app.request("POST", "/v1/usage/batch", {
        body: {
          events: [
            {
              organizationId: "acme",
              feature: "seats",
              eventId: "e",
              timestamp: "0000-06-01T00:00:00Z",
            },
          ],
        },
      }),
    ];
    for (const response of responses)
      expectValidationError(response, /between the years 0001 and 9999/);
  });

  it("answers a path the router cannot decode, or an over-long parameter, with the API's error body", async () => {
    const undecodable = await app.request("GET", "/v1/organizations/%E0%A4%A/entitlement");
    expectValidationError(undecodable, /percent-encoded/);
    expect(undecodable.headers.get("x-request-id")).toMatch(/^req_/);

    const long = await app.request("GET", `/v1/organizations/${"o".repeat(101)}/entitlement`);
    expectValidationError(long, /too long/);
  });
});

describe("unknown ids", () => {
  it("answer 404 not_found on every organization route, reads included", async () => {
    for (const path of [
      "/v1/organizations/no-such-org/payment-methods",
      "/v1/organizations/no-such-org/invoices",
      "/v1/organizations/no-such-org/recommendation",
      "/v1/invoices/inv_missing",
    ]) {
      const response = await app.request("GET", path);
      expect(response.status, path).toBe(404);
      expect(response.body.error.code).toBe("not_found");
    }
  });
});
