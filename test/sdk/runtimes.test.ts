import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { browserTestsRun, launchChromium, openPortal } from "../helpers/browser.ts";

const run = promisify(execFile);
const clientEntry = path.resolve(import.meta.dirname, "../../packages/client/src/index.ts");

let app: TestApp;
let organizationId: string;
/** The client bundled for browsers as any bundler would (ESM, openapi-fetch included). */
let bundle: string;
let directory: string;

/** A webhook signed the Standard Webhooks way, by node:crypto (the client verifies with WebCrypto). */
function signedWebhook() {
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  const body = JSON.stringify({
    id: "evt_runtime",
    type: "organization.created",
    organizationId: "runtime-org",
    createdAt: new Date().toISOString(),
    data: {},
  });
  const id = "msg_runtime";
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
    .update(`${id}.${timestamp}.${body}`)
    .digest("base64");
  return {
    secret,
    signedAt: Number(timestamp) * 1000,
    body,
    headers: {
      "webhook-id": id,
      "webhook-timestamp": timestamp,
      "webhook-signature": `v1,${signature}`,
    },
  };
}

/** The same checks, as module source for any runtime: a real call, a typed error, verifyWebhook. */
const smoke = `
export async function smoke({ createAbono, verifyWebhook, AbonoError }, { baseUrl, apiKey, organizationId, webhook }) {
  const abono = createAbono({ baseUrl, ...(apiKey ? { apiKey } : {}), maxRetries: 0 });
  const check = await abono.entitlements.check(organizationId, "encounters");
  let refused;
  try {
    await abono.organizations.get("someone-else");
  } catch (error) {
    refused = { typed: error instanceof AbonoError, code: error.code, status: error.status };
  }
  // The signing time as "now": a browser keeps the real clock when the tests run under a faked one.
  const options = { now: () => new Date(webhook.signedAt) };
  const event = await verifyWebhook(webhook.body, webhook.headers, webhook.secret, options);
  let tampered;
  try {
    await verifyWebhook(webhook.body + " ", webhook.headers, webhook.secret, options);
  } catch (error) {
    tampered = error.code;
  }
  return { check: { allowed: check.allowed, used: check.used }, refused, eventType: event.type, tampered };
}
`;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
  const org = await createBillingOrganization(app, { start: new Date().toISOString() });
  await org.subscribe("plus");
  const used = await app.request("POST", org.path("/usage"), {
    body: { feature: "encounters", quantity: 5, eventId: "runtime-1" },
  });
  expect(used.status).toBe(200);
  organizationId = org.organizationId;
  const built = await build({
    entryPoints: [clientEntry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  bundle = built.outputFiles[0]?.text ?? "";
  directory = await fs.mkdtemp(path.join(os.tmpdir(), "abono-client-"));
  await fs.writeFile(path.join(directory, "abono-client.mjs"), bundle);
  await fs.writeFile(path.join(directory, "smoke.mjs"), smoke);
  await fs.writeFile(
    path.join(directory, "main.mjs"),
    `import * as client from "./abono-client.mjs";
import { smoke } from "./smoke.mjs";
const input = JSON.parse((globalThis.Deno ? Deno.args : process.argv.slice(2))[0]);
console.log(JSON.stringify(await smoke(client, input)));
`,
  );
}, 120_000);
afterAll(async () => {
  await app?.close();
  if (directory) await fs.rm(directory, { recursive: true, force: true });
});

const expected = {
  check: { allowed: true, used: 5 },
  refused: { typed: true, status: 404, code: "not_found" },
  eventType: "organization.created",
  tampered: "invalid_signature",
};

describe.skipIf(!browserTestsRun("sdk runtimes"))("@abono/client in a browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("a portal session page loads the bundled client and makes real calls (cookie, no key); verifyWebhook uses WebCrypto", async () => {
    const { page, context } = await openPortal(browser, app, organizationId);
    try {
      const webhook = signedWebhook();
      const input = { baseUrl: app.baseUrl, organizationId, webhook };
      // Browser code as text: this file is type-checked without the DOM library.
      const result = await page.evaluate(`(async () => {
        const load = (code) => import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
        const client = await load(${JSON.stringify(bundle)});
        const { smoke } = await load(${JSON.stringify(smoke)});
        const input = ${JSON.stringify(input)};
        input.webhook.headers = new Headers(input.webhook.headers);
        return { origin: location.origin, hasProcess: typeof process !== "undefined", ...(await smoke(client, input)) };
      })()`);
      expect(result).toEqual({
        origin: new URL(app.baseUrl).origin,
        hasProcess: false,
        ...expected,
        // A portal session sees its own organization only: another id is refused, not found.
        refused: (result as { refused: unknown }).refused,
      });
      expect((result as { refused: { typed: boolean; status: number } }).refused).toMatchObject({
        typed: true,
      });
      expect([403, 404]).toContain((result as { refused: { status: number } }).refused.status);
    } finally {
      await context.close();
    }
  });
});

/** A runtime's binary: `<NAME>_BIN`, else on the PATH; null when absent. */
async function binary(name: string): Promise<string | null> {
  const configured = process.env[`${name.toUpperCase()}_BIN`];
  if (configured) return configured;
  try {
    return (await run("sh", ["-c", `command -v ${name}`])).stdout.trim() || null;
  } catch {
    return null;
  }
}

for (const [name, args] of [
  ["deno", ["run", "--allow-net", "--allow-read", "--no-config"]],
  ["bun", ["run"]],
] as const) {
  describe(`@abono/client on ${name}`, () => {
    it("imports the bundled client, makes a real call with a key and verifies a webhook", async (context) => {
      const executable = await binary(name);
      if (!executable) {
        console.warn(
          `sdk runtimes: ${name} smoke run NOT RUN: no ${name} binary (set ${name.toUpperCase()}_BIN or put it on the PATH; the npm package "${name}" ships one)`,
        );
        context.skip();
        return;
      }
      const input = {
        baseUrl: app.baseUrl,
        apiKey: testRootKey,
        organizationId,
        webhook: signedWebhook(),
      };
      const { stdout } = await run(
        executable,
        [...args, path.join(directory, "main.mjs"), JSON.stringify(input)],
        {
          cwd: directory,
          timeout: 60_000,
          env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        },
      );
      expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual(expected);
    }, 90_000);
  });
}
