import { startTestApp, type TestApp } from "./app.ts";
import { createBillingCatalog } from "./billing-scenario.ts";

/**
 * Scenario builder for checkout tests: the app with the billing catalog (`createBillingCatalog`), customers
 * who buy through checkout (an owner with an email, no test clock, no stored payment method), and what a
 * payment left in the database.
 */
export async function startCheckoutTestApp(
  environment: Record<string, string> = {},
): Promise<TestApp> {
  const app = await startTestApp({ environment });
  await createBillingCatalog(app);
  return app;
}

let counter = 0;

/**
 * A USD organization named `${name} ${n}` whose owner `${owner}-${n}` reads `${owner}${n}@${emailDomain}`,
 * the address the purchase email goes to.
 */
export async function createCheckoutCustomer(
  app: TestApp,
  {
    idPrefix,
    name,
    owner,
    emailDomain,
    locale,
  }: { idPrefix: string; name: string; owner: string; emailDomain: string; locale: "en" | "es" },
) {
  counter += 1;
  const email = `${owner}${counter}@${emailDomain}`;
  const response = await app.request("POST", "/v1/organizations", {
    body: {
      id: `${idPrefix}-${process.pid}-${counter}`,
      name: `${name} ${counter}`,
      currency: "USD",
      locale,
      owner: { userId: `${owner}-${counter}`, email },
    },
  });
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  const organizationId: string = response.body.id;
  return {
    organizationId,
    email,
    path: (suffix = "") => `/v1/organizations/${organizationId}${suffix}`,
  };
}

/** How many payments (any status), subscriptions and invoices the organization has on record. */
export async function paymentCounts(
  app: TestApp,
  organizationId: string,
): Promise<{ payments: number; subscriptions: number; invoices: number }> {
  const { rows } = await app.database.pool.query(
    `select (select count(*)::int from payments where organization_id = $1) as payments,
            (select count(*)::int from subscriptions where organization_id = $1) as subscriptions,
            (select count(*)::int from invoices where organization_id = $1) as invoices`,
    [organizationId],
  );
  return rows[0];
}
