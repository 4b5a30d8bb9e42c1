import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portalDistDir } from "../../src/http/portal-pages.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** The portal's files as the service serves them (built by the tests' global setup, as by npm start). */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    worker: false,
    environment: {
      ABONO_PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com",
      ABONO_PORTAL_ACCENT_COLOR: "#0f766e",
    },
  });
});
afterAll(() => app.close());

describe("portal pages", () => {
  it("serves the app's page uncached at every portal path, the pricing page and the checkout return pages", async () => {
    for (const page of [
      "/portal/",
      "/portal/invoices",
      "/portal/plans/review",
      "/checkout/success",
      "/checkout/cancel",
      "/plans",
    ]) {
      const response = await fetch(`${app.baseUrl}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      const html = await response.text();
      expect(html).toContain('<div id="root">');
      expect(html).toContain("<style>:root{--accent:#0f766e}</style></head>");
      expect(response.headers.get("content-security-policy")).toBe(
        page === "/plans" ? "frame-ancestors *" : "frame-ancestors 'self' https://app.example.com",
      );
    }
    const bare = await fetch(`${app.baseUrl}/portal`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/portal/");
  });

  it("serves hashed assets with a year-long immutable cache, and 404 for a missing one", async () => {
    const html = await (await fetch(`${app.baseUrl}/portal/`)).text();
    const script = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/portal\/assets\/index-[\w-]{8,}\.js$/);
    const asset = await fetch(`${app.baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    const missing = await fetch(`${app.baseUrl}/portal/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
  });

  it("is built from the sources, never committed: web/dist is ignored", async () => {
    const ignored = await fs.readFile(path.resolve(portalDistDir, "../../.gitignore"), "utf8");
    expect(ignored.split("\n")).toContain("web/dist/");
    expect(await fs.readFile(path.join(portalDistDir, ".build-stamp"), "utf8")).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});
