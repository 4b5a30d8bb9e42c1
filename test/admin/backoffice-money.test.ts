import path from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  artifactsDir,
  browserTestsRun,
  desktop,
  launchChromium,
  screenshot,
  seriousAccessibilityViolations,
  switchLanguage,
} from "../helpers/browser.ts";

/**
 * The backoffice's Plan Settings authoring and the organization page's money actions in a real browser,
 * checked against the API (docs/backoffice.md): a feature and a plan created from the browser (with an API
 * problem shown beside its field first), the archive preview listing an affected organization, part of an
 * invoice refunded with its credit note and ledger entry, and a cancellation that credits the unused time.
 */
const runs = browserTestsRun("backoffice-money");
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

async function signIn(): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({
    viewport: desktop,
    locale: "en-US",
    timezoneId: "UTC",
  });
  // A step that cannot happen fails with its locator instead of hanging until the test times out.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/admin`);
  await page.getByTestId("credential").fill(testRootKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("[data-testid=operator]");
  return { page, context };
}

async function expectAccessible(page: Page) {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
}

/** A screenshot of the page from the top of `from` to the bottom of `to` (both locators of cards). */
async function screenshotBetween(page: Page, name: string, from: Locator, to: Locator) {
  // Bounding boxes are relative to the viewport: from the top of the page they are page coordinates.
  await page.evaluate("window.scrollTo(0, 0)");
  const top = await from.boundingBox();
  const bottom = await to.boundingBox();
  if (!top || !bottom) throw new Error(`${name}: a card is not on the page`);
  const y = Math.min(top.y, bottom.y) - 8;
  await page.screenshot({
    path: path.join(artifactsDir, `${name}.png`),
    fullPage: true,
    clip: {
      x: 0,
      y,
      width: desktop.width,
      height: Math.max(top.y + top.height, bottom.y + bottom.height) - y + 8,
    },
  });
}

const card = (page: Page, testId: string) =>
  page.locator("section.card", { has: page.getByTestId(testId) });

/** The ledger entries of an organization, as the API lists them. */
async function ledger(organizationId: string) {
  const balance = await app.request("GET", `/v1/organizations/${organizationId}/balance`);
  return balance.body as {
    available: number;
    transactions: { type: string; amount: number; description: string }[];
  };
}

