import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";

/**
 * Invoice lines and subscription items carry their parent's organization, the distribution key
 * (docs/scaling.md "Past one PostgreSQL"), whichever path writes them: a first invoice, add-on items and
 * their prorated charges, a renewal, a credit note of a refund and the void invoice of a declined
 * subscription, for several organizations side by side.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await createBillingCatalog(app);
});
afterAll(() => app.close());

describe("the organization key of child rows", () => {
  it("every line and item carries its parent's organization", async () => {
    const organizationIds: string[] = [];
    for (const _ of [1, 2]) {
      const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
      organizationIds.push(org.organizationId);
      await org.subscribe("plus");
      const items = await app.request("POST", org.path("/subscription/items"), {
        body: { addonId: "seat", quantity: 2 },
      });
      expect(items.status).toBe(200);
      await org.advance("2026-01-10T00:00:00Z");
      await app.request("POST", org.path("/subscription/items"), {
        body: { addonId: "seat", quantity: 3 },
      });
      await org.advance("2026-02-01T00:00:00Z");
      const invoices = (await app.request("GET", org.path("/invoices"))).body.data;
      const first = invoices[invoices.length - 1];
      const refund = await app.request("POST", `/v1/invoices/${first.id}/refunds`, {
        body: { amount: 1000, to: "balance", reason: "Goodwill" },
      });
      expect(refund.status).toBe(201);
    }
    const declined = await createBillingOrganization(app, {
      start: "2026-01-01T00:00:00Z",
      paymentToken: "pm_sandbox_declined",
    });
    organizationIds.push(declined.organizationId);
    const subscribed = await app.request("POST", declined.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(subscribed.status).toBe(402);

    const { rows: lines } = await app.database.pool.query(
      `select i.organization_id as parent, l.organization_id as own, i.document_type, i.status,
              i.billing_reason
         from invoice_lines l join invoices i on i.id = l.invoice_id
        where i.organization_id = any($1) or l.organization_id = any($1)`,
      [organizationIds],
    );
    const { rows: items } = await app.database.pool.query(
      `select s.organization_id as parent, si.organization_id as own
         from subscription_items si join subscriptions s on s.id = si.subscription_id
        where s.organization_id = any($1) or si.organization_id = any($1)`,
      [organizationIds],
    );
    // Every path wrote some: the first invoices, the renewals, the credit notes, the void invoice.
    const kinds = new Set(lines.map((line) => `${line.document_type}/${line.billing_reason}`));
    expect(kinds).toEqual(
      new Set(["invoice/subscription_create", "invoice/subscription_cycle", "credit_note/refund"]),
    );
    expect(lines.some((line) => line.status === "void")).toBe(true);
    expect(items).toHaveLength(2);
    expect(lines.filter((line) => line.own !== line.parent)).toEqual([]);
    expect(items.filter((item) => item.own !== item.parent)).toEqual([]);
  });
});
