import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, testRootKey } from "../helpers/app.ts";
import {
  browserTestsRun,
  desktop,
  launchChromium,
  openPortal,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";
import { type FakeGooglePlay, startFakeGooglePlay } from "../helpers/fake-google-play.ts";
import { startJwksServer } from "../helpers/jwks-server.ts";
import { createCheckoutCustomer, startCheckoutTestApp } from "../helpers/payment-scenario.ts";

/**
 * Store subscriptions in the billing portal (the plan shown as managed by the store, no plan or card
 * actions) and in the operator backoffice, in a real browser: the organization page's section
 * shows a Google Play subscription (registered through the official client against the local fake) as
 * managed by the store, with its pending plan change, in English and Spanish, and reconciles it on demand.
 */
const runs = browserTestsRun("store-screens");
let app: TestApp;
let browser: Browser;
let google: FakeGooglePlay;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
const day = 86_400_000;

beforeAll(async () => {
  if (!runs) return;
  google = await startFakeGooglePlay();
  jwks = await startJwksServer();
  app = await startCheckoutTestApp({
    ABONO_GOOGLE_PACKAGE_NAME: google.packageName,
    ABONO_GOOGLE_SERVICE_ACCOUNT_KEY_PATH: google.serviceAccountKeyPath,
    ABONO_GOOGLE_PUSH_AUDIENCE: "https://abono.example/v1/webhooks/google",
    ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT: "pubsub-push@abono-tests.iam.gserviceaccount.com",
    ABONO_GOOGLE_PUSH_JWKS_URL: jwks.jwksUrl,
    ABONO_GOOGLE_PUSH_ISSUER: jwks.issuer,
    ABONO_GOOGLE_API_URL: google.apiUrl,
    ABONO_GOOGLE_OAUTH_URL: google.tokenUrl,
  });
  for (const [plan, productId] of [
    ["premium", "premium"],
    ["plus", "plus"],
  ] as const) {
    const mapped = await app.request("PUT", `/v1/plans/${plan}/store-products`, {
      body: { storeProducts: [{ store: "google_play", productId }] },
    });
    expect(mapped.status).toBe(200);
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await google?.close();
  await jwks?.close();
});

describe.skipIf(!runs)("store subscriptions in the portal and the backoffice", () => {
  it("the organization page shows the store subscription as managed by Google Play, and reconciles it", async () => {
    const customer = await createCheckoutCustomer(app, {
      idPrefix: "store-screen",
      name: "Clínica",
      owner: "ana",
      emailDomain: "clinica.example",
      locale: "es",
    });
    const purchaseToken = `gp-${randomUUID()}`;
    const expiryTime = new Date(Date.now() + 30 * day).toISOString();
    google.purchases.set(purchaseToken, {
      startTime: new Date().toISOString(),
      subscriptionState: "SUBSCRIPTION_STATE_ACTIVE",
      acknowledgementState: "ACKNOWLEDGEMENT_STATE_PENDING",
      lineItems: [
        {
          productId: "premium",
          expiryTime,
          autoRenewingPlan: {
            autoRenewEnabled: true,
            recurringPrice: { currencyCode: "USD", units: "4", nanos: 990000000 },
          },
          offerDetails: { basePlanId: "monthly" },
          latestSuccessfulOrderId: `GPA.${Math.floor(Math.random() * 1e9)}`,
          offerPhase: { basePrice: {} },
          deferredItemReplacement: { productId: "plus" },
        },
      ],
    });
    const registered = await app.request("POST", customer.path("/store-purchases"), {
      body: { store: "google_play", purchaseToken, productId: "premium" },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);

    // The customer's portal: the plan is managed by Google Play, with no plan or card actions here.
    const portal = await openPortal(browser, app, customer.organizationId);
    const managed = portal.page.getByTestId("store-managed");
    await managed.waitFor();
    expect(await portal.page.getByTestId("plan-name").innerText()).toContain("Google Play");
    const language = await portal.page.evaluate("document.documentElement.lang");
    expect(await managed.innerText()).toContain(
      language === "es" ? "Lo gestiona Google Play" : "Managed by Google Play",
    );
    expect(
      await portal.page
        .getByRole("link", { name: /Choose a plan|Elegir un plan|Change plan|Cambiar plan/ })
        .count(),
    ).toBe(0);
    expect(
      await portal.page
        .locator('main a[href="https://play.google.com/store/account/subscriptions"]')
        .count(),
    ).toBe(1);
    expect(await seriousAccessibilityViolations(portal.page)).toEqual([]);
    await screenshot(portal.page, `portal-store-managed-${language}`);
    await switchLanguage(portal.page, language === "es" ? "en" : "es");
    await expect
      .poll(() => managed.innerText())
      .toContain(language === "es" ? "Managed by Google Play" : "Lo gestiona Google Play");
    await screenshot(portal.page, `portal-store-managed-${language === "es" ? "en" : "es"}`);

    // No tab to change the plan, add add-ons or manage payment methods; packs and invoices stay.
    const tabs = await portal.page.getByRole("navigation").getByRole("link").allInnerTexts();
    expect(tabs.length).toBe(3);
    for (const path of ["/portal/plans", "/portal/addons", "/portal/payment-methods"]) {
      expect(await portal.page.locator(`nav a[href="${path}"]`).count(), path).toBe(0);
    }
    expect(await portal.page.locator('nav a[href="/portal/packs"]').count()).toBe(1);
    // Opened directly, each plan and payment screen says where the plan is managed, in both languages.
    for (const path of [
      "/portal/plans",
      "/portal/plans/review?plan=plus&interval=month",
      "/portal/payment-methods",
      "/portal/checkout?plan=plus&interval=month",
      "/portal/cancel",
      "/portal/addons",
    ]) {
      await portal.page.goto(`${app.baseUrl}${path}`);
      const page = portal.page.getByTestId("store-managed-page");
      await page.waitFor();
      expect(await portal.page.locator("h1").innerText(), path).toMatch(
        /Google Play manages your plan|Tu plan se gestiona en Google Play/,
      );
      expect(
        await portal.page.getByRole("button", { name: /Confirm|Confirmar|Pay|Pagar/ }).count(),
      ).toBe(0);
      expect(await portal.page.locator("form").count(), path).toBe(0);
    }
    const link = portal.page.getByTestId("store-manage-link");
    expect(await link.getAttribute("href")).toBe(
      "https://play.google.com/store/account/subscriptions",
    );
    for (const locale of ["en", "es"] as const) {
      await switchLanguage(portal.page, locale);
      const heading = portal.page.locator("h1");
      await expect
        .poll(() => heading.innerText())
        .toBe(
          locale === "en" ? "Google Play manages your plan" : "Tu plan se gestiona en Google Play",
        );
      expect(await link.innerText()).toBe(
        locale === "en"
          ? "Open your Google Play subscriptions"
          : "Abrir tus suscripciones de Google Play",
      );
      expect(await portal.page.getByTestId("store-managed-page").innerText()).toContain(
        locale === "en" ? "Payments & subscriptions" : "Pagos y suscripciones",
      );
      expect(await seriousAccessibilityViolations(portal.page)).toEqual([]);
      await screenshot(portal.page, `portal-store-managed-page-${locale}`);
    }
    await portal.context.close();

    // An App Store subscription: the page points to Apple's subscriptions instead.
    const apple = await createCheckoutCustomer(app, {
      idPrefix: "store-screen-apple",
      name: "Consultorio",
      owner: "lucia",
      emailDomain: "consultorio.example",
      locale: "en",
    });
    // What an App Store SUBSCRIBED notification leaves (the App Store is not configured in this file).
    await app.database.pool.query(
      `insert into store_subscriptions (id, store, store_subscription_id, organization_id, product_id,
         plan_id, status, auto_renew, expires_at, environment, store_state_at, data, created_at, updated_at)
       values ($1, 'app_store', $2, $3, 'com.abono.premium.monthly', 'premium', 'active', true,
         now() + interval '30 days', 'Production', now(), '{}', now(), now())`,
      [`ssub_${randomUUID()}`, `2000${Date.now()}`, apple.organizationId],
    );
    const applePortal = await openPortal(browser, app, apple.organizationId);
    await applePortal.page.goto(`${app.baseUrl}/portal/payment-methods`);
    await applePortal.page.getByTestId("store-managed-page").waitFor();
    expect(await applePortal.page.locator("h1").innerText()).toBe("App Store manages your plan");
    expect(await applePortal.page.getByTestId("store-manage-link").getAttribute("href")).toBe(
      "https://apps.apple.com/account/subscriptions",
    );
    expect(await applePortal.page.getByTestId("store-managed-page").innerText()).toContain(
      "On your iPhone or iPad, open Settings",
    );
    await screenshot(applePortal.page, "portal-store-managed-page-apple-en");
    await applePortal.context.close();

    const context = await browser.newContext({
      viewport: desktop,
      locale: "en-US",
      timezoneId: "UTC",
    });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/admin`);
    await page.getByTestId("credential").fill(testRootKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("[data-testid=operator]");
    await page.goto(`${app.baseUrl}/admin/organizations/${customer.organizationId}`);
    const section = page.getByTestId("store-subscriptions");
    await section.locator("tbody tr").first().waitFor();
    const text = await section.innerText();
    expect(text).toContain("Managed by the store");
    expect(text).toContain("Google Play");
    expect(text).toContain("premium / monthly");
    expect(text).toContain("Switches to plus at renewal");
    expect(text).toContain("active");
    expect(text).toContain(`${expiryTime.slice(0, 10)} `);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, "admin-store-subscriptions-en");

    // Reconcile now: Google says it expired meanwhile.
    const purchase = google.purchases.get(purchaseToken) as Record<string, unknown>;
    purchase.subscriptionState = "SUBSCRIPTION_STATE_EXPIRED";
    await page.getByRole("button", { name: "Reconcile with the stores now" }).click();
    await page.getByText("Reconciled: processed").waitFor();
    await expect.poll(() => section.innerText()).toContain("expired");

    await switchLanguage(page, "es");
    await page.getByRole("heading", { name: "App Store y Google Play" }).waitFor();
    expect(await section.innerText()).toContain("La gestiona la tienda");
    await screenshot(page, "admin-store-subscriptions-es");
    await context.close();
  });
});
