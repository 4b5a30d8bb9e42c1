import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingOrganization } from "../helpers/billing-scenario.ts";
import { browserTestsRun, launchChromium, openPortal, screenshot } from "../helpers/browser.ts";
import { startJwksServer } from "../helpers/jwks-server.ts";
import { createPortalCatalog, premiumCustomerOnDay16 } from "../helpers/portal-scenario.ts";
import { createPortalLink } from "../helpers/portal-session.ts";

/**
 * The billing scenarios a customer goes through in the portal, in a real browser, checked on the screen
 * and against the API: the seed's downgrade with its credit balance, a pack the balance does not pay, a
 * declined upgrade, checkouts with a 100% coupon and with the sandbox, a member who only looks, and links
 * that no longer open.
 */
const runs = browserTestsRun("portal-scenarios");
let app: TestApp;
let browser: Browser;
let issuer: Awaited<ReturnType<typeof startJwksServer>>;
/** The service's clock, moved forward to expire links. */
let offsetMs = 0;

beforeAll(async () => {
  if (!runs) return;
  issuer = await startJwksServer();
  app = await startTestApp({
    clock: () => new Date(Date.now() + offsetMs),
    // A host product's users sign in with its JWTs (docs/authentication.md).
    environment: {
      ABONO_JWT_JWKS_URL: issuer.jwksUrl,
      ABONO_JWT_ISSUER: issuer.issuer,
      ABONO_JWT_AUDIENCE: issuer.audience,
    },
  });
  await createPortalCatalog(app);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await issuer?.close();
});

const amountsOf = (page: Page, testId: string) =>
  page
    .locator(`[data-testid=${testId}] tbody td[data-amount]`)
    .evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute("data-amount"))));

