import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.ts";
import {
  browserTestsRun,
  launchChromium,
  phone,
  screenshot,
  seriousAccessibilityViolations,
} from "../helpers/browser.ts";
import { startJwtTestApp, type TestIssuer } from "../helpers/jwt-app.ts";

/**
 * The backoffice in a real browser with the configured OIDC issuer (docs/backoffice.md "Sign-in"): a JWT
 * with the root claim signs in into the cookie session, one without it is refused; and the dashboard's MRR
 * movements at phone width.
 */
const runs = browserTestsRun("backoffice-jwt-dashboard");
let app: TestApp;
let issuer: TestIssuer;
let browser: Browser;

beforeAll(async () => {
  if (!runs) return;
  ({ app, issuer } = await startJwtTestApp());
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await issuer?.close();
});

async function signIn(credential: string): Promise<Page> {
  const context = await browser.newContext({ viewport: phone, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/admin`);
  await page.getByTestId("credential").fill(credential);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

/** A little subscription history: one upgrade last month, one new subscription this month, payments. */
async function writeHistory() {
  const pool = app.database.pool;
  const { rows: plans } = await pool.query(
    `select plan_id, unit_amount from plan_prices
      where currency = 'USD' and interval = 'month' and unit_amount > 0
      order by unit_amount limit 2`,
  );
  expect(plans.length).toBe(2);
  const [cheap, dear] = plans as { plan_id: string }[];
  const now = new Date();
  const at = (monthsAgo: number, day: number) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day));
  for (const [index, id] of ["hist-a", "hist-b"].entries()) {
    const created = await app.request("POST", "/v1/organizations", { body: { id, name: id } });
    expect(created.status).toBe(201);
    await pool.query(
      `insert into subscriptions (id, organization_id, plan_id, plan_version, interval, currency, status,
                                  anchor_at, current_period_start, current_period_end, created_at, updated_at)
       values ($1, $2, $3, 1, 'month', 'USD', 'active', $4, $4, $4::timestamptz + interval '1 month', $4, $4)`,
      [
        `sub-${id}`,
        id,
        index === 0 ? dear?.plan_id : cheap?.plan_id,
        index === 0 ? at(2, 3) : at(0, 1),
      ],
    );
    await pool.query(
      `insert into payments (id, organization_id, provider, provider_payment_id, amount, currency, status, created_at)
       values ($1, $2, 'stripe', $1, 4000, 'USD', 'succeeded', $3)`,
      [`pay-${id}`, id, at(index, 1)],
    );
  }
  await pool.query(
    `insert into events (id, type, organization_id, sequence, data, previous, created_at)
     values ('evt-hist-a', 'subscription.plan_changed', 'hist-a', 1000,
             jsonb_build_object('subscriptionId', 'sub-hist-a', 'planId', $1::text, 'interval', 'month'),
             jsonb_build_object('planId', $2::text, 'interval', 'month'), $3)`,
    [dear?.plan_id, cheap?.plan_id, at(1, 10)],
  );
}

describe.skipIf(!runs)("the backoffice with an OIDC issuer", () => {
  it("signs in with a root JWT into the cookie session, as that user", async () => {
    const token = await issuer.sign({ sub: "ops-ana", email: "ana@example.com", root: true });
    const page = await signIn(token);
    await page.getByTestId("operator").waitFor();
    expect(await page.getByTestId("operator").innerText()).toContain("ana@example.com");
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === "abono_admin")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(
      await page.evaluate("JSON.stringify(localStorage) + document.body.innerHTML"),
    ).not.toContain(token);
    await page.context().close();
  });

  it("refuses a JWT without the root claim: no session, no data", async () => {
    const token = await issuer.sign({
      sub: "u1",
      email: "u1@example.com",
      groups: ["org:acme:owner"],
    });
    const page = await signIn(token);
    await page.getByTestId("sign-in-error").waitFor();
    expect(await page.getByTestId("sign-in-error").innerText()).toMatch(
      /not the platform operator/,
    );
    expect(await page.getByTestId("operator").count()).toBe(0);
    expect((await page.context().cookies()).find((cookie) => cookie.name === "abono_admin")).toBe(
      undefined,
    );
    const direct = await page.evaluate(
      `fetch("/v1/admin/dashboard", { headers: { "x-abono-backoffice": "1" } }).then((response) => response.status)`,
    );
    expect(direct).toBe(401);
    await page.context().close();
  });

  it("shows the MRR movements and revenue by provider at phone width, and filters organizations", async () => {
    await writeHistory();
    const token = await issuer.sign({ sub: "ops-ana", email: "ana@example.com", root: true });
    const page = await signIn(token);
    await page.getByTestId("movements-USD").waitFor();
    const table = await page.getByTestId("movements-USD").locator("table").innerText();
    // Last month's upgrade from the cheaper plan to the dearer one is expansion: the difference, up.
    const expansion = await app.database.pool.query(
      `select max(unit_amount) - min(unit_amount) as amount from (select unit_amount from plan_prices
        where currency = 'USD' and interval = 'month' and unit_amount > 0 order by unit_amount limit 2) p`,
    );
    const difference = Number(expansion.rows[0].amount) / 100;
    expect(table).toContain(`+$${difference.toFixed(2)}`);
    expect(await page.getByTestId("movements-USD").locator("svg rect").count()).toBeGreaterThan(1);
    expect(await page.getByTestId("revenue-by-provider").innerText()).toContain("stripe");
    // Nothing wider than the phone: wide tables scroll inside their own region.
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
      phone.width,
    );
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, "admin-dashboard-phone-en");

    // The organization list filters on the server: suspended finds none here, active finds both.
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByTestId("organization-status-filter").selectOption("suspended");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No organization matches.").waitFor();
    await page.getByTestId("organization-search").fill("hist-");
    await page.getByTestId("organization-status-filter").selectOption("active");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByTestId("organizations").locator("tbody tr").count()).toBe(2);
    expect(page.url()).toContain("status=active");
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, "admin-organizations-filter-phone-en");
    await page.context().close();
  });
});
