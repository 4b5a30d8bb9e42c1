import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
      properties: { code: { type: "string" }, message: { type: "string" } },
    });
    expect(response.body.paths["/health"].get.security).toBeUndefined();
  });

  it("serves a reference page at /docs without credentials", async () => {
    const response = await fetch(`${app.baseUrl}/docs/`, { redirect: "follow" });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
  });
});
