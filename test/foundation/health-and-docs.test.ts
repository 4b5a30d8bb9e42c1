import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejectionCodes } from "../../src/entitlements/ingest-usage-batch.ts";
import { errorStatus } from "../../src/errors.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

describe("health and documentation", () => {
  it("GET /health answers 200 {status: ok} without credentials once migrated and the worker runs", async () => {
    const response = await app.request("GET", "/health", { auth: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  it("serves the OpenAPI document with bearer security and the error body on protected routes", async () => {
    const response = await app.request("GET", "/openapi.json", { auth: null });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    expect(response.body.components.securitySchemes.bearerAuth).toEqual({
      type: "http",
      scheme: "bearer",
    });
    const createKey = response.body.paths["/v1/api-keys"].post;
    expect(createKey.security).toEqual([{ bearerAuth: [] }]);
    expect(
      createKey.requestBody.content["application/json"].schema.oneOf.map(
        (variant: { required: string[] }) => variant.required,
      ),
    ).toEqual([
      ["scope", "name"],
      ["scope", "name", "organizationId"],
    ]);
    expect(
      createKey.responses["4XX"].content["application/json"].schema.properties.error,
    ).toMatchObject({
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: Object.keys(errorStatus) },
        message: { type: "string" },
      },
    });
    expect(response.body.paths["/health"].get.security).toBeUndefined();
  });

  it("serves a reference page at /docs without credentials", async () => {
    const response = await fetch(`${app.baseUrl}/docs/`, { redirect: "follow" });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
  });
});

type Operation = {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: unknown }> };
  responses: Record<
    string,
    {
      description: string;
      content?: Record<string, { schema: any; example?: unknown; examples?: unknown }>;
    }
  >;
};

