import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserTestsRun,
  desktop,
  launchChromium,
  screenshot,
  seriousAccessibilityViolations,
} from "../helpers/browser.ts";
import { processTestTimeout, runCli } from "../helpers/process.ts";

/**
 * The walk the README promises, as a new user takes it: `abono serve` (what `npm start` runs) with its
 * embedded PostgreSQL, `abono seed demo` from a second terminal while it runs, the README's first
 * customer (an organization and a sandbox checkout), a portal session link, and that link opened in
 * Chromium shows the customer's working portal.
 */
const runs = browserTestsRun("portal-quickstart");
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-portal-quickstart-"));
  await fs.chmod(dataDir, 0o755);
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!runs)(
  "the portal on a fresh installation",
  { timeout: processTestTimeout },
  () => {
    it("serve, seed demo, a first customer, a portal link: the portal opens in Chromium", async () => {
      const environment = { ABONO_DATA_DIR: dataDir, PORT: "0", ABONO_LOG_LEVEL: "info" };
      const server = runCli(["serve"], environment);
      const browser = await launchChromium();
      try {
        const [, baseUrl] = await server.waitForOutput(/Abono is listening on (http:\/\/[\d.:]+)/);
        const rootKey = (await fs.readFile(path.join(dataDir, "root-api-key"), "utf8")).trim();

        const seed = runCli(["seed", "demo"], environment);
        expect(await seed.exited, seed.output()).toBe(0);
        expect(seed.output()).toMatch(/Seed "demo": created \d+/);

        const call = async (route: string, body: unknown) => {
          const response = await fetch(`${baseUrl}${route}`, {
            method: "POST",
            headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          const json = (await response.json()) as Record<string, any>;
          expect(response.status, JSON.stringify(json)).toBe(201);
          return json;
        };
        await call("/v1/organizations", {
          id: "acme",
          name: "Acme",
          currency: "USD",
          locale: "es",
          owner: { userId: "ana", email: "ana@acme.test" },
        });
        const checkout = await call("/v1/organizations/acme/checkouts", {
          planId: "teams",
          interval: "year",
          provider: "sandbox",
        });
        expect(checkout.subscription).toMatchObject({ planId: "teams", status: "active" });
        const link = await call("/v1/organizations/acme/portal-sessions", {
          returnUrl: "https://app.example.com/settings",
        });
        expect(link.url).toMatch(new RegExp(`^${baseUrl}/portal/session/`));

        const context = await browser.newContext({ viewport: desktop, timezoneId: "UTC" });
        const page = await context.newPage();
        await page.goto(link.url);
        await page.waitForSelector("[data-testid=plan-name]").catch(async (error) => {
          await screenshot(page, "FAILED-quickstart");
          throw error;
        });
        expect(await page.locator("h1").innerText()).toBe("Resumen");
        expect(await page.getByTestId("organization").innerText()).toContain("Acme");
        expect(await page.getByTestId("plan-name").first().innerText()).toBe("Teams");
        // The demo's annual plans do not renew by default (ABONO_ANNUAL_AUTO_RENEW): the overview says so.
        expect(await page.getByTestId("renews-on").innerText()).toBe(
          await page.getByTestId("term-ends").evaluate((alert) => {
            const match = /termina el (.+?):/.exec(alert.textContent ?? "");
            return match?.[1] ?? "";
          }),
        );
        expect(await seriousAccessibilityViolations(page)).toEqual([]);
        await screenshot(page, "quickstart-overview-es");
        // The rest of the portal answers too: the plans on offer and the stored sandbox method.
        await page.getByRole("link", { name: "Cambiar de plan" }).first().click();
        await page.waitForSelector("[data-testid=plan-enterprise]");
        await context.close();
      } finally {
        await browser.close();
        process.kill(-(server.child.pid ?? 0), "SIGINT");
        expect(await server.exited).toBe(0);
      }
    });
  },
);
