import type { TestApp } from "./app.ts";
import {
  createBillingCatalog,
  createBillingOrganization,
  createEncounterPack,
} from "./billing-scenario.ts";

/**
 * The catalog the portal's browser tests use: the billing scenario's plans (Free, Plus 40.00, Premium
 * 100.00, a trial plan), the seat license, the 100-encounter pack (15.00) and two coupons.
 */
export async function createPortalCatalog(app: TestApp) {
  await createBillingCatalog(app);
  await createEncounterPack(app);
  for (const body of [
    { code: "GRATIS100", percentOff: 100, duration: "once" },
    { code: "HALF", percentOff: 50, duration: "once" },
  ]) {
    const coupon = await app.request("POST", "/v1/coupons", { body });
    if (coupon.status !== 201) throw new Error(JSON.stringify(coupon.body));
  }
}

/**
 * The seed's customer: on Premium monthly from the 1st of a 31-day month (a test clock pinned to January
 * 2026, so the numbers hold on any real date), moved to day 16, where a downgrade to Plus credits
 * 51.61 − 20.65 = 30.96.
 */
export async function premiumCustomerOnDay16(
  app: TestApp,
  { locale, paymentToken }: { locale?: "en" | "es"; paymentToken?: string | null } = {},
) {
  const org = await createBillingOrganization(app, {
    start: "2026-01-01T00:00:00Z",
    ...(locale ? { locale } : {}),
    ...(paymentToken !== undefined ? { paymentToken } : {}),
  });
  await org.subscribe("premium");
  await org.advance("2026-01-16T00:00:00Z");
  return org;
}
