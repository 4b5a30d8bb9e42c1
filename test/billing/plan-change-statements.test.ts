import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveRequestsIn } from "../../bench/serve-requests-in.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * The round trips a plan change costs: the statements the server sends to PostgreSQL while answering
 * one preview and one change (begin and commit included), pinned with a small margin so that a new
 * repeated read or per-row query is caught. Measured (an organization on a test clock): 11 for a
 * preview, 23 for an upgrade charged at once, 23 for a downgrade credited to the balance (a credit
 * note); before the plans were read in one statement, the items once, the period's lines and pending
 * items together, the invoices not read back after their charge and the events written in one
 * statement, 20 for the preview and 39 for the upgrade.
 */
const limits = { preview: 12, upgrade: 24, downgrade: 24 };

let app: TestApp;
const answering = new AsyncLocalStorage<string[]>();
/** Each request the server got, with the statements it sent while answering it. */
const answered: { url: string | undefined; statements: string[] }[] = [];
const originalQuery = pg.Client.prototype.query;

beforeAll(async () => {
  // The worker runs (the test clock needs it); its statements are not sent while answering a request.
  app = await startTestApp();
  await createBillingCatalog(app);
  // Every statement sent while the server answers a request is counted against that request.
  const server = app.server.app?.server;
  if (!server) throw new Error("the test app has no HTTP server");
  serveRequestsIn(server, answering, (request) => {
    const statements: string[] = [];
    answered.push({ url: request.url, statements });
    return statements;
  });
  const query = originalQuery as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: unknown }).query = function (
    this: unknown,
    ...args: unknown[]
  ) {
    const first = args[0] as string | { text?: string };
    answering.getStore()?.push(typeof first === "string" ? first : (first?.text ?? ""));
    return query.apply(this, args);
  };
});
afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await app.close();
});

/** The statements the server sent while answering one POST of `body` to `path`. */
async function statementsOf(path: string, body: unknown) {
  const first = answered.length;
  const response = await app.request("POST", path, { body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const mine = answered.slice(first).filter((request) => request.url === path);
  expect(mine).toHaveLength(1);
  return { body: response.body, statements: mine[0]?.statements ?? [] };
}

describe("statements per plan change", () => {
  it("a preview and a change each send a bounded number of statements", async () => {
    const org = await createBillingOrganization(app, { start: "2026-03-01T00:00:00Z" });
    await org.subscribe("plus");
    await org.advance("2026-03-11T00:00:00Z");
    const change = { planId: "premium", interval: "month" };

    const preview = await statementsOf(org.path("/subscription/preview-change"), change);
    expect(preview.body.amountDue).toBeGreaterThan(0);
    expect(preview.statements.length).toBeGreaterThan(2);
    expect(preview.statements.length, preview.statements.join("\n")).toBeLessThanOrEqual(
      limits.preview,
    );
    // Each plan of the change is read in the same single statement, as are the items.
    const planReads = preview.statements.filter((text) =>
      /from "plan_versions"|from "plans"/.test(text),
    );
    expect(planReads).toHaveLength(1);

    const upgrade = await statementsOf(org.path("/subscription/change"), change);
    expect(upgrade.body.subscription.planId).toBe("premium");
    expect(upgrade.body.invoices[0]).toMatchObject({ status: "paid" });
    expect(upgrade.statements.length, upgrade.statements.join("\n")).toBeLessThanOrEqual(
      limits.upgrade,
    );
    expect(
      upgrade.statements.filter((text) => /from "subscription_items"/.test(text)),
    ).toHaveLength(1);
    // invoice.created, invoice.paid, subscription.changed… are written in one statement.
    expect(upgrade.statements.filter((text) => /abono_publish_events/.test(text))).toHaveLength(1);

    const downgrade = await statementsOf(org.path("/subscription/change"), {
      planId: "plus",
      interval: "month",
    });
    expect(downgrade.body.subscription.planId).toBe("plus");
    expect(downgrade.statements.length, downgrade.statements.join("\n")).toBeLessThanOrEqual(
      limits.downgrade,
    );
    expect(downgrade.statements.filter((text) => /abono_publish_events/.test(text))).toHaveLength(
      1,
    );
  });
});
