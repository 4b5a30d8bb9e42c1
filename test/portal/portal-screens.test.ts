import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  browserTestsRun,
  desktop,
  launchChromium,
  openPortal,
  phone,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";
import { createPortalCatalog, premiumCustomerOnDay16 } from "../helpers/portal-scenario.ts";
import { createPortalLink } from "../helpers/portal-session.ts";

/**
 * Every screen of the portal in a real browser, in English and Spanish, on a desktop and a phone: it
 * renders its data, axe-core finds no serious accessibility violation, nothing overflows sideways, and a
 * screenshot is saved under test-artifacts/portal for people to look at.
 */
const runs = browserTestsRun("portal-screens");
let app: TestApp;
let browser: Browser;
let organizationId: string;
/** A customer on the free plan (with a card): the checkout is theirs. */
let freshOrganizationId: string;
/** A customer who has just paid a checkout with the sandbox: the success page is theirs. */
let paidOrganizationId: string;

beforeAll(async () => {
  if (!runs) return;
  app = await startTestApp();
  await createPortalCatalog(app);
  const org = await premiumCustomerOnDay16(app, { locale: "es" });
  organizationId = org.organizationId;
  // A history to show: the downgrade credit, a pack, two seats, a second card.
  await app.request("POST", org.path("/subscription/change"), {
    body: { planId: "plus", interval: "month" },
  });
  await app.request("POST", org.path("/purchases"), { body: { packId: "encounters-100" } });
  await app.request("POST", org.path("/subscription/items"), {
    body: { addonId: "seat", quantity: 2 },
  });
  await app.request("POST", org.path("/payment-methods"), {
    body: { provider: "sandbox", token: "pm_sandbox_declined" },
  });
  for (let event = 0; event < 3; event++) {
    await app.request("POST", org.path("/usage"), {
      body: { feature: "encounters", quantity: 120, eventId: `screens-${event}` },
    });
  }
  freshOrganizationId = (
    await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z", locale: "en" })
  ).organizationId;
  const paid = await createBillingOrganization(app, {
    start: "2026-01-01T00:00:00Z",
    locale: "en",
  });
  paidOrganizationId = paid.organizationId;
  const checkout = await app.request("POST", paid.path("/checkouts"), {
    body: { planId: "plus", interval: "month", provider: "sandbox" },
  });
  if (checkout.status !== 201) throw new Error(JSON.stringify(checkout.body));
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** No element wider than the viewport (a phone must not scroll sideways). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(
    "document.documentElement.scrollWidth - window.innerWidth",
  ) as Promise<number>;
}

type Customer = "current" | "fresh" | "paid";
const screens: { name: string; path: string; ready: string; customer?: Customer }[] = [
  { name: "overview", path: "/portal/", ready: "[data-testid=upcoming-invoice]" },
  { name: "change-plan", path: "/portal/plans", ready: "[data-testid=plan-premium]" },
  {
    name: "plan-review",
    path: "/portal/plans/review?plan=premium&interval=month",
    ready: "[data-testid=amount-due]",
  },
  { name: "buy-packs", path: "/portal/packs", ready: "[data-testid=buy-encounters-100]" },
  { name: "licenses", path: "/portal/addons", ready: "[data-testid=quantity-seat]" },
  { name: "invoices", path: "/portal/invoices", ready: "[data-testid=invoices]" },
  { name: "payment-methods", path: "/portal/payment-methods", ready: "[data-testid=add-card]" },
  {
    name: "checkout",
    path: "/portal/checkout?plan=premium",
    ready: "[data-testid=checkout-amount]",
    customer: "fresh",
  },
  {
    name: "checkout-success",
    path: "/portal/checkout/success",
    ready: "[data-testid=checkout-activated]",
    customer: "paid",
  },
  { name: "cancel", path: "/portal/cancel", ready: "[data-testid=confirm-cancel]" },
  { name: "checkout-canceled", path: "/checkout/cancel", ready: "[data-testid=checkout-canceled]" },
];

describe.skipIf(!runs)("portal screens", () => {
  for (const locale of ["en", "es"] as const) {
    it(`renders every screen in ${locale}, accessible, on a desktop${locale === "es" ? " and a phone" : ""}`, async () => {
      // Phones are checked in Spanish, whose longer words are the harder case.
      for (const viewport of locale === "es" ? [desktop, phone] : [desktop]) {
        for (const customer of ["current", "fresh", "paid"] as const) {
          const customerId = {
            current: organizationId,
            fresh: freshOrganizationId,
            paid: paidOrganizationId,
          };
          const { page, context } = await openPortal(browser, app, customerId[customer], {
            viewport,
          });
          await switchLanguage(page, locale);
          const size = viewport === phone ? "phone" : "desktop";
          for (const screen of screens.filter(
            (entry) => (entry.customer ?? "current") === customer,
          )) {
            await page.goto(`${app.baseUrl}${screen.path}`);
            await page.waitForSelector(screen.ready).catch(async (error) => {
              await screenshot(page, `FAILED-${screen.name}-${locale}-${size}`);
              throw error;
            });
            await page.waitForLoadState("networkidle");
            await screenshot(page, `${screen.name}-${locale}-${size}`);
            expect(await page.evaluate("document.documentElement.lang")).toBe(locale);
            expect(
              await horizontalOverflow(page),
              `${screen.name} overflows on ${size}`,
            ).toBeLessThanOrEqual(0);
            expect(await seriousAccessibilityViolations(page), screen.name).toEqual([]);
          }
          await context.close();
        }
      }
    }, 240_000);
  }

  it("shows the public pricing page without a session, in the browser's language", async () => {
    for (const locale of ["en", "es"] as const) {
      const context = await browser.newContext({
        viewport: desktop,
        locale: locale === "es" ? "es-AR" : "en-US",
      });
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/plans`);
      await page.waitForSelector("[data-testid=plan-premium]");
      expect(await page.locator("h1").textContent()).toBe(
        locale === "es" ? "Planes y precios" : "Plans and pricing",
      );
      await expect
        .poll(() => page.locator("[data-testid=plan-premium] .abono-amount").textContent())
        .toMatch(/100[.,]00/);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `pricing-${locale}-desktop`);
      await page.setViewportSize(phone);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `pricing-${locale}-phone`);

      await page.goto(`${app.baseUrl}/portal/`);
      await page.waitForSelector("[data-testid=no-session]");
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `no-session-${locale}`);
      await context.close();
    }
  });

  it("explains a reused link on its own page", async () => {
    const link = await createPortalLink(app, organizationId, {
      returnUrl: "https://app.example.com/",
    });
    const context = await browser.newContext({ viewport: desktop });
    const page = await context.newPage();
    await page.goto(link.url);
    await page.waitForSelector("[data-testid=organization]");
    await page.goto(link.url);
    expect(await page.locator("#reason").getAttribute("data-problem")).toBe("used");
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, "link-used-es");
    await context.close();
  });
});
