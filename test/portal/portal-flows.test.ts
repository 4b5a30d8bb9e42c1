import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  browserTestsRun,
  launchChromium,
  openPortal,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";
import {
  deliverStripeEvent,
  type FakeStripe,
  fakeStripeEnvironment,
  type StripeEvent,
  startFakeStripe,
} from "../helpers/fake-stripe.ts";
import { createPortalCatalog, premiumCustomerOnDay16 } from "../helpers/portal-scenario.ts";

/**
 * Portal flows with Stripe configured (the official SDK talking to a local fake, webhooks signed as
 * Stripe signs them): adding a card on Stripe's page (Checkout in setup mode) and coming back; a plan
 * change scheduled for the renewal, shown on the overview and undone there; and a trial's days left
 * counted by the organization's test clock, not the wall clock.
 */
const runs = browserTestsRun("portal-flows");
let app: TestApp;
let fake: FakeStripe;
let browser: Browser;

beforeAll(async () => {
  if (!runs) return;
  fake = await startFakeStripe();
  app = await startTestApp({
    environment: {
      ...fakeStripeEnvironment(fake),
    },
  });
  await createPortalCatalog(app);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await fake?.close();
});

/** Stripe's hosted page, played by a plain page: the test then acts as the customer and Stripe. */
async function fakeStripePage(page: Page) {
  await page.context().route("https://checkout.stripe.com/**", (route) =>
    route.fulfill({
      status: 200,
      contentType: "text/html",
      body: '<!doctype html><html lang="en"><title>Stripe</title><main><h1>Stripe Checkout</h1></main></html>',
    }),
  );
}

function deliver(event: StripeEvent) {
  return deliverStripeEvent(app, fake, event);
}