describe.skipIf(!runs)("backoffice authoring and money actions", () => {
  it("creates a feature and a plan from the browser, with the API's problem shown beside its field", async () => {
    const { page, context } = await signIn();
    await page.getByRole("link", { name: "Plan Settings" }).click();
    await page.getByTestId("features").waitFor();

    await page.getByRole("button", { name: "New feature" }).click();
    const feature = page.getByTestId("feature-form");
    await feature.getByLabel("Key").fill("projects");
    await feature.getByLabel("Name").fill("Projects");
    await feature.getByLabel("Kind").selectOption("limit");
    await feature.getByRole("button", { name: "Create" }).click();
    await page.getByTestId("catalog-created").waitFor();
    expect(await page.getByTestId("catalog-created").innerText()).toContain("projects");
    expect((await app.request("GET", "/v1/features/projects")).body).toMatchObject({
      key: "projects",
      name: "Projects",
      kind: "limit",
    });
    await expect.poll(() => page.getByTestId("features").innerText()).toContain("projects");

    await page.getByRole("button", { name: "New plan" }).click();
    const form = page.getByTestId("plan-form");
    await form.getByTestId("entry-id").fill("studio");
    await form.getByTestId("entry-name").fill("Studio");
    await form.getByLabel("Currency (ISO code)").fill("usd");
    await form.getByTestId("price-month-usd").fill("2500");
    await form.getByTestId("add-feature").selectOption("projects");
    await form.getByRole("button", { name: "Add", exact: true }).click();
    await form.getByTestId("feature-projects").fill("3");
    await form.getByRole("button", { name: "Create" }).click();
    // The API refuses the lower-case currency: the message sits beside the price, nothing is created.
    await form.getByTestId("field-error").first().waitFor();
    expect(await form.getByTestId("field-error").first().innerText()).toContain(
      "three-letter ISO 4217 code",
    );
    expect(await form.getByTestId("form-error").innerText()).toContain(
      "see the messages next to them",
    );
    expect((await app.request("GET", "/v1/plans/studio")).status).toBe(404);
    await expectAccessible(page);
    await screenshot(page, "admin-plan-create-error-en");

    await form.getByLabel("Currency (ISO code)").fill("USD");
    await form.getByRole("button", { name: "Create" }).click();
    await page.getByTestId("catalog-created").waitFor();
    const plan = await app.request("GET", "/v1/plans/studio");
    expect(plan.body).toMatchObject({
      id: "studio",
      name: "Studio",
      version: 1,
      prices: [{ interval: "month", currency: "USD", unitAmount: 2500 }],
      features: { projects: 3 },
    });
    await expect.poll(() => page.getByTestId("plans").innerText()).toContain("studio");
    expect(await page.getByTestId("plan-studio").innerText()).toContain("$25.00/month");
    await switchLanguage(page, "es");
    await page.getByRole("button", { name: "Nuevo cupón" }).click();
    await page.getByTestId("coupon-form").waitFor();
    await expectAccessible(page);
    await switchLanguage(page, "en");
    await context.close();
  });

  it("archiving a plan first previews the affected organizations, then archives it", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("premium");
    const { page, context } = await signIn();
    await page.getByRole("link", { name: "Plan Settings" }).click();
    await page.getByRole("button", { name: "Archive premium" }).click();
    const preview = page.getByTestId("archive-preview-premium");
    await preview.getByTestId("archive-affected").waitFor();
    expect(await preview.getByTestId("archive-affected").innerText()).toContain(org.organizationId);
    const counts = await app.request("GET", "/v1/plans/premium/archive-preview");
    expect(counts.body.affected).toContainEqual(
      expect.objectContaining({ organizationId: org.organizationId, version: 1, status: "active" }),
    );
    expect(await preview.getByTestId("archive-affected-count").innerText()).toBe(
      `${counts.body.subscriptions} live subscriptions in ${counts.body.organizations} organizations are on it.`,
    );
    expect(await preview.innerText()).toContain("It does not change these subscriptions");
    // Nothing is archived until the operator confirms.
    expect((await app.request("GET", "/v1/plans/premium")).body.archived).toBe(false);
    await expectAccessible(page);
    await screenshot(page, "admin-archive-preview-en");

    await preview.getByRole("button", { name: "Archive premium" }).click();
    await expect.poll(() => page.getByTestId("plan-premium").innerText()).toContain("Archived");
    expect((await app.request("GET", "/v1/plans/premium")).body.archived).toBe(true);
    const audit = await app.request("GET", "/v1/audit-logs?action=catalog.plan_archived");
    expect(audit.body.data[0]?.actor).toMatch(/^key_/);
    // The subscription is untouched.
    expect((await app.request("GET", org.path("/subscription"))).body).toMatchObject({
      planId: "premium",
      status: "active",
    });
    await app.request("POST", "/v1/plans/premium/unarchive");
    await context.close();
  });

  it("refunds part of an invoice to the balance: a credit note and a ledger entry", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    const subscribed = await org.subscribe("plus");
    const invoice = subscribed.invoice;
    const { page, context } = await signIn();
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("refund-form").waitFor();
    await page.getByTestId("refund-amount").fill("1550");
    await page.getByTestId("refund-to").selectOption("balance");
    await page.getByTestId("refund-reason").fill("Outage credit OPS-31");
    await page.getByRole("button", { name: "Refund…" }).click();
    // The confirmation shows the amount in the organization's currency before anything is sent.
    const confirm = page.getByTestId("refund-confirm");
    expect(await confirm.innerText()).toContain("Refund $15.50 of invoice");
    expect(await confirm.innerText()).toContain("(paid $40.00)");
    expect((await ledger(org.organizationId)).available).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "admin-refund-confirm-en");
    await screenshotBetween(
      page,
      "admin-refund-confirm-card-en",
      confirm,
      card(page, "refund-form"),
    );
    await confirm.getByRole("button", { name: "Refund", exact: true }).click();
    await page.getByTestId("refund-done").waitFor();
    expect(await page.getByTestId("refund-done").innerText()).toContain("Refunded $15.50");

    const notes = await app.request("GET", org.path("/credit-notes"));
    expect(notes.body.data).toHaveLength(1);
    const note = notes.body.data[0];
    expect(note).toMatchObject({
      total: -1550,
      creditedTo: "balance",
      creditedToBalance: 1550,
      reason: "Outage credit OPS-31",
    });
    expect(note.correctsInvoiceIds).toEqual([invoice.id]);
    const row = page.getByTestId(`credit-note-${note.number}`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain(invoice.number);
    expect(text).toContain("$15.50");
    expect(text).toContain("The credit balance");
    expect(text).toContain("Outage credit OPS-31");
    const balance = await ledger(org.organizationId);
    expect(balance.available).toBe(1550);
    expect(balance.transactions).toContainEqual(
      expect.objectContaining({ type: "refund_to_balance", amount: 1550 }),
    );
    await expect.poll(() => page.getByTestId("ledger").innerText()).toContain("refund_to_balance");
    // The credit note's PDF downloads with the backoffice session.
    const download = page.waitForEvent("download");
    await row.getByRole("button", { name: `PDF of ${note.number}` }).click();
    expect((await download).suggestedFilename()).toBe(`${note.number}.pdf`);
    await expectAccessible(page);
    await screenshot(page, "admin-credit-notes-en");
    await screenshotBetween(
      page,
      "admin-credit-notes-cards-en",
      card(page, "credit-notes"),
      card(page, "ledger"),
    );
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.organizationId}&action=invoice.refunded`,
    );
    expect(audit.body.data[0]).toMatchObject({ reason: "Outage credit OPS-31" });
    expect(audit.body.data[0].actor).toMatch(/^key_/);

    // The money sections in Spanish, and still accessible.
    await switchLanguage(page, "es");
    await page.getByRole("heading", { name: "Reembolsar una factura" }).waitFor();
    expect(await page.getByTestId(`credit-note-${note.number}`).innerText()).toContain(
      "El saldo a favor",
    );
    await expectAccessible(page);
    await switchLanguage(page, "en");

    // Part of that balance paid back to the card, confirmed with its amount first.
    const payout = card(page, "payout-form");
    await payout.getByLabel(/^Amount in USD/).fill("550");
    await payout.getByLabel("Reason (required)").fill("Customer asked OPS-32");
    await payout.getByRole("button", { name: "Pay out…" }).click();
    expect(await page.getByTestId("payout-confirm").innerText()).toContain(
      "Pay $5.50 of the credit balance back",
    );
    await page.getByTestId("payout-confirm").getByRole("button", { name: "Pay out" }).click();
    await page.getByTestId("payout-done").waitFor();
    expect(await page.getByTestId("payout-done").innerText()).toContain(
      "Paid out $5.50; balance left: $10.00.",
    );
    const after = await ledger(org.organizationId);
    expect(after.available).toBe(1000);
    expect(after.transactions).toContainEqual(
      expect.objectContaining({ type: "payout", amount: -550 }),
    );
    await context.close();
  });

  it("cancels now with the unused time credited to the balance", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    await org.advance("2026-01-16T12:00:00Z");
    const second = await app.request("POST", org.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_ok" },
    });
    expect(second.body.default).toBe(false);
    const { page, context } = await signIn();
    await page.goto(`${app.baseUrl}/admin/organizations/${org.organizationId}`);
    await page.getByTestId("subscription").waitFor();

    // Payment methods: make the second one the default, then remove the first (confirmed).
    const methods = page.getByTestId("payment-methods");
    await methods.getByRole("button", { name: /^Make .* the default$/ }).click();
    await expect
      .poll(async () => {
        const list = await app.request("GET", org.path("/payment-methods"));
        return list.body.data.find((method: { default: boolean }) => method.default)?.id;
      })
      .toBe(second.body.id);
    const listed = await app.request("GET", org.path("/payment-methods"));
    const first = listed.body.data.find((method: { id: string }) => method.id !== second.body.id);
    await methods
      .getByTestId(`payment-method-${first.id}`)
      .getByRole("button", { name: /^Remove / })
      .click();
    await page.getByTestId("remove-method-confirm").getByRole("button", { name: "Remove" }).click();
    await expect
      .poll(async () => (await app.request("GET", org.path("/payment-methods"))).body.data.length)
      .toBe(1);
    expect((await app.request("GET", org.path("/payment-methods"))).body.data[0].id).not.toBe(
      first.id,
    );

    await page.getByTestId("cancel-now").check();
    await page.getByTestId("cancel-credit").check();
    await page.getByRole("button", { name: "Cancel the subscription…" }).click();
    const confirm = page.getByTestId("cancel-confirm");
    expect(await confirm.innerText()).toContain(
      "the unused time is credited to the balance in USD",
    );
    await confirm.getByRole("button", { name: "Cancel the subscription" }).click();
    await page.getByTestId("cancel-done").waitFor();

    const canceled = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.organizationId}&action=subscription.canceled`,
    );
    expect(canceled.body.data).toHaveLength(1);
    expect(canceled.body.data[0].actor).toMatch(/^key_/);
    const balance = await ledger(org.organizationId);
    // About half of 40.00 is left of the month; exactly what the credit note says.
    expect(balance.available).toBeGreaterThan(1500);
    expect(balance.available).toBeLessThan(2500);
    const notes = await app.request("GET", org.path("/credit-notes"));
    expect(notes.body.data[0]).toMatchObject({
      creditedTo: "balance",
      creditedToBalance: balance.available,
    });
    const cents = String(balance.available % 100).padStart(2, "0");
    const shown = `$${Math.trunc(balance.available / 100)}.${cents}`;
    expect(await page.getByTestId("cancel-done").innerText()).toContain(
      `Credited to the balance: ${shown}`,
    );
    await expect.poll(() => page.getByTestId("balance-available").innerText()).toContain(shown);
    await expect
      .poll(() => page.getByTestId(`credit-note-${notes.body.data[0].number}`).innerText())
      .toContain(shown);
    await expectAccessible(page);
    await screenshot(page, "admin-cancel-credit-en");
    await screenshotBetween(
      page,
      "admin-cancel-credit-cards-en",
      card(page, "credit-notes"),
      page.locator("section.card", { has: page.getByTestId("cancel-done") }),
    );
    await context.close();
  });
});
