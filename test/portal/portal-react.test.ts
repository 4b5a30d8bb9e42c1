import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  browserTestsRun,
  desktop,
  launchChromium,
  openPortal,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";
import { createPortalCatalog, premiumCustomerOnDay16 } from "../helpers/portal-scenario.ts";

/**
 * `@abono/react` in a real browser, as the portal uses it: `<PricingTable>` on the public pricing page,
 * `<PlanCards>` on the plan change, `<UsageMeter>` and `<Paywall>` on the overview, in English and Spanish.
 */
const runs = browserTestsRun("portal-react");
let app: TestApp;
let browser: Browser;
let premiumId: string;
let freeId: string;
let freePath: (suffix: string) => string;

beforeAll(async () => {
  if (!runs) return;
  app = await startTestApp();
  await createPortalCatalog(app);
  premiumId = (await premiumCustomerOnDay16(app, { locale: "en" })).organizationId;
  const free = await createBillingOrganization(app, {
    start: "2026-01-01T00:00:00Z",
    locale: "en",
  });
  freeId = free.organizationId;
  freePath = free.path;
  // The free plan includes 10 encounters: 9 used, close to the limit.
  const usage = await app.request("POST", free.path("/usage"), {
    body: { feature: "encounters", quantity: 9, eventId: "react-near" },
  });
  if (usage.status >= 300) throw new Error(JSON.stringify(usage.body));
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe.skipIf(!runs)("@abono/react in the portal", () => {
  it("prices the public catalog per interval from minor units, with a checkout link per paid plan", async () => {
    for (const locale of ["en", "es"] as const) {
      const context = await browser.newContext({
        viewport: desktop,
        locale: locale === "es" ? "es-AR" : "en-US",
      });
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/plans`);
      const premium = page.getByTestId("plan-premium");
      await premium.waitFor();
      expect(await premium.locator(".abono-amount").textContent()).toBe(
        locale === "es" ? "100,00\u00a0US$" : "$100.00",
      );
      const choose = premium.getByRole("link", {
        name: locale === "es" ? "Elegir Premium" : "Choose Premium",
      });
      expect(await choose.getAttribute("href")).toBe(
        "/portal/checkout?plan=premium&interval=month",
      );
      // The free plan has no call to action; the toggle is a labelled radio group.
      expect(await page.getByTestId("plan-free").getByRole("link").count()).toBe(0);
      await page.getByRole("radio", { name: locale === "es" ? "Anual" : "Yearly" }).check();
      await expect
        .poll(() => premium.locator(".abono-amount").textContent())
        .toBe(locale === "es" ? "1000,00\u00a0US$" : "$1,000.00");
      expect(await choose.getAttribute("href")).toBe("/portal/checkout?plan=premium&interval=year");
      expect(await premium.locator(".abono-per").textContent()).toBe(
        locale === "es" ? "/ año" : "/ year",
      );
      // The line under the table stands apart from the plan cards.
      const contact = page.getByTestId("pricing-contact");
      expect(await contact.textContent()).toBe(
        locale === "es"
          ? "Ingresa a tu aplicación para suscribirte."
          : "Sign in to your application to subscribe.",
      );
      const cards = await page.locator(".abono-plan-grid").boundingBox();
      const line = await contact.boundingBox();
      if (!cards || !line) throw new Error("the plan cards or the line under them are not shown");
      expect(line.y - (cards.y + cards.height)).toBeGreaterThanOrEqual(32);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `react-pricing-yearly-${locale}`);
      await context.close();
    }
  });

  it("marks the current plan on the plan change and shows usage meters without a paywall when entitled", async () => {
    const { page, context } = await openPortal(browser, app, premiumId);
    for (const locale of ["en", "es"] as const) {
      await switchLanguage(page, locale);
      await page.goto(`${app.baseUrl}/portal/plans`);
      const premium = page.getByTestId("plan-premium");
      await premium.waitFor();
      expect(await premium.getAttribute("aria-current")).toBe("true");
      expect(await premium.locator(".abono-badge").textContent()).toBe(
        locale === "es" ? "Plan actual" : "Current plan",
      );
      await page.goto(`${app.baseUrl}/portal/`);
      const meter = page.getByTestId("usage-encounters");
      await meter.waitFor();
      expect(await meter.getByRole("meter").getAttribute("aria-valuemax")).toBe("3000");
      // Many units left: the plural.
      expect(await meter.getByTestId("remaining-encounters").textContent()).toMatch(
        locale === "es" ? /^Quedan \d[\d.]*$/ : /^\d[\d,]* left$/,
      );
      await screenshot(page, `react-meter-${locale}`);
      expect(await page.locator(".abono-paywall").count()).toBe(0);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
    }
    await context.close();
  });

  it("moves a meter from near the limit to over it when the window regains focus, and the paywall appears", async () => {
    const { page, context } = await openPortal(browser, app, freeId);
    for (const locale of ["es", "en"] as const) {
      await switchLanguage(page, locale);
      await page.goto(`${app.baseUrl}/portal/`);
      const meter = page.getByTestId("usage-encounters");
      await meter.waitFor();
      if (locale === "es") {
        expect(await meter.locator(".abono-meter-numbers").textContent()).toBe("9 de 10 usados");
        expect(await meter.locator(".abono-meter-near").count()).toBe(1);
        expect(await meter.locator(".abono-meter-status").textContent()).toBe("Cerca del límite");
        // One unit left: the singular ("Queda 1", not "Quedan 1").
        expect(await meter.getByTestId("remaining-encounters").textContent()).toBe("Queda 1");
        expect(await meter.locator(".abono-paywall").count()).toBe(0);
        await screenshot(page, "react-meter-near-es");
        // The last unit is used elsewhere; the portal learns it when the customer comes back to the tab.
        const usage = await app.request("POST", freePath("/usage"), {
          body: { feature: "encounters", quantity: 1, eventId: "react-over" },
        });
        expect(usage.status).toBeLessThan(300);
        await page.evaluate("window.dispatchEvent(new Event('focus'))");
      }
      await expect
        .poll(() => meter.locator(".abono-meter-status").textContent())
        .toBe(locale === "es" ? "Límite alcanzado" : "Limit reached");
      expect(await meter.locator(".abono-meter-over").count()).toBe(1);
      const paywall = meter.getByRole("region");
      expect(await paywall.getByRole("heading").textContent()).toBe(
        locale === "es"
          ? "Alcanzaste el límite de Encounters"
          : "You have reached your Encounters limit",
      );
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `react-paywall-${locale}`);
      if (locale === "en") {
        await paywall.getByRole("link", { name: "See larger plans" }).click();
        await page.getByTestId("plan-plus").waitFor();
        expect(new URL(page.url()).pathname).toBe("/portal/plans");
      }
    }
    await context.close();
  });
});
