import type { TestApp } from "./app.ts";

/**
 * Scenario builder for billing tests: a catalog with a free plan, the seed documents' Plus and Premium
 * plans (monthly and annual, USD, no trial), a monthly plan with a 14-day trial, a seat license, and
 * organizations on their own test clock with a payment method.
 */
export async function createBillingCatalog(app: TestApp) {
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201)
      throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  await post("/v1/features", { key: "encounters", name: "Encounters", kind: "metered" });
  await post("/v1/features", { key: "seats", name: "Seats", kind: "limit" });
  const plans = [
    {
      id: "free",
      name: "Free",
      tier: 0,
      month: 0,
      year: 0,
      features: { encounters: 10, seats: 1 },
    },
    {
      id: "plus",
      name: "Plus",
      tier: 20,
      month: 4000,
      year: 40000,
      features: { encounters: 500, seats: 5 },
    },
    {
      id: "premium",
      name: "Premium",
      tier: 40,
      month: 10000,
      year: 100000,
      features: { encounters: 3000, seats: 25 },
    },
    {
      id: "trial-pro",
      name: "Trial Pro",
      tier: 30,
      trialDays: 14,
      month: 5000,
      features: { encounters: 1000, seats: 10 },
    },
  ];
  for (const { month, year, ...plan } of plans) {
    await post("/v1/plans", { ...plan, prices: usdPrices({ month, year }) });
  }
  await post("/v1/addons", {
    id: "seat",
    name: "Extra seat",
    kind: "license",
    prices: usdPrices({ month: 1500, year: 15000 }),
    features: { seats: 1 },
  });
}

/** The pack `encounters-100`: 100 encounters (a metered feature of `createBillingCatalog`) for 15.00 USD. */
export async function createEncounterPack(app: TestApp) {
  const pack = await app.request("POST", "/v1/packs", {
    body: {
      id: "encounters-100",
      name: "100 encounters",
      feature: "encounters",
      quantity: 100,
      price: { currency: "USD", unitAmount: 1500 },
    },
  });
  if (pack.status !== 201) throw new Error(JSON.stringify(pack.body));
}

/**
 * Coupons of every kind the money rules treat apart: 100% `forever` and `once`, 25% `forever`, 50% for 2
 * months, 5.00 (USD) off every month.
 */
export const couponKinds = [
  { code: "FREE100", percentOff: 100, duration: "forever" },
  { code: "ONCE100", percentOff: 100, duration: "once" },
  { code: "QUARTER", percentOff: 25, duration: "forever" },
  { code: "HALF2", percentOff: 50, duration: "repeating", durationInMonths: 2 },
  { code: "FIVEOFF", amountOff: 500, currency: "USD", duration: "forever" },
] as const;

/** Creates coupons (201, or it throws); `couponKinds` by default. */
export async function createCoupons(
  app: TestApp,
  coupons: readonly Record<string, unknown>[] = couponKinds,
) {
  for (const coupon of coupons) {
    const response = await app.request("POST", "/v1/coupons", { body: coupon });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  }
}

/** USD prices in cents: monthly, and yearly when given. */
function usdPrices({ month, year }: { month: number; year?: number | undefined }) {
  return [
    { interval: "month", currency: "USD", unitAmount: month },
    ...(year === undefined ? [] : [{ interval: "year", currency: "USD", unitAmount: year }]),
  ];
}

let counter = 0;

/** An organization living on a fresh test clock frozen at `start`, with a default payment method. */
export async function createBillingOrganization(
  app: TestApp,
  {
    start,
    paymentToken = "pm_sandbox_ok",
    billingAnchor = "anniversary",
    locale,
    currency = "USD",
  }: {
    start: string;
    paymentToken?: string | null;
    billingAnchor?: string;
    locale?: string;
    currency?: string;
  },
) {
  const clock = await app.request("POST", "/v1/test-clocks", { body: { frozenTime: start } });
  counter += 1;
  const organization = await app.request("POST", "/v1/organizations", {
    body: {
      id: `billing-${process.pid}-${counter}`,
      name: `Billing ${counter}`,
      currency,
      billingAnchor,
      testClockId: clock.body.id,
      ...(locale ? { locale } : {}),
    },
  });
  if (organization.status !== 201) throw new Error(JSON.stringify(organization.body));
  const organizationId: string = organization.body.id;
  const path = (suffix = "") => `/v1/organizations/${organizationId}${suffix}`;
  const post = async (suffix: string, body: unknown) => {
    const response = await app.request("POST", path(suffix), { body });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body;
  };
  /** Makes a sandbox card the default payment method (`pm_sandbox_declined` declines every charge). */
  const setDefaultCard = (token: string) =>
    post("/payment-methods", { provider: "sandbox", token, default: true });
  if (paymentToken) await post("/payment-methods", { provider: "sandbox", token: paymentToken });
  return {
    organizationId,
    clockId: clock.body.id as string,
    advance: async (frozenTime: string) => {
      const response = await app.request("POST", `/v1/test-clocks/${clock.body.id}/advance`, {
        body: { frozenTime },
      });
      if (response.status !== 200) throw new Error(JSON.stringify(response.body));
      return response.body;
    },
    path,
    setDefaultCard,
    /** Subscribes to a plan (201, or it throws); the subscription and its first invoice. */
    subscribe: (planId: string, interval: "month" | "year" = "month") =>
      post("/subscription", { planId, interval }),
  };
}

export async function ledgerSum(app: TestApp, organizationId: string): Promise<number> {
  const { rows } = await app.database.pool.query(
    "select coalesce(sum(amount), 0)::bigint as sum from balance_transactions where organization_id = $1",
    [organizationId],
  );
  return Number(rows[0].sum);
}