describe.skipIf(!runs)("portal flows", () => {
  it("adds a card on Stripe's page, comes back to it saved as the default, and the webhook does not add it twice", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { flow: "payment_methods" },
    });
    await fakeStripePage(page);
    await page.waitForSelector("[data-testid=add-card-stripe]");
    for (const locale of ["es", "en"] as const) {
      await switchLanguage(page, locale);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `payment-methods-stripe-${locale}`);
    }

    await page.getByTestId("add-card-stripe").click();
    await page
      .waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/, { timeout: 10_000 })
      .catch(async (error) => {
        await screenshot(page, "FAILED-stripe-setup");
        throw error;
      });
    const sessionId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    const created = fake.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(created?.body).toMatchObject({
      mode: "setup",
      locale: "en",
      metadata: { organizationId: org.organizationId, makeDefault: "true" },
      success_url: `${app.baseUrl}/portal/payment-methods?setup_session={CHECKOUT_SESSION_ID}&setup_provider=stripe`,
    });

    // The customer enters a Mastercard; Stripe sends them back (before its webhook arrives).
    const completed = fake.completeSetupSession(sessionId, { card: "pm_card_mastercard" });
    await page.goto(completed.returnUrl);
    // Three requests in a row (the session, the store check, the completion with its call to Stripe) after
    // the page's script starts: on a busy machine that takes more than expect.poll's default second, and
    // the page then still says "Saving your card…" (it did, with either fetch, under CPU throttling).
    const returning = { timeout: 15_000 };
    await expect
      .poll(() => page.getByTestId("setup-result").innerText(), returning)
      .toBe("Card saved: Mastercard •••• 4444.");
    await expect.poll(() => new URL(page.url()).search, returning).toBe("");
    const rows = page.locator("[data-testid=payment-methods] li");
    await expect.poll(() => rows.count(), returning).toBe(2);
    expect(await rows.nth(1).innerText()).toMatch(/Mastercard •••• 4444\s+Default/);
    await screenshot(page, "payment-methods-stripe-saved-en");

    const webhook = completed.events.find((event) => event.type === "checkout.session.completed");
    if (!webhook) throw new Error("no checkout.session.completed");
    expect((await deliver(webhook)).body.outcome).toMatch(/^payment_method_saved: pm_/);
    const methods = (await app.request("GET", org.path("/payment-methods"))).body.data;
    expect(
      methods.map((method: { description: string; default: boolean }) => [
        method.description,
        method.default,
      ]),
    ).toEqual([
      ["Sandbox card (always succeeds)", false],
      ["Mastercard •••• 4444", true],
    ]);

    // Leaving Stripe's page without a card adds nothing and says so.
    await page.getByTestId("add-card-stripe").click();
    await page.waitForURL(/checkout\.stripe\.com/);
    await page.goto(`${app.baseUrl}/portal/payment-methods?setup_canceled=1`);
    expect(await page.getByTestId("setup-result").innerText()).toBe("No card was added.");
    expect((await app.request("GET", org.path("/payment-methods"))).body.data).toHaveLength(2);
    await context.close();
  }, 120_000);

  it("schedules a downgrade for the renewal, shows it on the overview and undoes it", async () => {
    const org = await premiumCustomerOnDay16(app, { locale: "en" });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { flow: "change_plan" },
    });
    // The free plan is reached by cancelling, and the plans screen says so instead of offering nothing.
    expect(await page.getByTestId("free-by-cancel-free").innerText()).toBe(
      "To go back to Free, cancel your subscription",
    );
    await page.getByRole("link", { name: "Choose Plus" }).click();
    await page.waitForSelector("[data-testid=amount-due]");
    await page.locator("input[name=timing]").nth(1).check();
    await expect.poll(() => page.getByTestId("amount-due").innerText()).toMatch(/\$0\.00/);
    await page.getByTestId("confirm-change").click();
    await page.waitForSelector("[data-testid=change-scheduled]");
    expect(await page.getByTestId("change-scheduled").innerText()).toContain(
      "Changes to Plus (Monthly) on Feb 1, 2026.",
    );
    expect((await app.request("GET", org.path("/subscription"))).body).toMatchObject({
      planId: "premium",
      scheduledChange: { planId: "plus", interval: "month" },
    });
    // The confirmation follows the language switch too.
    const confirmation = { es: "Plus empieza el 1 feb 2026.", en: "Plus starts on Feb 1, 2026." };
    for (const locale of ["es", "en"] as const) {
      await switchLanguage(page, locale);
      expect(await page.getByTestId("flash").innerText()).toContain(confirmation[locale]);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `overview-change-scheduled-${locale}`);
    }

    await page.getByRole("button", { name: "Keep Premium" }).click();
    await expect.poll(() => page.getByTestId("change-scheduled").count()).toBe(0);
    expect(await page.getByTestId("flash").innerText()).toContain(
      "The change is undone: you stay on Premium.",
    );
    const subscription = (await app.request("GET", org.path("/subscription"))).body;
    expect(subscription).toMatchObject({ planId: "premium", scheduledChange: null });
    // Nothing to undo any more: the API says so.
    const again = await app.request("DELETE", org.path("/subscription/scheduled-change"));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
    await context.close();
  }, 120_000);

  it("counts a trial's days left by the organization's test clock", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    await org.subscribe("trial-pro");
    await org.advance("2026-01-05T00:00:00Z");
    const { page, context } = await openPortal(browser, app, org.organizationId);
    await page.waitForSelector("[data-testid=trial-left]");
    expect(await page.getByTestId("trial-left").innerText()).toBe(
      "10 days left in your trial (until Jan 15, 2026).",
    );
    await org.advance("2026-01-14T12:00:00Z");
    await page.reload();
    await page.waitForSelector("[data-testid=trial-left]");
    expect(await page.getByTestId("trial-left").innerText()).toBe(
      "1 day left in your trial (until Jan 15, 2026).",
    );
    await screenshot(page, "overview-trial-en");
    await context.close();
  }, 120_000);
});
