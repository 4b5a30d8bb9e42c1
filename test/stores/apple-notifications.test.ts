import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import type { TestApp } from "../helpers/app.ts";
import { createEncounterPack } from "../helpers/billing-scenario.ts";
import {
  type AppleTestChain,
  type AppleTransactionFields,
  appleAppAppleId,
  appleBundleId,
  appleNotificationBody,
  createAppleTestChain,
  type FakeAppStoreApi,
  startFakeAppStoreApi,
} from "../helpers/fake-app-store.ts";
import { createCheckoutCustomer, startCheckoutTestApp } from "../helpers/payment-scenario.ts";

/**
 * App Store Server Notifications v2 end to end: notifications signed by a throwaway chain with Apple's
 * certificate extensions (verified by Apple's own SignedDataVerifier in the Production environment, never
 * LocalTesting/Xcode, which skip verification), each notification type mapped onto the entitlement,
 * payments recorded without invoices, forged and stale payloads refused, duplicates and out-of-order.
 */
let app: TestApp;
let chain: AppleTestChain;
let appleApi: FakeAppStoreApi;

const hour = 3_600_000;
const day = 24 * hour;

beforeAll(async () => {
  chain = createAppleTestChain();
  appleApi = await startFakeAppStoreApi(chain);
  app = await startCheckoutTestApp({
    ABONO_APPLE_BUNDLE_ID: appleBundleId,
    ABONO_APPLE_APP_APPLE_ID: String(appleAppAppleId),
    ABONO_APPLE_ENVIRONMENT: "Production",
    ABONO_APPLE_ROOT_CERTIFICATES: chain.rootPath,
    ABONO_APPLE_ONLINE_CHECKS: "false",
    ABONO_APPLE_ISSUER_ID: appleApi.issuerId,
    ABONO_APPLE_KEY_ID: appleApi.keyId,
    ABONO_APPLE_PRIVATE_KEY_PATH: appleApi.privateKeyPath,
    ABONO_APPLE_API_URL: appleApi.apiUrl,
  });
  await createEncounterPack(app);
  const mapped = await app.request("PUT", "/v1/plans/premium/store-products", {
    body: { storeProducts: [{ store: "app_store", productId: "com.abono.premium.monthly" }] },
  });
  expect(mapped.status).toBe(200);
  const pack = await app.request("PUT", "/v1/packs/encounters-100/store-products", {
    body: { storeProducts: [{ store: "app_store", productId: "com.abono.encounters100" }] },
  });
  expect(pack.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await appleApi?.close();
});

async function customerWithToken() {
  const customer = await createCheckoutCustomer(app, {
    idPrefix: "apple",
    name: "Consultorio",
    owner: "lucia",
    emailDomain: "consultorio.example",
    locale: "es",
  });
  const tokens = await app.request("GET", customer.path("/store-tokens"));
  expect(tokens.status).toBe(200);
  return { ...customer, token: tokens.body.appAccountToken as string };
}

/** A monthly premium subscription's transaction, purchased `startedAgo` ms before now. */
function subscriptionTransaction({
  token,
  originalTransactionId = `2000${Math.floor(Math.random() * 1e12)}`,
  startedAgo = hour,
  signedDate = Date.now(),
  ...fields
}: {
  token: string | undefined;
  originalTransactionId?: string;
  startedAgo?: number;
  signedDate?: number;
} & Partial<AppleTransactionFields>): AppleTransactionFields {
  const purchaseDate = Date.now() - startedAgo;
  return {
    originalTransactionId,
    transactionId: `${originalTransactionId}-${Math.floor(Math.random() * 1e9)}`,
    productId: "com.abono.premium.monthly",
    appAccountToken: token,
    purchaseDate,
    expiresDate: purchaseDate + 30 * day,
    signedDate,
    price: 4990,
    currency: "USD",
    ...fields,
  };
}

const deliver = (body: unknown) =>
  app.request("POST", "/v1/webhooks/apple", {
    auth: null,
    rawBody: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

async function notify(
  fields: Omit<Parameters<typeof appleNotificationBody>[0], "chain" | "signedDate"> & {
    signedDate?: number;
  },
) {
  const response = await deliver(
    appleNotificationBody({ chain, signedDate: Date.now(), ...fields }),
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.outcome as string;
}

const entitlementOf = async (organizationId: string) =>
  (await app.request("GET", `/v1/organizations/${organizationId}/entitlement`)).body;

async function storePayments(organizationId: string) {
  const { rows } = await app.database.pool.query(
    `select provider, provider_payment_id, amount::text, currency, status, invoice_id
       from payments where organization_id = $1 order by created_at, id`,
    [organizationId],
  );
  return rows;
}

describe("store catalog and tokens", () => {
  it("one token per organization; unknown organization → 404", async () => {
    const customer = await customerWithToken();
    expect(customer.token).toMatch(/^[0-9a-f-]{36}$/);
    const again = await app.request("GET", customer.path("/store-tokens"));
    expect(again.body).toEqual({
      organizationId: customer.organizationId,
      appAccountToken: customer.token,
      obfuscatedExternalAccountId: customer.token,
    });
    const missing = await app.request("GET", "/v1/organizations/nobody-here/store-tokens");
    expect(missing.status).toBe(404);
  });

  it("store products are unique across plans and packs", async () => {
    const twice = await app.request("PUT", "/v1/plans/plus/store-products", {
      body: {
        storeProducts: [
          { store: "google_play", productId: "plus", basePlanId: "monthly" },
          { store: "google_play", productId: "plus", basePlanId: "monthly" },
        ],
      },
    });
    expect(twice.status).toBe(400);
    const taken = await app.request("PUT", "/v1/plans/plus/store-products", {
      body: { storeProducts: [{ store: "app_store", productId: "com.abono.premium.monthly" }] },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("conflict");
    const applePlan = await app.request("PUT", "/v1/plans/plus/store-products", {
      body: { storeProducts: [{ store: "app_store", productId: "x", basePlanId: "y" }] },
    });
    expect(applePlan.status).toBe(400);
    const listed = await app.request("GET", "/v1/plans/premium/store-products");
    expect(listed.body.storeProducts).toEqual([
      { store: "app_store", productId: "com.abono.premium.monthly", basePlanId: null },
    ]);
  });
});

describe("Apple notifications", () => {
  it("SUBSCRIBED with a free trial, then DID_RENEW: trialing, then active with a payment and no invoice", async () => {
    const { organizationId, token } = await customerWithToken();
    const trial = subscriptionTransaction({
      token,
      price: 0,
      offerType: 1,
      offerDiscountType: "FREE_TRIAL",
    });
    trial.expiresDate = trial.purchaseDate + 7 * day;
    expect(
      await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: trial }),
    ).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "trialing",
      trialEndsAt: new Date(trial.expiresDate).toISOString(),
    });
    expect(await storePayments(organizationId)).toEqual([]);

    const renewal = subscriptionTransaction({
      token,
      originalTransactionId: trial.originalTransactionId,
      startedAgo: 0,
      signedDate: Date.now() + 1000,
    });
    expect(await notify({ notificationType: "DID_RENEW", transaction: renewal })).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
      trialEndsAt: null,
    });
    // 4.99 USD (Apple's 4990 milliunits), recorded for reporting: the store is the merchant of record.
    expect(await storePayments(organizationId)).toEqual([
      {
        provider: "app_store",
        provider_payment_id: renewal.transactionId,
        amount: "499",
        currency: "USD",
        status: "succeeded",
        invoice_id: null,
      },
    ]);
    const invoices = await app.request("GET", `/v1/organizations/${organizationId}/invoices`);
    expect(invoices.body.data).toEqual([]);

    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${organizationId}&action=store.subscription_updated`,
    );
    expect(audit.body.data).toHaveLength(2);
    expect(audit.body.data[0].after).toMatchObject({
      planId: "premium",
      status: "active",
      source: "store",
    });
    const trace = await app.database.pool.query(
      `select data from organization_billing_providers where organization_id = $1 and provider = 'app_store'`,
      [organizationId],
    );
    expect(trace.rows[0].data).toMatchObject({
      originalId: trial.originalTransactionId,
      planId: "premium",
      status: "active",
      lastNotificationType: "DID_RENEW",
    });
    const events = await app.request(
      "GET",
      `/v1/events?organizationId=${organizationId}&limit=100`,
    );
    const types = events.body.data.map((event: { type: string }) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(["store_subscription.updated", "entitlement.updated"]),
    );
    const stored = events.body.data.find(
      (event: { type: string; data: { payment: unknown } }) =>
        event.type === "store_subscription.updated" && event.data.payment,
    );
    expect(stored.data.payment).toMatchObject({
      amount: 499,
      currency: "USD",
      status: "succeeded",
    });
  });

  /**
   * `entitlement` is what `GET …/entitlement` answers (the effective state: a `past_due` whose grace ended
   * reads as canceled, on the free plan's features); `limit` the encounters allowed (premium 3000, free 10).
   */
  const cases: {
    type: string;
    subtype?: string;
    renewalInfo?: (now: number) => Record<string, unknown>;
    entitlement: { planId: string; status: string };
    stored: { planId: string; status: string; source: string };
    limit: number;
    storeStatus: string;
  }[] = [
    {
      type: "DID_CHANGE_RENEWAL_PREF",
      subtype: "DOWNGRADE",
      entitlement: { planId: "premium", status: "active" },
      stored: { planId: "premium", status: "active", source: "store" },
      limit: 3000,
      storeStatus: "active",
    },
    {
      type: "DID_CHANGE_RENEWAL_STATUS",
      subtype: "AUTO_RENEW_DISABLED",
      renewalInfo: () => ({ autoRenewStatus: 0 }),
      entitlement: { planId: "premium", status: "active" },
      stored: { planId: "premium", status: "active", source: "store" },
      limit: 3000,
      storeStatus: "active",
    },
    {
      type: "OFFER_REDEEMED",
      subtype: "UPGRADE",
      entitlement: { planId: "premium", status: "active" },
      stored: { planId: "premium", status: "active", source: "store" },
      limit: 3000,
      storeStatus: "active",
    },
    {
      type: "PRICE_INCREASE",
      subtype: "ACCEPTED",
      renewalInfo: () => ({ priceIncreaseStatus: 1 }),
      entitlement: { planId: "premium", status: "active" },
      stored: { planId: "premium", status: "active", source: "store" },
      limit: 3000,
      storeStatus: "active",
    },
    {
      type: "DID_FAIL_TO_RENEW",
      subtype: "GRACE_PERIOD",
      renewalInfo: (now) => ({
        gracePeriodExpiresDate: now + 6 * day,
        isInBillingRetryPeriod: true,
      }),
      entitlement: { planId: "premium", status: "past_due" },
      stored: { planId: "premium", status: "past_due", source: "store" },
      limit: 3000,
      storeStatus: "past_due",
    },
    {
      type: "DID_FAIL_TO_RENEW",
      renewalInfo: () => ({ isInBillingRetryPeriod: true }),
      entitlement: { planId: "free", status: "canceled" },
      stored: { planId: "premium", status: "past_due", source: "store" },
      limit: 10,
      storeStatus: "past_due",
    },
    {
      type: "GRACE_PERIOD_EXPIRED",
      renewalInfo: (now) => ({ gracePeriodExpiresDate: now - hour, isInBillingRetryPeriod: true }),
      entitlement: { planId: "free", status: "canceled" },
      stored: { planId: "premium", status: "past_due", source: "store" },
      limit: 10,
      storeStatus: "past_due",
    },
    {
      type: "EXPIRED",
      subtype: "VOLUNTARY",
      entitlement: { planId: "free", status: "active" },
      stored: { planId: "free", status: "active", source: "free" },
      limit: 10,
      storeStatus: "expired",
    },
    {
      type: "REVOKE",
      entitlement: { planId: "free", status: "active" },
      stored: { planId: "free", status: "active", source: "free" },
      limit: 10,
      storeStatus: "revoked",
    },
    {
      type: "REFUND",
      entitlement: { planId: "free", status: "active" },
      stored: { planId: "free", status: "active", source: "free" },
      limit: 10,
      storeStatus: "revoked",
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.type}${testCase.subtype ? ` (${testCase.subtype})` : ""} → ${testCase.entitlement.planId} ${testCase.entitlement.status}`, async () => {
      const { organizationId, token } = await customerWithToken();
      const bought = subscriptionTransaction({
        token,
        startedAgo: 10 * day,
        signedDate: Date.now() - 2000,
      });
      await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: bought });
      const now = Date.now();
      let later = subscriptionTransaction({
        token,
        originalTransactionId: bought.originalTransactionId,
        startedAgo: 10 * day,
        transactionId: bought.transactionId,
      });
      if (testCase.type === "DID_FAIL_TO_RENEW" || testCase.type === "GRACE_PERIOD_EXPIRED") {
        later = { ...later, expiresDate: now - 2 * hour };
      }
      if (testCase.type === "EXPIRED") later = { ...later, expiresDate: now - hour };
      if (testCase.type === "REFUND" || testCase.type === "REVOKE") {
        later = { ...later, revocationDate: now - 1000, revocationReason: 0 };
      }
      const outcome = await notify({
        notificationType: testCase.type,
        ...(testCase.subtype ? { subtype: testCase.subtype } : {}),
        transaction: later,
        ...(testCase.renewalInfo ? { renewalInfo: testCase.renewalInfo(now) } : {}),
      });
      expect(outcome).toBe("processed");
      expect(await entitlementOf(organizationId)).toMatchObject(testCase.entitlement);
      const stored = await app.database.pool.query(
        `select plan_id as "planId", status, source from organization_entitlements where organization_id = $1`,
        [organizationId],
      );
      expect(stored.rows[0]).toEqual(testCase.stored);
      const check = await app.request(
        "GET",
        `/v1/organizations/${organizationId}/entitlements/encounters`,
      );
      expect(check.body).toMatchObject({ allowed: true, limit: testCase.limit });
      const { rows } = await app.database.pool.query(
        `select status, auto_renew from store_subscriptions where store_subscription_id = $1`,
        [bought.originalTransactionId],
      );
      expect(rows[0].status).toBe(testCase.storeStatus);
      if (testCase.type === "DID_CHANGE_RENEWAL_STATUS") expect(rows[0].auto_renew).toBe(false);
      const payments = await storePayments(organizationId);
      expect(payments).toHaveLength(1);
      expect(payments[0].status).toBe(testCase.type === "REFUND" ? "refunded" : "succeeded");
    });
  }

  it("TEST is recorded and changes nothing", async () => {
    expect(await notify({ notificationType: "TEST" })).toBe("ignored: a TEST notification");
  });

  it("forged, untrusted, extension-less, other-bundle and stale payloads → 400, nothing changed, all on record", async () => {
    const { organizationId, token } = await customerWithToken();
    const transaction = subscriptionTransaction({ token });
    const forgedChains = [
      createAppleTestChain(),
      createAppleTestChain({ withoutAppleExtensions: true, underRootOf: chain }),
    ];
    const bodies: unknown[] = forgedChains.map((other) =>
      appleNotificationBody({
        chain: other,
        notificationType: "SUBSCRIBED",
        signedDate: Date.now(),
        transaction,
      }),
    );
    // Above: a chain under another root, and one under the trusted root whose certificates lack Apple's
    // extensions. Next: signed by the trusted leaf, then tampered with.
    const genuine = appleNotificationBody({
      chain,
      notificationType: "SUBSCRIBED",
      signedDate: Date.now(),
      transaction,
    });
    const [header, payload, signature] = genuine.signedPayload.split(".");
    const tamperedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()),
        notificationType: "EXPIRED",
      }),
    ).toString("base64url");
    bodies.push({ signedPayload: `${header}.${tamperedPayload}.${signature}` });
    bodies.push(
      appleNotificationBody({
        chain,
        notificationType: "SUBSCRIBED",
        signedDate: Date.now(),
        transaction,
        bundleId: "com.other.app",
      }),
    );
    bodies.push(
      appleNotificationBody({
        chain,
        notificationType: "SUBSCRIBED",
        signedDate: Date.now(),
        transaction,
        environment: "Sandbox",
      }),
    );
    const stale = appleNotificationBody({
      chain,
      notificationType: "SUBSCRIBED",
      signedDate: Date.now() - 9 * day,
      transaction,
    });
    const staleResponse = await deliver(stale);
    expect(staleResponse.status).toBe(400);
    expect(staleResponse.body.error.message).toContain("stale");
    bodies.push({ signedPayload: "not.a.jws" });
    bodies.push({});
    for (const body of bodies) {
      const response = await deliver(body);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.error.code).toBe("webhook_signature_invalid");
    }
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    expect(await storePayments(organizationId)).toEqual([]);
    const { rows } = await app.database.pool.query(
      `select count(*)::int as n from store_subscriptions where store_subscription_id = $1`,
      [transaction.originalTransactionId],
    );
    expect(rows[0].n).toBe(0);
    const events = await app.request(
      "GET",
      "/v1/payment-events?provider=app_store&verified=false&limit=100",
    );
    expect(events.body.data.length).toBeGreaterThanOrEqual(bodies.length);
  });

  it("the same notification 8 times at once is applied once", async () => {
    const { organizationId, token } = await customerWithToken();
    const body = appleNotificationBody({
      chain,
      notificationType: "SUBSCRIBED",
      subtype: "RESUBSCRIBE",
      signedDate: Date.now(),
      transaction: subscriptionTransaction({ token }),
    });
    const responses = await Promise.all(Array.from({ length: 8 }, () => deliver(body)));
    const outcomes = responses.map((response) => response.body.outcome).sort();
    expect(outcomes).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "duplicate",
      "processed",
    ]);
    expect(await storePayments(organizationId)).toHaveLength(1);
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${organizationId}&action=store.subscription_updated`,
    );
    expect(audit.body.data).toHaveLength(1);
  });

  it("out of order: an EXPIRED signed later, then a DID_RENEW signed earlier → stays expired", async () => {
    const { organizationId, token } = await customerWithToken();
    const now = Date.now();
    const renewal = subscriptionTransaction({
      token,
      startedAgo: 31 * day,
      signedDate: now - 60_000,
    });
    const expired = {
      ...subscriptionTransaction({
        token,
        originalTransactionId: renewal.originalTransactionId,
        startedAgo: 31 * day,
        signedDate: now - 1000,
      }),
      transactionId: renewal.transactionId,
      expiresDate: now - day,
    };
    expect(
      await notify({ notificationType: "EXPIRED", subtype: "VOLUNTARY", transaction: expired }),
    ).toBe("processed");
    expect(
      await notify({
        notificationType: "DID_RENEW",
        transaction: { ...renewal, expiresDate: now + 5 * day },
      }),
    ).toBe("stale_state");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    const { rows } = await app.database.pool.query(
      `select status from store_subscriptions where store_subscription_id = $1`,
      [renewal.originalTransactionId],
    );
    expect(rows[0].status).toBe("expired");
  });

  it("a purchase naming no organization is kept, reported to operators, and applied once root links it", async () => {
    const transaction = subscriptionTransaction({ token: randomUUID() });
    expect(
      await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction }),
    ).toBe("unlinked");
    const unlinked = await app.request(
      "GET",
      "/v1/root/store-subscriptions?unlinked=true&limit=100",
    );
    const row = unlinked.body.data.find(
      (item: { storeSubscriptionId: string }) =>
        item.storeSubscriptionId === transaction.originalTransactionId,
    );
    expect(row).toMatchObject({ organizationId: null, planId: "premium", status: "active" });
    // It renews before anyone links it: that charge is kept too.
    const renewal = subscriptionTransaction({
      token: transaction.appAccountToken,
      originalTransactionId: transaction.originalTransactionId,
      startedAgo: 0,
      signedDate: Date.now() + 1,
    });
    expect(await notify({ notificationType: "DID_RENEW", transaction: renewal })).toBe("unlinked");
    const unrecorded = await app.database.pool.query(
      "select count(*)::int as n from payments where provider_payment_id = any($1)",
      [[transaction.transactionId, renewal.transactionId]],
    );
    expect(unrecorded.rows[0].n).toBe(0);
    const notifications = await app.database.pool.query(
      `select title from notifications where audience = 'admin' and kind = 'store_purchase_unapplied'`,
    );
    expect(notifications.rows.length).toBeGreaterThanOrEqual(1);

    const { organizationId } = await customerWithToken();
    const noReason = await app.request("POST", `/v1/root/store-subscriptions/${row.id}/link`, {
      body: { organizationId },
    });
    expect(noReason.status).toBe(400);
    const linked = await app.request("POST", `/v1/root/store-subscriptions/${row.id}/link`, {
      body: { organizationId, reason: "support ticket 42: bought before signing in" },
    });
    expect(linked.status).toBe(200);
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    // Both charges made before the link are the organization's payments now, each once.
    expect(await storePayments(organizationId)).toMatchObject([
      { provider_payment_id: transaction.transactionId, amount: "499", status: "succeeded" },
      { provider_payment_id: renewal.transactionId, amount: "499", status: "succeeded" },
    ]);
    const events = await app.request(
      "GET",
      `/v1/events?organizationId=${organizationId}&limit=100`,
    );
    expect(
      events.body.data.filter((event: { type: string }) => event.type === "payment.succeeded"),
    ).toHaveLength(2);
    const again = await app.request("POST", `/v1/root/store-subscriptions/${row.id}/link`, {
      body: { organizationId, reason: "again" },
    });
    expect(again.status).toBe(409);
  });

  it("a store purchase ends a live sandbox subscription now, crediting its unused time", async () => {
    const customer = await customerWithToken();
    const method = await app.request("POST", customer.path("/payment-methods"), {
      body: { provider: "sandbox", token: "pm_sandbox_ok", default: true },
    });
    expect(method.status).toBe(201);
    const subscribed = await app.request("POST", customer.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    expect(
      await notify({
        notificationType: "SUBSCRIBED",
        subtype: "INITIAL_BUY",
        transaction: subscriptionTransaction({ token: customer.token }),
      }),
    ).toBe("processed");
    const subscription = await app.request("GET", customer.path("/subscription"));
    expect(subscription.status).toBe(404);
    expect(await entitlementOf(customer.organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    const balance = await app.request("GET", customer.path("/balance"));
    expect(balance.body.available).toBeGreaterThan(0);
    const canceled = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${customer.organizationId}&action=subscription.canceled`,
    );
    expect(canceled.body.data[0].actor).toBe("system:app_store");

    // The reverse: while the store subscription is live, no Stripe/MercadoPago/PayPal/sandbox purchase.
    const again = await app.request("POST", customer.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
    expect(again.body.error.message).toContain("App Store");
    const checkout = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "plus", interval: "month", provider: "sandbox" },
    });
    expect(checkout.status).toBe(409);
  });

  it("a consumable mapped to a pack grants it once", async () => {
    const { organizationId, token } = await customerWithToken();
    const body = appleNotificationBody({
      chain,
      notificationType: "ONE_TIME_CHARGE",
      signedDate: Date.now(),
      transaction: {
        ...subscriptionTransaction({ token, productId: "com.abono.encounters100", price: 1990 }),
        type: "Consumable",
        expiresDate: undefined,
      } as AppleTransactionFields,
    });
    expect((await deliver(body)).body.outcome).toBe("processed");
    expect((await deliver(body)).body.outcome).toBe("duplicate");
    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
    const entitlement = await entitlementOf(organizationId);
    expect(entitlement.balances.encounters.purchased).toBe(100);
    expect(await storePayments(organizationId)).toMatchObject([{ amount: "199", currency: "USD" }]);
  });

  it("a REFUND of a consumable takes its pack back once: grant zeroed, payment refunded, event, audit, email", async () => {
    const { organizationId, token } = await customerWithToken();
    const consumable = (transactionId: string, signedDate: number) =>
      ({
        ...subscriptionTransaction({ token, productId: "com.abono.encounters100", price: 1990 }),
        originalTransactionId: transactionId,
        transactionId,
        signedDate,
        type: "Consumable",
        expiresDate: undefined,
      }) as AppleTransactionFields;
    const kept = `3000${Math.floor(Math.random() * 1e12)}`;
    const refunded = `3000${Math.floor(Math.random() * 1e12)}`;
    for (const id of [kept, refunded]) {
      expect(
        await notify({
          notificationType: "ONE_TIME_CHARGE",
          transaction: consumable(id, Date.now() - 2000),
        }),
      ).toBe("processed");
    }
    expect((await entitlementOf(organizationId)).balances.encounters.purchased).toBe(200);
    const refund = appleNotificationBody({
      chain,
      notificationType: "REFUND",
      signedDate: Date.now(),
      transaction: { ...consumable(refunded, Date.now() - 1000), revocationDate: Date.now() },
    });
    const outcomes = await Promise.all([
      deliver(refund),
      deliver(refund),
      // Another notification saying the same (Apple resends with a new UUID after a timeout).
      deliver(
        appleNotificationBody({
          chain,
          notificationType: "REFUND",
          signedDate: Date.now(),
          transaction: { ...consumable(refunded, Date.now() - 1000), revocationDate: Date.now() },
        }),
      ),
    ]);
    expect(outcomes.map((response) => response.status)).toEqual([200, 200, 200]);
    expect((await entitlementOf(organizationId)).balances.encounters.purchased).toBe(100);
    expect(
      (await storePayments(organizationId)).map((payment) => [
        payment.provider_payment_id,
        payment.status,
      ]),
    ).toEqual([
      [kept, "succeeded"],
      [refunded, "refunded"],
    ]);
    const events = await app.request(
      "GET",
      `/v1/events?organizationId=${organizationId}&limit=100`,
    );
    const types = (events.body.data as { type: string }[]).map((event) => event.type);
    expect(types.filter((type) => type === "payment.refunded")).toHaveLength(1);
    expect(types.filter((type) => type === "pack.revoked")).toHaveLength(1);
    const audits = await app.database.pool.query(
      "select action, before, metadata from audit_logs where organization_id = $1 and action = 'pack.revoked'",
      [organizationId],
    );
    expect(audits.rows).toMatchObject([
      { before: { remaining: "100" }, metadata: { provider: "app_store", reason: "refunded" } },
    ]);
    const deadline = Date.now() + 20_000;
    let sent: { subject: string; template: string }[] = [];
    while (sent.length === 0 && Date.now() < deadline) {
      await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 10_000 });
      const box = await app.request(
        "GET",
        `/v1/mailbox?organizationId=${organizationId}&limit=100`,
      );
      sent = (box.body.data as { subject: string; template: string; status: string }[]).filter(
        (email) => email.template === "pack_revoked" && email.status === "sent",
      );
    }
    expect(sent.map((email) => email.subject)).toEqual([
      "App Store reembolsó un paquete de 100 Encounters",
    ]);
  });

  it("DID_CHANGE_RENEWAL_PREF: the plan switch waits for the renewal charged for the new product", async () => {
    const plus = await app.request("PUT", "/v1/plans/plus/store-products", {
      body: { storeProducts: [{ store: "app_store", productId: "com.abono.plus.monthly" }] },
    });
    expect(plus.status).toBe(200);
    const { organizationId, token } = await customerWithToken();
    const bought = subscriptionTransaction({
      token,
      startedAgo: 20 * day,
      signedDate: Date.now() - 3000,
    });
    await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: bought });
    const storeSubscription = async () =>
      (await app.request("GET", `/v1/root/store-subscriptions?organizationId=${organizationId}`))
        .body.data[0];
    // The customer downgrades in the App Store: premium stays until the period ends.
    expect(
      await notify({
        notificationType: "DID_CHANGE_RENEWAL_PREF",
        subtype: "DOWNGRADE",
        transaction: { ...bought, signedDate: Date.now() - 2000 },
        renewalInfo: { autoRenewProductId: "com.abono.plus.monthly" },
      }),
    ).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    expect(await storeSubscription()).toMatchObject({
      planId: "premium",
      pendingProductId: "com.abono.plus.monthly",
      pendingPlanId: "plus",
    });
    const audit = await app.database.pool.query(
      "select after from audit_logs where organization_id = $1 and action = 'store.plan_change_pending' order by id",
      [organizationId],
    );
    expect(audit.rows.map((row) => row.after)).toEqual([
      { pendingPlanId: "plus", pendingProductId: "com.abono.plus.monthly" },
    ]);
    const renewal = subscriptionTransaction({
      token,
      originalTransactionId: bought.originalTransactionId,
      productId: "com.abono.plus.monthly",
      price: 2990,
      startedAgo: 0,
      signedDate: Date.now() - 1000,
    });
    // The renewal is charged for the new product: the plan switches now, and nothing is pending.
    expect(
      await notify({
        notificationType: "DID_RENEW",
        transaction: renewal,
        renewalInfo: { autoRenewProductId: "com.abono.plus.monthly" },
      }),
    ).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "plus", status: "active" });
    expect(await storeSubscription()).toMatchObject({
      planId: "plus",
      productId: "com.abono.plus.monthly",
      pendingProductId: null,
      pendingPlanId: null,
    });
    expect((await storePayments(organizationId)).map((payment) => payment.amount)).toEqual([
      "499",
      "299",
    ]);
  });

  it("emails the owner (es) when the store subscription starts, fails to renew, ends or is refunded, honouring preferences", async () => {
    const mailbox = async (organizationId: string, count: number) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 10_000 });
        const box = await app.request(
          "GET",
          `/v1/mailbox?organizationId=${organizationId}&limit=100`,
        );
        const found = (
          box.body.data as { template: string; subject: string; text: string; status: string }[]
        )
          .filter((email) => email.template === "store_subscription" && email.status === "sent")
          .reverse();
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const { organizationId, token } = await customerWithToken();
    const bought = subscriptionTransaction({ token, signedDate: Date.now() - 4000 });
    await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: bought });
    // A repeated state (auto-renew turned off) says nothing new to the customer.
    await notify({
      notificationType: "DID_CHANGE_RENEWAL_STATUS",
      subtype: "AUTO_RENEW_DISABLED",
      transaction: { ...bought, signedDate: Date.now() - 3000 },
    });
    await notify({
      notificationType: "DID_FAIL_TO_RENEW",
      subtype: "GRACE_PERIOD",
      transaction: { ...bought, signedDate: Date.now() - 2000 },
      renewalInfo: { gracePeriodExpiresDate: Date.now() + 6 * day, isInBillingRetryPeriod: true },
    });
    await notify({
      notificationType: "EXPIRED",
      subtype: "BILLING_RETRY",
      transaction: { ...bought, expiresDate: Date.now() - 1000, signedDate: Date.now() - 1000 },
    });
    const emails = await mailbox(organizationId, 3);
    expect(emails.map((email) => email.subject)).toEqual([
      "Tu suscripción a Premium por App Store está activa",
      "App Store no pudo renovar tu suscripción a Premium",
      "Tu suscripción a Premium por App Store terminó",
    ]);
    expect(emails[0]?.text).toContain("adminístrala o cancélala en App Store");
    expect(emails[1]?.text).toContain("tu acceso continúa hasta el");

    // Opted out of non-essential emails: no purchase confirmation, but the refund is told.
    const other = await customerWithToken();
    const opted = await app.request("PUT", other.path("/message-preferences"), {
      body: { nonEssentialEmails: false },
    });
    expect(opted.status).toBe(200);
    const second = subscriptionTransaction({ token: other.token, signedDate: Date.now() - 2000 });
    await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: second });
    await notify({
      notificationType: "REFUND",
      transaction: { ...second, revocationDate: Date.now(), signedDate: Date.now() - 1000 },
    });
    const refunded = await mailbox(other.organizationId, 1);
    expect(refunded.map((email) => email.subject)).toEqual([
      "App Store reembolsó tu suscripción a Premium",
    ]);
  });

  it("emails: a BILLING_RECOVERY (even after EXPIRED BILLING_RETRY) says active again, not a second welcome; a RESUBSCRIBE is a subscription", async () => {
    const mailbox = async (organizationId: string, count: number) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 10_000 });
        const box = await app.request(
          "GET",
          `/v1/mailbox?organizationId=${organizationId}&limit=100`,
        );
        const found = (
          box.body.data as { template: string; subject: string; text: string; status: string }[]
        )
          .filter((email) => email.template === "store_subscription" && email.status === "sent")
          .reverse();
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const { organizationId, token } = await customerWithToken();
    const signed = (ago: number) => Date.now() - ago * 1000;
    const bought = subscriptionTransaction({ token, startedAgo: 29 * day, signedDate: signed(9) });
    await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: bought });
    // No grace period: access ends while Apple retries, then the retry period ends.
    await notify({
      notificationType: "DID_FAIL_TO_RENEW",
      transaction: { ...bought, signedDate: signed(8) },
      renewalInfo: { isInBillingRetryPeriod: true },
    });
    await notify({
      notificationType: "EXPIRED",
      subtype: "BILLING_RETRY",
      transaction: { ...bought, signedDate: signed(7) },
    });
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    // Apple collects after all: the subscription is recovered, told once however often Apple says it.
    const recovered = subscriptionTransaction({
      token,
      originalTransactionId: bought.originalTransactionId,
      startedAgo: 0,
      signedDate: signed(6),
    });
    const recovery = appleNotificationBody({
      chain,
      notificationType: "DID_RENEW",
      subtype: "BILLING_RECOVERY",
      signedDate: Date.now(),
      transaction: recovered,
    });
    expect((await deliver(recovery)).body.outcome).toBe("processed");
    expect((await deliver(recovery)).body.outcome).toBe("duplicate");
    expect(
      await notify({
        notificationType: "DID_RENEW",
        subtype: "BILLING_RECOVERY",
        transaction: { ...recovered, signedDate: signed(5) },
      }),
    ).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    // Within a grace period: failed, then recovered.
    await notify({
      notificationType: "DID_FAIL_TO_RENEW",
      subtype: "GRACE_PERIOD",
      transaction: { ...recovered, signedDate: signed(4) },
      renewalInfo: { gracePeriodExpiresDate: Date.now() + 6 * day, isInBillingRetryPeriod: true },
    });
    await notify({
      notificationType: "DID_RENEW",
      subtype: "BILLING_RECOVERY",
      transaction: { ...recovered, signedDate: signed(3) },
    });
    // The customer lets it end, then subscribes again: a new subscription.
    await notify({
      notificationType: "EXPIRED",
      subtype: "VOLUNTARY",
      transaction: { ...recovered, expiresDate: signed(2), signedDate: signed(2) },
    });
    await notify({
      notificationType: "SUBSCRIBED",
      subtype: "RESUBSCRIBE",
      transaction: subscriptionTransaction({
        token,
        originalTransactionId: bought.originalTransactionId,
        startedAgo: 0,
        signedDate: signed(1),
      }),
    });
    const emails = await mailbox(organizationId, 8);
    expect(emails.map((email) => email.subject)).toEqual([
      "Tu suscripción a Premium por App Store está activa",
      "App Store no pudo renovar tu suscripción a Premium",
      "Tu suscripción a Premium por App Store terminó",
      "Tu suscripción a Premium por App Store está activa de nuevo",
      "App Store no pudo renovar tu suscripción a Premium",
      "Tu suscripción a Premium por App Store está activa de nuevo",
      "Tu suscripción a Premium por App Store terminó",
      "Tu suscripción a Premium por App Store está activa",
    ]);
    expect(emails[3]?.text).toContain("el acceso está restablecido");
  });

  it("reconciliation: getAllSubscriptionStatuses brings a missed expiry and a missed renewal; older states are kept", async () => {
    const { organizationId, token } = await customerWithToken();
    const bought = subscriptionTransaction({
      token,
      startedAgo: 29 * day,
      signedDate: Date.now() - 5000,
    });
    await notify({ notificationType: "SUBSCRIBED", subtype: "INITIAL_BUY", transaction: bought });
    // The renewal notification never arrived; Apple's status API has it.
    const renewed = subscriptionTransaction({
      token,
      originalTransactionId: bought.originalTransactionId,
      startedAgo: 0,
      signedDate: Date.now() - 1000,
    });
    appleApi.statuses.set(bought.originalTransactionId, { status: 1, transaction: renewed });
    const synced = await app.request(
      "POST",
      `/v1/root/organizations/${organizationId}/store-sync`,
      {
        body: {},
      },
    );
    expect(synced.status, JSON.stringify(synced.body)).toBe(200);
    expect(synced.body.results).toEqual([
      expect.objectContaining({ store: "app_store", outcome: "processed" }),
    ]);
    expect(await storePayments(organizationId)).toHaveLength(2);
    // Then it expired, and the EXPIRED notification was lost too.
    const expired = { ...renewed, expiresDate: Date.now() - 1000, signedDate: Date.now() };
    appleApi.statuses.set(bought.originalTransactionId, {
      status: 2,
      transaction: expired,
      renewalInfo: { autoRenewStatus: 0 },
    });
    await app.request("POST", `/v1/root/organizations/${organizationId}/store-sync`, { body: {} });
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    // An older status (signed before what Abono holds) changes nothing.
    appleApi.statuses.set(bought.originalTransactionId, { status: 1, transaction: renewed });
    const older = await app.request("POST", `/v1/root/organizations/${organizationId}/store-sync`, {
      body: {},
    });
    expect(older.body.results[0].outcome).toBe("stale_state");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    const notRoot = await app.request(
      "POST",
      `/v1/root/organizations/${organizationId}/store-sync`,
      {
        body: {},
        auth: "abono_sk_not_a_real_key_0123456789abcdef",
      },
    );
    expect(notRoot.status).toBe(401);
  });
});