describe.skipIf(!runs)("billing in the portal", () => {
  it("downgrades Premium → Plus on day 16 of 31: −51.61 / +20.65, 30.96 credited and shown top right; a pack is then charged in full", async () => {
    const org = await premiumCustomerOnDay16(app, { locale: "en" });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { flow: "change_plan" },
    });
    expect(new URL(page.url()).pathname).toBe("/portal/plans");
    await page.getByRole("link", { name: "Choose Plus" }).click();
    await page.waitForSelector("[data-testid=amount-due]");
    expect(await amountsOf(page, "change-lines")).toEqual([-5161, 2065]);
    const lines = await page.getByTestId("change-lines").innerText();
    expect(lines).toContain("Unused time on Premium");
    expect(lines).toContain("-$51.61");
    expect(lines).toContain("$20.65");
    expect(await page.getByTestId("credited").innerText()).toBe("$30.96");
    expect(await page.getByTestId("amount-due").innerText()).toBe("$0.00");
    expect(await page.getByTestId("balance-after").innerText()).toBe("$30.96");
    await screenshot(page, "scenario-downgrade-review-en");

    await page.getByTestId("confirm-change").click();
    await page.waitForSelector("[data-testid=flash]");
    expect(new URL(page.url()).pathname).toBe("/portal/");
    expect(await page.getByTestId("flash").innerText()).toContain(
      "Your plan is now Plus. $30.96 was credited to your balance.",
    );
    expect(await page.getByTestId("plan-name").innerText()).toBe("Plus");
    await expect.poll(() => page.getByTestId("balance").innerText()).toBe("$30.96");
    await screenshot(page, "scenario-downgrade-done-en");
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(3096);

    // A pack is an immediate charge: the balance does not pay any of it.
    await page.getByRole("link", { name: "Buy packs" }).click();
    const before = Number(
      (await page.getByTestId("pack-remaining-encounters-100").innerText()).replace(/\D/g, ""),
    );
    await page.getByTestId("buy-encounters-100").click();
    await page.getByTestId("confirm-buy-encounters-100").click();
    await expect
      .poll(() => page.getByTestId("purchase-status").innerText(), { timeout: 15_000 })
      .toContain(`you now have ${before + 100}`);
    await screenshot(page, "scenario-pack-bought-en");
    const invoices = await app.request("GET", org.path("/invoices"));
    expect(invoices.body.data[0]).toMatchObject({
      kind: "one_off",
      status: "paid",
      total: 1500,
      balanceApplied: 0,
      amountPaid: 1500,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(3096);
    await page.reload();
    expect(await page.getByTestId("balance").innerText()).toBe("$30.96");

    // The invoices are listed with their PDFs.
    await page.getByRole("link", { name: "Invoices" }).click();
    const number = invoices.body.data[0].number;
    const downloading = page.waitForEvent("download");
    await page.getByTestId(`invoice-${number}`).getByRole("button").click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${number}.pdf`);
    const pdf = await download.createReadStream();
    const head = await new Promise<string>((resolve) =>
      pdf.once("data", (chunk) => resolve(String(chunk).slice(0, 5))),
    );
    expect(head).toBe("%PDF-");

    // The downgrade's credit note is listed apart, with where its credit went and its PDF.
    const creditNotes = await app.request("GET", org.path("/credit-notes"));
    const creditNote = creditNotes.body.data[0];
    expect(creditNote).toMatchObject({ total: -3096, creditedToBalance: 3096 });
    expect(creditNote.number).toMatch(/^ABN-NC-\d{6}$/);
    const row = page.getByTestId(`credit-note-${creditNote.number}`);
    const text = await row.innerText();
    expect(text).toContain("Issued");
    expect(text).toContain("-$30.96");
    expect(text).toContain("Credited $30.96");
    await screenshot(page, "scenario-credit-note-en");
    const creditDownloading = page.waitForEvent("download");
    await row.getByRole("button").click();
    expect((await creditDownloading).suggestedFilename()).toBe(`${creditNote.number}.pdf`);
    await context.close();
  });

  it("declines an upgrade on a card that is refused: the error in words, the plan unchanged", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    await org.subscribe("plus");
    await org.advance("2026-01-16T00:00:00Z");
    await org.setDefaultCard("pm_sandbox_declined");
    const { page, context } = await openPortal(browser, app, org.organizationId);
    await page.goto(`${app.baseUrl}/portal/plans/review?plan=premium&interval=month`);
    await page.waitForSelector("[data-testid=amount-due]");
    expect(await amountsOf(page, "change-lines")).toEqual([-2065, 5161]);
    await page.getByTestId("confirm-change").click();
    await page.waitForSelector("[data-testid=change-error]");
    const error = page.getByTestId("change-error");
    expect(await error.locator("p").innerText()).toBe(
      "Your payment method was declined. Nothing was changed. Check your card or use another one.",
    );
    expect(await error.getByRole("link").getAttribute("href")).toBe("/portal/payment-methods");
    await screenshot(page, "scenario-declined-en");
    expect(new URL(page.url()).pathname).toBe("/portal/plans/review");
    const subscription = await app.request("GET", org.path("/subscription"));
    expect(subscription.body).toMatchObject({ planId: "plus", status: "active" });
    await page.getByRole("link", { name: "Overview" }).click();
    expect(await page.getByTestId("plan-name").innerText()).toBe("Plus");
    await context.close();
  });

  it("activates a plan with a 100% coupon and no payment method at all", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
      paymentToken: null,
    });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { flow: "checkout" },
    });
    expect(new URL(page.url()).pathname).toBe("/portal/checkout");
    await page.getByTestId("checkout-plan").selectOption("premium");
    await page.getByTestId("coupon").fill("NOPE");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.locator(".field-status").innerText())
      .toContain("This coupon cannot be used for this plan");
    await page.getByTestId("coupon").fill("gratis100");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.getByTestId("checkout-amount").innerText()).toBe("$0.00");
    expect(await page.locator(".field-status").innerText()).toBe(
      "Coupon applied: you save $100.00.",
    );
    await screenshot(page, "scenario-coupon-checkout-en");
    await page.getByRole("button", { name: "Activate Premium" }).click();
    await page.waitForSelector("[data-testid=checkout-activated]");
    expect(await page.getByTestId("checkout-activated").innerText()).toBe(
      "Your Premium plan is active until Feb 1, 2026.",
    );
    await screenshot(page, "scenario-coupon-success-en");
    expect((await app.request("GET", org.path("/subscription"))).body).toMatchObject({
      planId: "premium",
      status: "active",
      couponCode: "GRATIS100",
    });
    expect((await app.request("GET", org.path("/payment-methods"))).body.data).toEqual([]);
    await context.close();
  });

  it("pays a checkout with the sandbox and lands on the success page with the plan active, also at the default /checkout/success", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-03-10T00:00:00Z",
      locale: "es",
    });
    const { page, context } = await openPortal(browser, app, org.organizationId);
    await page.goto(`${app.baseUrl}/portal/checkout?plan=plus&interval=year`);
    // Intl separates the amount from the currency with a no-break space in Spanish.
    await expect
      .poll(() => page.getByTestId("checkout-amount").innerText())
      .toBe("400,00\u00a0US$");
    await page.getByRole("button", { name: "Pagar 400,00\u00a0US$" }).click();
    await page.waitForSelector("[data-testid=checkout-activated]");
    expect(new URL(page.url()).pathname).toBe("/portal/checkout/success");
    expect(await page.getByTestId("checkout-activated").innerText()).toBe(
      "Tu plan Plus está activo hasta el 10 mar 2027.",
    );
    await screenshot(page, "scenario-sandbox-success-es");
    expect((await app.request("GET", org.path("/subscription"))).body).toMatchObject({
      planId: "plus",
      interval: "year",
      status: "active",
    });
    // The configured default return page (ABONO_CHECKOUT_SUCCESS_URL) shows the same.
    await page.goto(`${app.baseUrl}/checkout/success`);
    await page.waitForSelector("[data-testid=checkout-activated]");
    expect(await page.getByTestId("checkout-activated").innerText()).toContain("Plus");
    await context.close();
  });

  it("cancels at the period end and undoes it", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    await org.subscribe("plus");
    const { page, context } = await openPortal(browser, app, org.organizationId);
    await page.getByRole("link", { name: "Cancel subscription" }).click();
    await page.getByTestId("confirm-cancel").click();
    await page.waitForSelector("[data-testid=cancel-scheduled]");
    expect(await page.getByTestId("flash").innerText()).toContain(
      "Your subscription will end on Feb 1, 2026.",
    );
    expect((await app.request("GET", org.path("/subscription"))).body.cancelAtPeriodEnd).toBe(true);
    await screenshot(page, "scenario-cancel-scheduled-en");
    await page.getByRole("button", { name: "Keep my subscription" }).click();
    await expect.poll(() => page.getByTestId("cancel-scheduled").count()).toBe(0);
    expect((await app.request("GET", org.path("/subscription"))).body.cancelAtPeriodEnd).toBe(
      false,
    );
    await context.close();
  });

  it("manages payment methods: add a card, make it the default, remove one", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { flow: "payment_methods" },
    });
    await page.getByLabel("Test card that is always declined").check();
    await page.getByLabel("Make default").uncheck();
    await page.getByTestId("add-card").click();
    await expect.poll(() => page.locator("[data-testid^=method-]").count()).toBe(2);
    await page.getByRole("button", { name: "Make default" }).click();
    await expect
      .poll(async () => (await app.request("GET", org.path("/payment-methods"))).body.data)
      .toMatchObject([
        { description: "Sandbox card (always succeeds)", default: false },
        { description: "Sandbox card (always declines)", default: true },
      ]);
    await page.getByRole("button", { name: "Remove Sandbox card (always declines)" }).click();
    await page.getByRole("button", { name: "Remove", exact: true }).click();
    await expect.poll(() => page.locator("[data-testid^=method-]").count()).toBe(1);
    expect((await app.request("GET", org.path("/payment-methods"))).body.data).toMatchObject([
      { description: "Sandbox card (always succeeds)", default: true },
    ]);
    await context.close();
  });
});

describe.skipIf(!runs)("who gets in", () => {
  it("shows a member the billing but no way to pay or change it", async () => {
    const org = await premiumCustomerOnDay16(app, { locale: "en" });
    const { page, context } = await openPortal(browser, app, org.organizationId, {
      body: { role: "member" },
    });
    expect(await page.getByRole("status").first().innerText()).toContain(
      "only an owner or billing admin can pay or change it",
    );
    const sections = await page.getByRole("navigation").getByRole("link").allInnerTexts();
    expect(sections).toEqual(["Overview", "Change plan"]);
    expect(await page.getByTestId("balance").count()).toBe(0);
    expect(await page.getByRole("link", { name: "Change plan" }).count()).toBe(1); // the section only
    expect(await page.getByRole("link", { name: "Cancel subscription" }).count()).toBe(0);
    await screenshot(page, "scenario-member-en");
    for (const path of ["/portal/payment-methods", "/portal/packs", "/portal/checkout"]) {
      await page.goto(`${app.baseUrl}${path}`);
      await page.waitForSelector("[data-testid=plan-name]");
      expect(await page.locator("h1").innerText(), path).toBe("Overview");
      expect(await page.getByTestId("add-card").count()).toBe(0);
    }
    await page.goto(`${app.baseUrl}/portal/plans`);
    await page.waitForSelector("[data-testid=plan-plus]");
    expect(await page.getByRole("link", { name: /^Choose / }).count()).toBe(0);
    await context.close();
  });

  it("refuses an expired link and a reused one with a page that says why", async () => {
    const org = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      locale: "en",
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const link = await createPortalLink(app, org.organizationId);
    offsetMs = 6 * 60_000;
    try {
      const response = await page.goto(link.url);
      expect(response?.status()).toBe(410);
      expect(await page.locator("h1").innerText()).toBe("This billing link cannot be opened");
      expect(await page.locator("#reason").innerText()).toBe(
        "The link has expired: billing links work for 5 minutes after they are made.",
      );
      await screenshot(page, "link-expired-en");
    } finally {
      offsetMs = 0;
    }
    const fresh = await createPortalLink(app, org.organizationId);
    await page.goto(fresh.url);
    await page.waitForSelector("[data-testid=organization]");
    const other = await browser.newContext();
    const second = await other.newPage();
    const reused = await second.goto(fresh.url);
    expect(reused?.status()).toBe(410);
    expect(await second.locator("#reason").innerText()).toContain("already used");
    // Nor does the second browser get in through the portal itself.
    await second.goto(`${app.baseUrl}/portal/`);
    await second.waitForSelector("[data-testid=no-session]");
    await other.close();
    await context.close();
  });
  it("opens with the host product's JWT in the URL fragment: the user's role applies, the token leaves the address bar", async () => {
    const created = await app.request("POST", "/v1/organizations", {
      body: {
        id: `jwt-${process.pid}`,
        name: "Constructora JWT",
        currency: "USD",
        locale: "es",
        owner: { userId: "ana", email: "ana@example.com" },
      },
    });
    expect(created.status).toBe(201);
    const organizationId: string = created.body.id;
    await app.request("PUT", `/v1/organizations/${organizationId}/members/mia`, {
      body: { roles: ["member"] },
    });
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const ana = await issuer.sign({ sub: "ana" });
    await page.goto(
      `${app.baseUrl}/portal/payment-methods?org=${organizationId}#access_token=${ana}`,
    );
    await page.waitForSelector("[data-testid=add-card]");
    expect(page.url()).toBe(`${app.baseUrl}/portal/payment-methods?org=${organizationId}`);
    expect(await page.getByTestId("organization").innerText()).toBe("Constructora JWT");
    expect(await page.locator("html").getAttribute("lang")).toBe("es");
    // Changes go with the bearer token (no cookie, no CSRF token needed), and there is no session to end.
    await page.getByTestId("add-card").click();
    await expect.poll(() => page.locator("[data-testid^=method-]").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Cerrar sesión" }).count()).toBe(0);

    const mia = await issuer.sign({ sub: "mia" });
    const memberPage = await context.newPage();
    await memberPage.goto(`${app.baseUrl}/portal/?org=${organizationId}#access_token=${mia}`);
    await memberPage.waitForSelector("[data-testid=plan-name]");
    expect(await memberPage.getByRole("navigation").getByRole("link").allInnerTexts()).toEqual([
      "Resumen",
      "Cambiar de plan",
    ]);
    // Another organization's portal is not theirs.
    const outsider = await context.newPage();
    await outsider.goto(`${app.baseUrl}/portal/?org=other-org#access_token=${mia}`);
    await outsider.waitForSelector("[data-testid=no-session]");
    await context.close();
  });
});