describe("the OpenAPI document describes every operation on its own", () => {
  let operations: { method: string; path: string; operation: Operation }[];
  beforeAll(async () => {
    const response = await app.request("GET", "/openapi.json", { auth: null });
    operations = Object.entries(
      response.body.paths as Record<string, Record<string, Operation>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
    );
    expect(operations.length).toBeGreaterThan(50);
  });

  const hasExample = (media: { example?: unknown; examples?: unknown } | undefined) =>
    media !== undefined && (media.example !== undefined || media.examples !== undefined);

  it('gives every operation a description, and one without a wrong article ("a add-on")', () => {
    for (const { method, path, operation } of operations) {
      const name = `${method.toUpperCase()} ${path}`;
      expect(operation.description, name).toMatch(/\w+ \w+/);
      for (const text of [operation.summary ?? "", operation.description ?? ""]) {
        expect(text, name).not.toMatch(
          /\ban (?!hour|honest|sdk|http|url|id\b)[b-df-hj-np-tv-z]\w|\ba (?!one\b|one-|once\b)[aeio]\w/i,
        );
      }
    }
  });

  it("gives every request body and every JSON success response an example", () => {
    for (const { method, path, operation } of operations) {
      const name = `${method.toUpperCase()} ${path}`;
      if (operation.requestBody) {
        expect(hasExample(operation.requestBody.content["application/json"]), name).toBe(true);
      }
      const successes = Object.entries(operation.responses).filter(([status]) =>
        status.startsWith("2"),
      );
      expect(successes.length, name).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        const json = response.content?.["application/json"];
        if (json) expect(hasExample(json), `${name} ${status}`).toBe(true);
      }
    }
  });

  it("declares Idempotency-Key on every authenticated POST, PUT, PATCH and DELETE, and only there", () => {
    for (const { method, path, operation } of operations) {
      const name = `${method.toUpperCase()} ${path}`;
      const header = operation.parameters?.find(
        (parameter) => parameter.in === "header" && parameter.name === "Idempotency-Key",
      );
      const mutating = ["post", "put", "patch", "delete"].includes(method);
      expect(header !== undefined, name).toBe(mutating && operation.security !== undefined);
      if (header) expect(header.required, name).toBe(false);
    }
  });

  it("lists concrete 4xx statuses per operation, each with the codes of that status", () => {
    for (const { method, path, operation } of operations) {
      const name = `${method.toUpperCase()} ${path}`;
      const concrete = Object.keys(operation.responses).filter((status) => /^4\d\d$/.test(status));
      if (operation.security) expect(concrete, name).toContain("401");
      if (path.includes("{")) expect(concrete, name).toContain("404");
      if (operation.requestBody || path.includes("{")) expect(concrete, name).toContain("400");
      if (operation.parameters?.some((parameter) => parameter.name === "Idempotency-Key")) {
        expect(concrete, name).toContain("409");
      }
      for (const status of concrete) {
        const response = operation.responses[status];
        const codes: string[] =
          response?.content?.["application/json"]?.schema.properties.error.properties.code.enum;
        expect(codes.length, `${name} ${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(errorStatus[code as keyof typeof errorStatus], `${name} ${status} ${code}`).toBe(
            Number(status),
          );
          expect(response?.description, `${name} ${status}`).toContain(code);
        }
      }
    }
    const find = (method: string, path: string) =>
      operations.find((entry) => entry.method === method && entry.path === path)?.operation;
    const subscribe = find("post", "/v1/organizations/{orgId}/subscription");
    expect(Object.keys(subscribe?.responses ?? {})).toEqual(
      expect.arrayContaining(["400", "401", "402", "403", "404", "409"]),
    );
    const usage = find("post", "/v1/organizations/{orgId}/usage");
    expect(
      usage?.responses["409"]?.content?.["application/json"]?.schema.properties.error.properties
        .code.enum,
    ).toContain("limit_exceeded");
  });

  it("documents the invoice PDF as application/pdf, and the batch's per-event codes as an enum", () => {
    const pdf = operations.find(
      (entry) => entry.method === "get" && entry.path === "/v1/invoices/{invoiceId}/pdf",
    )?.operation;
    expect(pdf?.responses["200"]?.content?.["application/pdf"]?.schema).toMatchObject({
      type: "string",
      format: "binary",
    });
    const batch = operations.find(
      (entry) => entry.method === "post" && entry.path === "/v1/usage/batch",
    )?.operation;
    expect(
      batch?.responses["200"]?.content?.["application/json"]?.schema.properties.rejected.items
        .properties.code.enum,
    ).toEqual([...rejectionCodes]);
  });

  it("marks the preview's creditToBalance deprecated next to creditedToBalance", () => {
    const preview = operations.find(
      (entry) =>
        entry.method === "post" &&
        entry.path === "/v1/organizations/{orgId}/subscription/preview-change",
    )?.operation;
    const properties = preview?.responses["200"]?.content?.["application/json"]?.schema.properties;
    expect(properties.creditedToBalance).toMatchObject({ type: "integer" });
    expect(properties.creditToBalance).toMatchObject({ type: "integer", deprecated: true });
  });

  it("names each resource's path parameter one way", () => {
    const expected: Record<string, string> = {
      "api-keys": "keyId",
      features: "feature",
      plans: "planId",
      addons: "addonId",
      packs: "packId",
      coupons: "couponCode",
      "tax-rates": "taxRateId",
      "test-clocks": "testClockId",
      organizations: "orgId",
      members: "userId",
      invoices: "invoiceId",
      "credit-notes": "creditNoteId",
      entitlements: "feature",
      "entitlement-overrides": "feature",
      checkouts: "checkoutId",
      "payment-methods": "paymentMethodId",
      "setup-sessions": "setupSessionId",
      webhooks: "provider",
      events: "eventId",
      "webhook-endpoints": "endpointId",
      "webhook-deliveries": "deliveryId",
      "store-subscriptions": "storeSubscriptionId",
    };
    const seen: Record<string, Set<string>> = {};
    for (const { path } of operations) {
      for (const match of path.matchAll(/([\w-]+)\/\{(\w+)\}/g)) {
        const [, collection = "", parameter = ""] = match;
        seen[collection] ??= new Set();
        seen[collection].add(parameter);
      }
    }
    expect(
      Object.fromEntries(
        Object.entries(seen).map(([collection, names]) => [collection, [...names]]),
      ),
    ).toEqual(Object.fromEntries(Object.entries(expected).map(([key, name]) => [key, [name]])));
  });
});
