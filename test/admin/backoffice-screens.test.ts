import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  browserTestsRun,
  desktop,
  launchChromium,
  phone,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";

/**
 * The operator backoffice (/admin, docs/backoffice.md) in a real browser, checked on the screen and against
 * the API: sign-in with a root key, a plan edit that makes version 2 while a subscription stays on 1, the
 * danger zone's refusals and its manual override with the audit entry, a balance adjustment in the ledger,
 * and a non-root credential that gets nothing.
 */
const runs = browserTestsRun("backoffice-screens");
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  if (!runs) return;
  app = await startTestApp();
  await createBillingCatalog(app);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A fresh browser signed in at /admin with `credential` through the sign-in form. */
async function signIn(
  credential: string,
  { viewport = desktop }: { viewport?: { width: number; height: number } } = {},
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/admin`);
  await page.getByTestId("credential").fill(credential);
  await page.getByRole("button", { name: "Sign in" }).click();
  return { page, context };
}

async function expectAccessible(page: Page) {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
}

describe.skipIf(!runs)("the backoffice", () => {
  it("signs in with a root key into an httpOnly cookie, searches organizations, signs out", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const { page, context } = await signIn(testRootKey);
    await page.waitForSelector("[data-testid=operator]");
    expect(await page.getByTestId("operator").innerText()).toMatch(/^Signed in as key_/);
    expect(await page.getByTestId("test-mode").isVisible()).toBe(true);
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "abono_admin");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // The page never keeps the key: not in storage, not in the DOM.
    expect(
      await page.evaluate("JSON.stringify(localStorage) + document.body.innerHTML"),
    ).not.toContain(testRootKey);

    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByTestId("organization-search").fill(org.organizationId);
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByTestId("organizations").locator("tbody tr").count()).toBe(1);
    expect(await page.getByTestId("organizations").innerText()).toContain(org.organizationId);
    await expectAccessible(page);
    await screenshot(page, "admin-organizations-en");

    await switchLanguage(page, "es");
    await page.getByRole("heading", { name: "Organizaciones" }).waitFor();
    await expectAccessible(page);
    await switchLanguage(page, "en");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to the backoffice" }).waitFor();
    const after = await context.request.get(`${app.baseUrl}/v1/organizations`, {
      headers: { "x-abono-backoffice": "1" },
    });
    expect(after.status()).toBe(401);
    await context.close();
  });

  it("refuses a non-root credential: no session, no /admin data", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const key = await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: org.organizationId, name: "backend" },
    });
    const { page, context } = await signIn(key.body.secret);
    await page.getByTestId("sign-in-error").waitFor();
    expect(await page.getByTestId("sign-in-error").innerText()).toContain(
      "not the platform operator",
    );
    expect((await context.cookies()).some((cookie) => cookie.name === "abono_admin")).toBe(false);
    const list = await context.request.get(`${app.baseUrl}/v1/organizations`, {
      headers: { authorization: `Bearer ${key.body.secret}` },
    });
    expect(list.status()).toBe(403);
    const audit = await context.request.get(`${app.baseUrl}/v1/audit-logs`, {
      headers: { "x-abono-backoffice": "1" },
    });
    expect(audit.status()).toBe(401);
    await expectAccessible(page);
    await context.close();
  });

  it("editing a plan creates version 2 while an existing subscription stays on version 1", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    const { page, context } = await signIn(testRootKey);
    await page.getByRole("link", { name: "Plan Settings" }).click();
    await page.getByTestId("plan-version-plus").waitFor();
    expect(await page.getByTestId("plan-version-plus").innerText()).toBe("1");
    await page.getByRole("button", { name: "Edit plus" }).click();
    await page.getByTestId("price-month-USD").fill("4500");
    await page.getByTestId("feature-seats").fill("6");
    await screenshot(page, "admin-plan-edit-en");
    await page.getByRole("button", { name: "Save as a new version" }).click();
    await page.getByTestId("plan-saved").waitFor();
    expect(await page.getByTestId("plan-saved").innerText()).toContain("plus is now at version 2");
    await expect.poll(() => page.getByTestId("plan-version-plus").innerText()).toBe("2");
    await expectAccessible(page);

    const plan = await app.request("GET", "/v1/plans/plus");
    expect(plan.body).toMatchObject({ version: 2, features: { seats: 6 } });
    expect(plan.body.prices).toContainEqual({
      interval: "month",
      currency: "USD",
      unitAmount: 4500,
    });
    // Who is on which version, and what changed from 1 to 2.
    await page.getByRole("button", { name: "Versions plus" }).click();
    const versions = page.getByTestId("plan-versions-plus");
    await expect.poll(() => versions.innerText()).toContain("Version 1: 1 live subscriptions");
    expect(await versions.innerText()).toContain("Version 2: 0 live subscriptions");
    await expect
      .poll(() => versions.getByTestId("audit-diff").innerText())
      .toMatch(/prices\.month\.USD\s+4000\s+4500/);
    expect(await versions.getByTestId("audit-diff").innerText()).toMatch(/features\.seats\s+5\s+6/);
    await expectAccessible(page);
    await screenshot(page, "admin-plan-versions-en");
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.body).toMatchObject({ planId: "plus", planVersion: 1 });
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("subscription").waitFor();
    expect(await page.getByTestId("subscription").innerText()).toContain("plus · Version 1");
    // The list shows the plan, the MRR at the subscription's version (40.00, not 45.00) and the balance.
    await page.goto(`${app.baseUrl}/admin/organizations?q=${org.organizationId}`);
    await page.getByTestId("organizations").waitFor();
    const row = await page.getByTestId("organizations").locator("tbody tr").innerText();
    expect(row).toMatch(/plus · active\s+\$40\.00\s+\$0\.00/);
    await context.close();
  });

  it("danger zone: refuses a mismatched confirmation and a missing reason, applies a manual override with the warning, and the timeline shows before/after", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const { page, context } = await signIn(testRootKey);
    await page.waitForSelector("[data-testid=operator]");
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("entitlement-plan").waitFor();
    expect(await page.getByTestId("entitlement-plan").innerText()).toBe("free");

    await page.getByTestId("danger-plan").selectOption("__other__");
    await page.getByTestId("danger-manual-plan").fill("legacy-gold");
    // The warning is there before anything is confirmed.
    await page.getByTestId("not-in-catalog").waitFor();
    expect(await page.getByTestId("not-in-catalog").innerText()).toContain(
      "“legacy-gold” is not in the catalog",
    );
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = page.getByTestId("danger-confirm");
    expect(await preview.getByTestId("audit-diff").innerText()).toMatch(
      /planId\s+"free"\s+"legacy-gold"/,
    );

    // A missing reason: refused.
    await page.getByTestId("danger-confirmation").fill(org.organizationId);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByTestId("danger-error").waitFor();
    expect(await page.getByTestId("danger-error").innerText()).toContain("reason is required");
    // A mismatched confirmation: refused.
    await page.getByTestId("danger-reason").fill("Legacy contract OPS-77");
    await page.getByTestId("danger-confirmation").fill(`${org.organizationId}x`);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.getByTestId("danger-error").innerText())
      .toBe("The confirmation does not match the organization id; nothing was changed.");
    expect((await app.request("GET", org.path("/entitlement"))).body.planId).toBe("free");
    await screenshot(page, "admin-danger-zone-refused-en");

    await page.getByTestId("danger-confirmation").fill(org.organizationId);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByTestId("danger-applied").waitFor();
    const applied = await page.getByTestId("danger-applied").innerText();
    expect(applied).toContain("root.organization_plan_set");
    expect(applied).toContain("Legacy contract OPS-77");
    expect(applied).toMatch(/key_\w+/);
    expect((await app.request("GET", org.path("/entitlement"))).body.planId).toBe("legacy-gold");
    await expect.poll(() => page.getByTestId("entitlement-plan").innerText()).toBe("legacy-gold");

    // The organization's timeline has the entry with its before/after.
    const timeline = page.getByTestId("audit-timeline").last();
    await expect.poll(() => timeline.innerText()).toContain("Legacy contract OPS-77");
    expect(await timeline.innerText()).toMatch(/"free"\s+"legacy-gold"/);
    await expectAccessible(page);
    await screenshot(page, "admin-danger-zone-applied-en");

    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.organizationId}&action=root.organization_plan_set`,
    );
    expect(audit.body.data[0]).toMatchObject({
      reason: "Legacy contract OPS-77",
      after: expect.objectContaining({
        entitlement: expect.objectContaining({ planId: "legacy-gold", source: "manual" }),
      }),
    });
    expect(audit.body.data[0].actor).toMatch(/^key_/);
    await context.close();
  });

  it("a balance adjustment shows in the ledger (on a phone, in Spanish)", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const { page, context } = await signIn(testRootKey, { viewport: phone });
    await page.waitForSelector("[data-testid=operator]");
    await switchLanguage(page, "es");
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("ledger").waitFor();
    await page.getByTestId("adjust-amount").fill("2500");
    await page.getByTestId("adjust-reason").fill("Compensación por caída OPS-9");
    await page.getByTestId("adjust-description").fill("Crédito por la caída del servicio");
    await page.getByRole("button", { name: "Ajustar saldo" }).click();
    await page.getByTestId("adjust-done").waitFor();
    await expect
      .poll(() => page.getByTestId("ledger").innerText())
      .toContain("Crédito por la caída del servicio");
    expect(await page.getByTestId("ledger").innerText()).toMatch(/25[.,]00/);
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(2500);
    const width = await page.evaluate("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(phone.width);
    await expectAccessible(page);
    await screenshot(page, "admin-organization-phone-es");
    await context.close();
  });

  it("the dashboard shows MRR from list prices and subscriptions by plan; test clocks advance", async () => {
    const usdMrr = async () => {
      const dashboard = await app.request("GET", "/v1/admin/dashboard");
      return (
        dashboard.body.monthlyRecurringRevenue.find(
          (item: { currency: string }) => item.currency === "USD",
        )?.amount ?? 0
      );
    };
    const before = await usdMrr();
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("premium", "year");
    const usd = { amount: await usdMrr() };
    // Premium yearly is 1,000.00: 83.33 a month more.
    expect(usd.amount - before).toBe(83_33);
    const { page, context } = await signIn(testRootKey);
    await page.getByTestId("dashboard").waitFor();
    expect(await page.getByTestId("mrr").innerText()).toBe(
      `$${(usd.amount / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
    );
    expect(await page.getByTestId("by-plan").innerText()).toContain("premium");
    await expectAccessible(page);
    await screenshot(page, "admin-dashboard-en");

    await page.getByRole("link", { name: "Test clocks" }).click();
    await page.getByLabel("Clock id").fill(org.clockId);
    await page.getByLabel("Advance to (UTC)").fill("2026-02-01T00:00");
    await page.getByRole("button", { name: "Advance", exact: true }).click();
    await expect
      .poll(() => page.getByTestId("clock").innerText())
      .toContain("2026-02-01 00:00:00 UTC");
    expect(await page.getByTestId("clock").innerText()).toContain("ready");
    await expectAccessible(page);
    await context.close();
  });

  it("sets an entitlement override with an expiry; payment events show their verification and raw body", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    // A Stripe request that failed verification, as the webhook route stores it (test/providers covers the route).
    await app.database.pool.query(
      `insert into payment_events (id, provider, event_type, verified, verification_error, headers, query, body,
         body_bytes, received_at)
       values ('pev_admin_forged', 'stripe', null, false, 'signature does not verify', '{}', '{}', $1, $2, now())`,
      [JSON.stringify({ id: "evt_forged_admin" }), 27],
    );
    const { page, context } = await signIn(testRootKey);
    await page.waitForSelector("[data-testid=operator]");
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("entitlement-plan").waitFor();
    await page.getByLabel("Feature", { exact: true }).selectOption("seats");
    await page.getByLabel("Value: true, false, a limit, or empty for unlimited").fill("40");
    await page.getByLabel("Expires (UTC, optional)").fill("2026-03-01T00:00");
    const form = page.getByRole("button", { name: "Set override" });
    await page
      .locator("form:has(button:text('Set override'))")
      .getByLabel("Reason (required)")
      .fill("Pilot OPS-12");
    await form.click();
    await expect
      .poll(() => page.getByTestId("overrides").innerText())
      .toContain("seats: 40 — Pilot OPS-12");
    expect(await page.getByTestId("overrides").innerText()).toContain("2026-03-01 00:00:00 UTC");
    const overrides = await app.request(
      "GET",
      `/v1/root/organizations/${org.organizationId}/entitlement-overrides`,
    );
    expect(overrides.body.data).toEqual([
      expect.objectContaining({
        feature: "seats",
        value: 40,
        expiresAt: "2026-03-01T00:00:00.000Z",
      }),
    ]);
    await expectAccessible(page);

    await page.getByRole("link", { name: "Payments and webhooks" }).click();
    await page.getByLabel("Verification").selectOption("false");
    await expect
      .poll(() => page.getByTestId("payment-events").innerText())
      .toContain("Not verified");
    await page.getByText("Raw body").first().click();
    expect(await page.getByTestId("payment-events").innerText()).toContain("evt_forged_admin");
    await expectAccessible(page);
    await screenshot(page, "admin-payments-en");
    await context.close();
  });

  it("the audit trail filters by organization and shows before/after", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await app.request("POST", `/v1/root/organizations/${org.organizationId}/plan`, {
      body: { organizationId: org.organizationId, planId: "premium", reason: "Goodwill OPS-5" },
    });
    const { page, context } = await signIn(testRootKey);
    await page.getByRole("link", { name: "Audit trail" }).click();
    await page.getByLabel("Organization id").fill(org.organizationId);
    await page.getByLabel("Action").fill("root.organization_plan_set");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.getByTestId("audit-timeline").locator("li").count()).toBe(1);
    expect(await page.getByTestId("audit-timeline").innerText()).toContain("Goodwill OPS-5");
    expect(await page.getByTestId("audit-timeline").innerText()).toMatch(/"free"\s+"premium"/);
    await expectAccessible(page);
    await screenshot(page, "admin-audit-en");
    await context.close();
  });
});
