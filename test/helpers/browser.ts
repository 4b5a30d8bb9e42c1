import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { TestApp } from "./app.ts";
import { createPortalLink } from "./portal-session.ts";

/**
 * Browser tests drive the Debian Chromium (`apt-get install chromium`; .ci/run installs it) through
 * playwright-core: one browser per test file, a fresh context (cookies, storage) per scenario.
 */
export function chromiumPath(): string | null {
  try {
    return (
      execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
        encoding: "utf8",
      }).trim() || null
    );
  } catch {
    return null;
  }
}

/**
 * Whether this machine runs the browser tests: with Chromium installed, and always under CI (where a
 * missing Chromium then fails the tests instead of skipping them). Skipping says so.
 */
export function browserTestsRun(file: string): boolean {
  if (chromiumPath() !== null || process.env.CI !== undefined) return true;
  console.warn(`${file}: browser tests NOT RUN: install Chromium (apt-get install -y chromium)`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("Chromium is not installed (apt-get install -y chromium)");
  // The browser keeps the real clock under the future-clock run (libfaketime's LD_PRELOAD stalls Chromium);
  // what the portal shows comes from the API, whose clock is the faked one.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name, value]) =>
        value !== undefined && name !== "LD_PRELOAD" && !name.startsWith("FAKETIME"),
    ),
  ) as Record<string, string>;
  return chromium.launch({
    executablePath,
    env,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
    ],
  });
}

export const phone = { width: 390, height: 844 };
export const desktop = { width: 1280, height: 900 };

/** A new browser context at `viewport`, opened on a fresh portal link of the organization. */
export async function openPortal(
  browser: Browser,
  app: TestApp,
  organizationId: string,
  {
    viewport = desktop,
    body = {},
    auth,
  }: {
    viewport?: { width: number; height: number };
    body?: Record<string, unknown>;
    auth?: string;
  } = {},
): Promise<{ page: Page; context: BrowserContext }> {
  const link = await createPortalLink(app, organizationId, body, auth);
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  await page.goto(link.url);
  await page.waitForSelector("main#main h1");
  return { page, context };
}

/** Switches the portal's language with its own control. */
export async function switchLanguage(page: Page, locale: "en" | "es") {
  await page.getByTestId("language").selectOption(locale);
  await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(locale)}`);
}

export const artifactsDir = path.resolve(import.meta.dirname, "../../test-artifacts/portal");

/** A full-page screenshot under test-artifacts/portal (not committed). */
export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  return file;
}

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A and AA rules). */
export async function seriousAccessibilityViolations(
  page: Page,
): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  if (!(await page.evaluate(`"axe" in window`))) {
    await page.addScriptTag({ content: await fs.readFile(axeSource, "utf8") });
  }
  // Browser code as text: this file is type-checked without the DOM library.
  const results: any = await page.evaluate(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })`,
  );
  return (results.violations as any[])
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node: any) => String(node.target)),
    }));
}
