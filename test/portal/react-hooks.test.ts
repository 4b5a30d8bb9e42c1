import path from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import { browserTestsRun, launchChromium, openPortal } from "../helpers/browser.ts";
import { createPortalCatalog } from "../helpers/portal-scenario.ts";

/**
 * `@abono/react`'s hooks in Chromium against a real server: `useEntitlement` and `useEntitlements` read
 * the organization's entitlement through `@abono/client` with a portal session, share one fetch per
 * organization, refetch when the window regains focus and on an interval, and report a refused read.
 * The page (test/browser/react-hooks-harness.tsx) is bundled here with esbuild.
 */
const runs = browserTestsRun("react-hooks");
const packages = path.resolve(import.meta.dirname, "../../packages");
let app: TestApp;
let browser: Browser;
let harness: string;
let org: Awaited<ReturnType<typeof createBillingOrganization>>;
let otherId: string;

beforeAll(async () => {
  if (!runs) return;
  app = await startTestApp();
  await createPortalCatalog(app);
  // The free plan includes 10 encounters: 5 used (the scenarios below use a few more).
  org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z", locale: "en" });
  await use(5, "hooks-5");
  otherId = (await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" }))
    .organizationId;
  const built = await build({
    entryPoints: [path.resolve(import.meta.dirname, "../browser/react-hooks-harness.tsx")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    write: false,
    define: { "process.env.NODE_ENV": '"production"' },
    alias: {
      "@abono/client": path.join(packages, "client/src/index.ts"),
      "@abono/react": path.join(packages, "react/src/index.ts"),
    },
  });
  harness = built.outputFiles[0]?.text ?? "";
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function use(quantity: number, eventId: string) {
  const usage = await app.request("POST", org.path("/usage"), {
    body: { feature: "encounters", quantity, eventId },
  });
  if (usage.status >= 300) throw new Error(JSON.stringify(usage.body));
}

interface Spec {
  providers: {
    organizationId: string | null;
    options?: { refreshIntervalMs?: number; staleMs?: number; refetchOnFocus?: boolean };
    probes: { id: string; feature?: string }[];
  }[];
}

/**
 * The harness page on the service's origin, with a portal session of the organization (its cookie): the
 * entitlement reads it makes are counted per organization.
 */
async function openHarness(): Promise<{
  page: Page;
  close: () => Promise<void>;
  reads: (organizationId: string) => number;
}> {
  const { page, context } = await openPortal(browser, app, org.organizationId);
  const reads: string[] = [];
  page.on("request", (request) => {
    const match = /\/v1\/organizations\/([^/]+)\/entitlement$/.exec(
      new URL(request.url()).pathname,
    );
    if (request.method() === "GET" && match?.[1]) reads.push(decodeURIComponent(match[1]));
  });
  await page.route(`${app.baseUrl}/react-hooks`, (route) =>
    route.fulfill({
      status: 200,
      contentType: "text/html",
      body: '<!doctype html><html lang="en"><title>hooks</title><div id="root"></div></html>',
    }),
  );
  await page.goto(`${app.baseUrl}/react-hooks`);
  await page.addScriptTag({ type: "module", content: harness });
  await page.waitForFunction("'abonoHooks' in window");
  return {
    page,
    close: () => context.close(),
    reads: (organizationId) => reads.filter((id) => id === organizationId).length,
  };
}

async function mount(page: Page, spec: Spec) {
  await page.evaluate(`window.abonoHooks.mount(${JSON.stringify(spec)})`);
}

/** A probe's hook result, once its first answer is in. */
async function probe(page: Page, id: string): Promise<Record<string, any>> {
  const element = page.getByTestId(id);
  await expect
    .poll(async () => JSON.parse((await element.textContent()) ?? "{}").loading, {
      timeout: 15_000,
    })
    .toBe(false);
  return JSON.parse((await element.textContent()) ?? "{}");
}

describe.skipIf(!runs)("@abono/react hooks", () => {
  it("read the server's entitlement, one fetch shared by every hook of the organization", async () => {
    const { page, close, reads } = await openHarness();
    try {
      await mount(page, {
        providers: [
          {
            organizationId: org.organizationId,
            probes: [
              { id: "encounters", feature: "encounters" },
              { id: "encounters-again", feature: "encounters" },
              { id: "seats", feature: "seats" },
              { id: "missing", feature: "no-such-feature" },
              { id: "whole" },
            ],
          },
        ],
      });
      const server = (await app.request("GET", org.path("/entitlement"))).body;
      const check = (await app.request("GET", org.path("/entitlements/encounters"))).body;
      expect(await probe(page, "encounters")).toEqual({
        allowed: true,
        limit: 10,
        used: 5,
        remaining: 5,
        unlimited: false,
        counted: true,
        loading: false,
        error: null,
      });
      expect(check).toMatchObject({ allowed: true, used: 5, remaining: 5 });
      expect(await probe(page, "encounters-again")).toEqual(await probe(page, "encounters"));
      expect(await probe(page, "missing")).toMatchObject({ allowed: false, error: null });
      const whole = await probe(page, "whole");
      expect(whole.data).toEqual(server);
      expect((await probe(page, "seats")).limit).toBe(server.limits.seats ?? null);
      // Five hooks, one read; asking all of them to refresh at once is one more.
      expect(reads(org.organizationId)).toBe(1);
      await page.evaluate(
        `Promise.all(["encounters", "seats", "whole"].map((id) => window.abonoHooks.refresh(id)))`,
      );
      expect(reads(org.organizationId)).toBe(2);
    } finally {
      await close();
    }
  });

  it("refetch when the window regains focus, not before", async () => {
    const { page, close, reads } = await openHarness();
    try {
      await mount(page, {
        providers: [
          {
            organizationId: org.organizationId,
            options: { staleMs: 0 },
            probes: [{ id: "encounters", feature: "encounters" }],
          },
        ],
      });
      const before = await probe(page, "encounters");
      await use(1, `hooks-focus-${before.used}`);
      await page.waitForTimeout(300);
      expect(await probe(page, "encounters")).toMatchObject({ used: before.used });
      expect(reads(org.organizationId)).toBe(1);
      await page.evaluate("window.dispatchEvent(new Event('focus'))");
      await expect
        .poll(async () => (await probe(page, "encounters")).used, { timeout: 15_000 })
        .toBe(before.used + 1);
      expect(reads(org.organizationId)).toBe(2);
    } finally {
      await close();
    }
  });

  it("refetch every refreshIntervalMs while shown, and stop once unmounted", async () => {
    const { page, close, reads } = await openHarness();
    try {
      await mount(page, {
        providers: [
          {
            organizationId: org.organizationId,
            options: { refreshIntervalMs: 400, refetchOnFocus: false },
            probes: [{ id: "encounters", feature: "encounters" }],
          },
        ],
      });
      const before = await probe(page, "encounters");
      await use(1, `hooks-interval-${before.used}`);
      await expect
        .poll(async () => (await probe(page, "encounters")).used, { timeout: 15_000 })
        .toBe(before.used + 1);
      expect(reads(org.organizationId)).toBeGreaterThanOrEqual(2);
      await page.evaluate("window.abonoHooks.unmount()");
      const afterUnmount = reads(org.organizationId);
      await page.waitForTimeout(1_200);
      expect(reads(org.organizationId)).toBe(afterUnmount);
    } finally {
      await close();
    }
  });

  it("keep one fetch per organization, and report a refused read as the API's error", async () => {
    const { page, close, reads } = await openHarness();
    try {
      await mount(page, {
        providers: [
          {
            organizationId: org.organizationId,
            probes: [{ id: "own", feature: "encounters" }],
          },
          {
            organizationId: otherId,
            probes: [{ id: "other", feature: "encounters" }, { id: "other-whole" }],
          },
          { organizationId: null, probes: [{ id: "none", feature: "encounters" }] },
        ],
      });
      expect(await probe(page, "own")).toMatchObject({ allowed: true, error: null });
      // The portal session is the first organization's: the other's entitlement is refused.
      const other = await probe(page, "other");
      expect(other).toMatchObject({ allowed: false, limit: null, used: 0, loading: false });
      expect(other.error).toMatchObject({ status: 403, code: "forbidden" });
      expect((await probe(page, "other-whole")).data).toBeNull();
      // No organization: nothing is read, nothing is allowed.
      expect(await probe(page, "none")).toMatchObject({ allowed: false, error: null });
      expect(reads(org.organizationId)).toBe(1);
      expect(reads(otherId)).toBe(1);
    } finally {
      await close();
    }
  });
});
