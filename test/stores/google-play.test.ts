import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../../src/jobs/enqueue-job.ts";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import { createLogger } from "../../src/logger.ts";
import {
  storeReconciliationJob,
  storeReconciliationTask,
} from "../../src/stores/reconcile-store-subscriptions.ts";
import type { TestApp } from "../helpers/app.ts";
import { createEncounterPack } from "../helpers/billing-scenario.ts";
import { type FakeGooglePlay, startFakeGooglePlay } from "../helpers/fake-google-play.ts";
import { startJwksServer } from "../helpers/jwks-server.ts";
import { createCheckoutCustomer, startCheckoutTestApp } from "../helpers/payment-scenario.ts";

/**
 * Google Play end to end: Pub/Sub pushes authenticated by OIDC tokens signed by a local JWKS server, the
 * official Android Publisher client (service-account credentials, a throwaway key) talking to a local
 * fake, each subscription state mapped onto the entitlement, voided purchases, the app's registration.
 */
let app: TestApp;
let google: FakeGooglePlay;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
const pushAccount = "pubsub-push@abono-tests.iam.gserviceaccount.com";
const audience = "https://abono.example/v1/webhooks/google";
const day = 86_400_000;

beforeAll(async () => {
  google = await startFakeGooglePlay();
  jwks = await startJwksServer();
  app = await startCheckoutTestApp({
    ABONO_GOOGLE_PACKAGE_NAME: google.packageName,
    ABONO_GOOGLE_SERVICE_ACCOUNT_KEY_PATH: google.serviceAccountKeyPath,
    ABONO_GOOGLE_PUSH_AUDIENCE: audience,
    ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT: pushAccount,
    ABONO_GOOGLE_PUSH_JWKS_URL: jwks.jwksUrl,
    ABONO_GOOGLE_PUSH_ISSUER: jwks.issuer,
    ABONO_GOOGLE_API_URL: google.apiUrl,
    ABONO_GOOGLE_OAUTH_URL: google.tokenUrl,
  });
  const mapped = await app.request("PUT", "/v1/plans/premium/store-products", {
    body: {
      storeProducts: [{ store: "google_play", productId: "premium", basePlanId: "monthly" }],
    },
  });
  expect(mapped.status).toBe(200);
  await createEncounterPack(app);
  const pack = await app.request("PUT", "/v1/packs/encounters-100/store-products", {
    body: { storeProducts: [{ store: "google_play", productId: "encounters_100" }] },
  });
  expect(pack.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await google?.close();
  await jwks?.close();
});

async function customerWithToken() {
  const customer = await createCheckoutCustomer(app, {
    idPrefix: "google",
    name: "Veterinaria",
    owner: "tomas",
    emailDomain: "veterinaria.example",
    locale: "en",
  });
  const tokens = await app.request("GET", customer.path("/store-tokens"));
  return { ...customer, token: tokens.body.obfuscatedExternalAccountId as string };
}

function putPurchase({
  purchaseToken = `gp-${randomUUID()}`,
  accountToken,
  state = "SUBSCRIPTION_STATE_ACTIVE",
  expiresIn = 30 * day,
  orderId = `GPA.${Math.floor(Math.random() * 1e9)}`,
  freeTrial = false,
  acknowledgementState = "ACKNOWLEDGEMENT_STATE_PENDING",
}: {
  purchaseToken?: string;
  accountToken?: string | undefined;
  state?: string;
  expiresIn?: number;
  orderId?: string;
  freeTrial?: boolean;
  acknowledgementState?: string;
}) {
  google.purchases.set(purchaseToken, {
    regionCode: "AR",
    startTime: new Date(Date.now() - day).toISOString(),
    subscriptionState: state,
    acknowledgementState,
    ...(accountToken
      ? { externalAccountIdentifiers: { obfuscatedExternalAccountId: accountToken } }
      : {}),
    lineItems: [
      {
        productId: "premium",
        expiryTime: new Date(Date.now() + expiresIn).toISOString(),
        autoRenewingPlan: {
          autoRenewEnabled: state === "SUBSCRIPTION_STATE_ACTIVE",
          recurringPrice: { currencyCode: "USD", units: "4", nanos: 990000000 },
        },
        offerDetails: { basePlanId: "monthly", offerTags: [] },
        latestSuccessfulOrderId: orderId,
        ...(freeTrial ? { offerPhase: { freeTrial: {} } } : { offerPhase: { basePrice: {} } }),
      },
    ],
  });
  return { purchaseToken, orderId };
}

async function push(
  notification: Record<string, unknown>,
  {
    token,
    messageId = String(Math.floor(Math.random() * 1e12)),
  }: { token?: string; messageId?: string } = {},
) {
  const bearer =
    token ?? (await jwks.sign({ email: pushAccount, email_verified: true }, { audience }));
  const data = Buffer.from(
    JSON.stringify({
      version: "1.0",
      packageName: google.packageName,
      eventTimeMillis: String(Date.now()),
      ...notification,
    }),
  ).toString("base64");
  return app.request("POST", "/v1/webhooks/google", {
    auth: null,
    rawBody: JSON.stringify({
      message: { data, messageId, publishTime: new Date().toISOString() },
      subscription: "projects/abono-tests/subscriptions/play",
    }),
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
  });
}

const subscriptionNotice = (purchaseToken: string, notificationType: number) => ({
  subscriptionNotification: {
    version: "1.0",
    notificationType,
    purchaseToken,
    subscriptionId: "premium",
  },
});

/** The owner's emails of one template, oldest first, once `count` are sent (or after a while). */
async function mailbox(organizationId: string, template: string, count: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 10_000 });
    const box = await app.request("GET", `/v1/mailbox?organizationId=${organizationId}&limit=100`);
    const found = (
      box.body.data as { template: string; subject: string; text: string; status: string }[]
    )
      .filter((email) => email.template === template && email.status === "sent")
      .reverse();
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function eventsOf(organizationId: string, type: string) {
  const events = await app.request("GET", `/v1/events?organizationId=${organizationId}&limit=100`);
  return (events.body.data as { type: string; data: Record<string, unknown> }[]).filter(
    (event) => event.type === type,
  );
}

async function auditCount(organizationId: string, action: string) {
  const { rows } = await app.database.pool.query(
    "select count(*)::int as n from audit_logs where organization_id = $1 and action = $2",
    [organizationId, action],
  );
  return rows[0].n as number;
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

describe("Google Play notifications", () => {
  it("SUBSCRIPTION_PURCHASED: fetched, acknowledged, entitlement active, payment without invoice", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: token });
    const response = await push(subscriptionNotice(purchaseToken, 4));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.outcome).toBe("processed");
    expect(google.acknowledged).toContain(purchaseToken);
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    expect(await storePayments(organizationId)).toEqual([
      {
        provider: "google_play",
        provider_payment_id: orderId,
        amount: "499",
        currency: "USD",
        status: "succeeded",
        invoice_id: null,
      },
    ]);
    const trace = await app.database.pool.query(
      `select data from organization_billing_providers where organization_id = $1 and provider = 'google_play'`,
      [organizationId],
    );
    expect(trace.rows[0].data).toMatchObject({ planId: "premium", status: "active" });
  });

  const states: {
    state: string;
    type: number;
    expiresIn?: number;
    entitlement: { planId: string; status: string };
    storeStatus: string;
    limit: number;
  }[] = [
    {
      state: "SUBSCRIPTION_STATE_IN_GRACE_PERIOD",
      type: 6,
      expiresIn: 3 * day,
      entitlement: { planId: "premium", status: "past_due" },
      storeStatus: "past_due",
      limit: 3000,
    },
    {
      state: "SUBSCRIPTION_STATE_ON_HOLD",
      type: 5,
      expiresIn: -day,
      entitlement: { planId: "free", status: "canceled" },
      storeStatus: "past_due",
      limit: 10,
    },
    {
      state: "SUBSCRIPTION_STATE_PAUSED",
      type: 10,
      expiresIn: -day,
      entitlement: { planId: "free", status: "active" },
      storeStatus: "paused",
      limit: 10,
    },
    {
      state: "SUBSCRIPTION_STATE_CANCELED",
      type: 3,
      expiresIn: 10 * day,
      entitlement: { planId: "premium", status: "active" },
      storeStatus: "active",
      limit: 3000,
    },
    {
      state: "SUBSCRIPTION_STATE_EXPIRED",
      type: 13,
      expiresIn: -day,
      entitlement: { planId: "free", status: "active" },
      storeStatus: "expired",
      limit: 10,
    },
  ];

  for (const testCase of states) {
    it(`${testCase.state} → ${testCase.entitlement.planId} ${testCase.entitlement.status}`, async () => {
      const { organizationId, token } = await customerWithToken();
      const { purchaseToken, orderId } = putPurchase({ accountToken: token });
      expect((await push(subscriptionNotice(purchaseToken, 4))).body.outcome).toBe("processed");
      putPurchase({
        purchaseToken,
        accountToken: token,
        orderId,
        state: testCase.state,
        expiresIn: testCase.expiresIn ?? 30 * day,
        acknowledgementState: "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED",
      });
      const response = await push(subscriptionNotice(purchaseToken, testCase.type));
      expect(response.body.outcome).toBe("processed");
      expect(await entitlementOf(organizationId)).toMatchObject(testCase.entitlement);
      const check = await app.request(
        "GET",
        `/v1/organizations/${organizationId}/entitlements/encounters`,
      );
      expect(check.body).toMatchObject({ allowed: true, limit: testCase.limit });
      const { rows } = await app.database.pool.query(
        `select status, auto_renew from store_subscriptions where store_subscription_id = $1`,
        [purchaseToken],
      );
      expect(rows[0].status).toBe(testCase.storeStatus);
      if (testCase.state === "SUBSCRIPTION_STATE_CANCELED") expect(rows[0].auto_renew).toBe(false);
    });
  }

  it("a free trial is trialing until the line item's expiry", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken } = putPurchase({
      accountToken: token,
      freeTrial: true,
      expiresIn: 7 * day,
    });
    expect((await push(subscriptionNotice(purchaseToken, 4))).body.outcome).toBe("processed");
    const entitlement = await entitlementOf(organizationId);
    expect(entitlement).toMatchObject({ planId: "premium", status: "trialing" });
    expect(entitlement.trialEndsAt).not.toBeNull();
    expect(await storePayments(organizationId)).toEqual([]);
  });

  it("out of order: a SUBSCRIPTION_PURCHASED delivered after the expiry applies Google's current state (expired)", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: token });
    const late = String(Math.floor(Math.random() * 1e12));
    // The purchase's message is delayed; the expiry's arrives first.
    putPurchase({
      purchaseToken,
      accountToken: token,
      orderId,
      state: "SUBSCRIPTION_STATE_EXPIRED",
      expiresIn: -day,
    });
    expect((await push(subscriptionNotice(purchaseToken, 13))).body.outcome).toBe("processed");
    expect((await push(subscriptionNotice(purchaseToken, 4), { messageId: late })).status).toBe(
      200,
    );
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    const rows = await app.request(
      "GET",
      `/v1/root/store-subscriptions?organizationId=${organizationId}`,
    );
    expect(rows.body.data).toMatchObject([{ status: "expired" }]);
  });

  it("a voided purchase revokes and marks its payment refunded", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: token });
    await push(subscriptionNotice(purchaseToken, 4));
    const response = await push({
      voidedPurchaseNotification: { purchaseToken, orderId, productType: 1, refundType: 1 },
    });
    expect(response.body.outcome).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
    expect(await storePayments(organizationId)).toMatchObject([{ status: "refunded" }]);
    // The same void again (another message, as reconciliation would find it): nothing twice.
    const again = await push({
      voidedPurchaseNotification: { purchaseToken, orderId, productType: 1, refundType: 1 },
    });
    expect(again.body.outcome).toBe("duplicate");
    const parallel = await Promise.all(
      Array.from({ length: 4 }, () =>
        push({
          voidedPurchaseNotification: { purchaseToken, orderId, productType: 1, refundType: 1 },
        }),
      ),
    );
    expect(parallel.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(await eventsOf(organizationId, "payment.refunded")).toHaveLength(1);
    expect(await auditCount(organizationId, "payment.refunded")).toBe(1);
    const refunded = await mailbox(organizationId, "store_subscription", 2);
    expect(refunded.map((email) => email.subject)).toEqual([
      "Your Premium subscription through Google Play is active",
      "Google Play refunded your Premium subscription",
    ]);
  });

  it("emails: a recovery from account hold or a pause is not a new subscription; a new purchase after expiry is", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: token });
    const at = (state: string, expiresIn = 30 * day) =>
      putPurchase({
        purchaseToken,
        accountToken: token,
        orderId,
        state,
        expiresIn,
        acknowledgementState: "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED",
      });
    expect((await push(subscriptionNotice(purchaseToken, 4))).body.outcome).toBe("processed");
    at("SUBSCRIPTION_STATE_ON_HOLD", -day);
    expect((await push(subscriptionNotice(purchaseToken, 5))).body.outcome).toBe("processed");
    at("SUBSCRIPTION_STATE_ACTIVE");
    // Recovered: told once, whether Google's message is repeated or a second one says the same.
    const recovered = String(Math.floor(Math.random() * 1e12));
    for (const messageId of [recovered, recovered, undefined]) {
      const response = await push(subscriptionNotice(purchaseToken, 1), { messageId });
      expect(response.status).toBe(200);
    }
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    at("SUBSCRIPTION_STATE_PAUSED");
    await push(subscriptionNotice(purchaseToken, 10));
    at("SUBSCRIPTION_STATE_ACTIVE");
    await push(subscriptionNotice(purchaseToken, 1));
    at("SUBSCRIPTION_STATE_EXPIRED", -day);
    await push(subscriptionNotice(purchaseToken, 13));
    // Back after it ended: a new purchase (a new token) is a subscription again.
    const renewed = putPurchase({ accountToken: token });
    await push(subscriptionNotice(renewed.purchaseToken, 4));
    const emails = await mailbox(organizationId, "store_subscription", 6);
    expect(emails.map((email) => email.subject)).toEqual([
      "Your Premium subscription through Google Play is active",
      "Google Play could not renew your Premium subscription",
      "Your Premium subscription through Google Play is active again",
      "Your Premium subscription through Google Play is active again",
      "Your Premium subscription through Google Play has ended",
      "Your Premium subscription through Google Play is active",
    ]);
    expect(emails[2]?.text).toContain("access is restored");
  });

  it("bad tokens → 400 and nothing fetched or changed; the same message twice is applied once", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken } = putPurchase({ accountToken: token });
    const before = google.requests.length;
    const badTokens = [
      "not-a-jwt",
      await jwks.sign({ email: pushAccount, email_verified: true }, { audience: "someone-else" }),
      await jwks.sign({ email: "intruder@example.com", email_verified: true }, { audience }),
      await jwks.sign(
        { email: pushAccount, email_verified: true },
        { audience, issuer: "https://evil.example" },
      ),
      await jwks.sign(
        { email: pushAccount, email_verified: true },
        { audience, expiresIn: Math.floor(Date.now() / 1000) - 3600 },
      ),
    ];
    for (const bad of badTokens) {
      const response = await push(subscriptionNotice(purchaseToken, 4), { token: bad });
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.error.code).toBe("webhook_signature_invalid");
    }
    const noAuth = await app.request("POST", "/v1/webhooks/google", {
      auth: null,
      rawBody: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(noAuth.status).toBe(400);
    expect(google.requests.length).toBe(before);
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });

    const messageId = "message-twice";
    const first = await Promise.all([
      push(subscriptionNotice(purchaseToken, 4), { messageId }),
      push(subscriptionNotice(purchaseToken, 4), { messageId }),
    ]);
    expect(first.map((response) => response.body.outcome).sort()).toEqual([
      "duplicate",
      "processed",
    ]);
    expect(await storePayments(organizationId)).toHaveLength(1);
  });

  it("the app registers a purchase: idempotent by token, refused for another organization's", async () => {
    const { organizationId, token, path } = await customerWithToken();
    const { purchaseToken } = putPurchase({ accountToken: token });
    const body = { store: "google_play", purchaseToken, productId: "premium" };
    const first = await app.request("POST", path("/store-purchases"), { body });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.storeSubscription).toMatchObject({
      organizationId,
      planId: "premium",
      status: "active",
    });
    const again = await app.request("POST", path("/store-purchases"), { body });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("duplicate");
    expect(again.body.storeSubscription.id).toBe(first.body.storeSubscription.id);
    expect(await storePayments(organizationId)).toHaveLength(1);
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });

    const other = await customerWithToken();
    const stolen = await app.request("POST", other.path("/store-purchases"), { body });
    expect(stolen.status).toBe(409);
    const wrongProduct = await app.request("POST", other.path("/store-purchases"), {
      body: { ...body, productId: "plus" },
    });
    expect(wrongProduct.status).toBe(400);
    const unknown = await app.request("POST", other.path("/store-purchases"), {
      body: { ...body, purchaseToken: "never-issued" },
    });
    expect(unknown.status).toBe(400);
    const apple = await app.request("POST", other.path("/store-purchases"), {
      body: { ...body, store: "app_store" },
    });
    expect(apple.status).toBe(400);
    expect(await entitlementOf(other.organizationId)).toMatchObject({ planId: "free" });
  });

  it("a purchase without an account id registered by the app is tied to that organization", async () => {
    const { organizationId, path } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: undefined });
    // Google's notification arrives first: no organization yet, the order is kept.
    expect((await push(subscriptionNotice(purchaseToken, 4))).body.outcome).toBe("unlinked");
    // …and it renews before the app registers it: a second order, kept as well.
    const renewed = putPurchase({ purchaseToken, accountToken: undefined });
    expect((await push(subscriptionNotice(purchaseToken, 2))).body.outcome).toBe("unlinked");
    const response = await app.request("POST", path("/store-purchases"), {
      body: { store: "google_play", purchaseToken, productId: "premium" },
    });
    expect(response.status).toBe(200);
    expect(await entitlementOf(organizationId)).toMatchObject({
      planId: "premium",
      status: "active",
    });
    // Both orders charged before the registration are this organization's payments, each once.
    const { rows } = await app.database.pool.query(
      "select provider_payment_id, amount::text from payments where organization_id = $1 order by created_at, id",
      [organizationId],
    );
    expect(rows).toEqual([
      { provider_payment_id: orderId, amount: "499" },
      { provider_payment_id: renewed.orderId, amount: "499" },
    ]);
  });

  it("reconciliation: a state Google never notified is fetched by store-sync", async () => {
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken, orderId } = putPurchase({ accountToken: token });
    await push(subscriptionNotice(purchaseToken, 4));
    putPurchase({
      purchaseToken,
      accountToken: token,
      orderId,
      state: "SUBSCRIPTION_STATE_EXPIRED",
      expiresIn: -day,
      acknowledgementState: "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED",
    });
    const synced = await app.request(
      "POST",
      `/v1/root/organizations/${organizationId}/store-sync`,
      {
        body: {},
      },
    );
    expect(synced.status).toBe(200);
    expect(synced.body.results).toEqual([
      expect.objectContaining({ store: "google_play", outcome: "processed" }),
    ]);
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
  });

  it("the daily reconciliation is scheduled for the next 00:00 UTC, once", async () => {
    const now = new Date();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    const key = `stores.reconcile:${next.toISOString().slice(0, 10)}`;
    // What the scheduler's tick (each minute) runs; a second run in the same day adds nothing.
    const run = () =>
      storeReconciliationTask.run({
        db: app.database.db,
        now,
        scope: { testClockId: null },
        logger: createLogger({ level: "silent" }),
      });
    await run();
    expect(await run()).toBe(0);
    const { rows } = await app.database.pool.query(
      `select job.run_at from graphile_worker._private_jobs job
         join graphile_worker._private_tasks task on task.id = job.task_id
        where job.key = $1 and task.identifier = 'stores.reconcile'`,
      [key],
    );
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0]?.run_at ?? 0).toISOString()).toBe(next.toISOString());
  });

  it("a deferred line-item replacement waits for the renewal on the new product", async () => {
    const plus = await app.request("PUT", "/v1/plans/plus/store-products", {
      body: { storeProducts: [{ store: "google_play", productId: "plus" }] },
    });
    expect(plus.status).toBe(200);
    const { organizationId, token } = await customerWithToken();
    const { purchaseToken } = putPurchase({ accountToken: token });
    const purchase = google.purchases.get(purchaseToken) as {
      lineItems: Record<string, unknown>[];
    };
    const [item] = purchase.lineItems;
    if (!item) throw new Error("no line item");
    item.deferredItemReplacement = { productId: "plus" };
    expect((await push(subscriptionNotice(purchaseToken, 4))).body.outcome).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "premium" });
    const listed = async () =>
      (await app.request("GET", `/v1/root/store-subscriptions?organizationId=${organizationId}`))
        .body.data[0];
    expect(await listed()).toMatchObject({ planId: "premium", pendingPlanId: "plus" });
    // The renewal: Google replaced the line item.
    item.productId = "plus";
    delete item.deferredItemReplacement;
    item.latestSuccessfulOrderId = `GPA.${Math.floor(Math.random() * 1e9)}`;
    expect((await push(subscriptionNotice(purchaseToken, 2))).body.outcome).toBe("processed");
    expect(await entitlementOf(organizationId)).toMatchObject({ planId: "plus", status: "active" });
    expect(await listed()).toMatchObject({ planId: "plus", pendingPlanId: null });
  });

  describe("one-time products (consumables mapped to packs)", () => {
    const putProduct = ({
      accountToken,
      purchaseState = 0,
    }: {
      accountToken?: string;
      purchaseState?: number;
    }) => {
      const purchaseToken = `gpc-${randomUUID()}`;
      const orderId = `GPA.${Math.floor(Math.random() * 1e9)}`;
      google.products.set(`encounters_100/${purchaseToken}`, {
        purchaseTimeMillis: String(Date.now()),
        purchaseState,
        consumptionState: 0,
        acknowledgementState: 0,
        orderId,
        regionCode: "AR",
        ...(accountToken ? { obfuscatedExternalAccountId: accountToken } : {}),
      });
      return { purchaseToken, orderId };
    };
    const oneTimeNotice = (purchaseToken: string, notificationType = 1) => ({
      oneTimeProductNotification: {
        version: "1.0",
        notificationType,
        purchaseToken,
        sku: "encounters_100",
      },
    });
    const paymentsOf = async (organizationId: string) =>
      (
        await app.database.pool.query(
          `select provider, provider_payment_id, amount::text, currency, status, invoice_id
             from payments where organization_id = $1 order by created_at, id`,
          [organizationId],
        )
      ).rows;
    const grantsOf = async (organizationId: string) =>
      (
        await app.database.pool.query(
          "select source, quantity::text from entitlement_grants where organization_id = $1",
          [organizationId],
        )
      ).rows;
    const remainingOf = async (organizationId: string) =>
      (
        await app.database.pool.query(
          "select source, remaining::text from entitlement_grants where organization_id = $1 order by source",
          [organizationId],
        )
      ).rows;
    const voidedNotice = (purchaseToken: string, orderId: string) => ({
      voidedPurchaseNotification: { purchaseToken, orderId, productType: 2, refundType: 1 },
    });
    const buy = async (token: string) => {
      const bought = putProduct({ accountToken: token });
      expect((await push(oneTimeNotice(bought.purchaseToken))).body.outcome).toBe("processed");
      return bought;
    };

    it("a voided one-time purchase takes its pack back once, even under parallel duplicates", async () => {
      const { organizationId, token } = await customerWithToken();
      const kept = await buy(token);
      const voided = await buy(token);
      expect((await entitlementOf(organizationId)).balances.encounters.purchased).toBe(200);
      const messageId = String(Math.floor(Math.random() * 1e12));
      const responses = await Promise.all([
        ...Array.from({ length: 3 }, () =>
          push(voidedNotice(voided.purchaseToken, voided.orderId), { messageId }),
        ),
        ...Array.from({ length: 3 }, () =>
          push(voidedNotice(voided.purchaseToken, voided.orderId)),
        ),
      ]);
      for (const response of responses)
        expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(
        responses.map((response) => response.body.outcome).filter((o) => o === "processed"),
      ).toHaveLength(1);
      expect(await remainingOf(organizationId)).toEqual(
        [
          { source: `google_play:${kept.orderId}`, remaining: "100" },
          { source: `google_play:${voided.orderId}`, remaining: "0" },
        ].sort((a, b) => a.source.localeCompare(b.source)),
      );
      expect((await entitlementOf(organizationId)).balances.encounters.purchased).toBe(100);
      expect(await paymentsOf(organizationId)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ provider_payment_id: kept.orderId, status: "succeeded" }),
          expect.objectContaining({ provider_payment_id: voided.orderId, status: "refunded" }),
        ]),
      );
      const refundedEvents = await eventsOf(organizationId, "payment.refunded");
      expect(refundedEvents).toHaveLength(1);
      expect(refundedEvents[0]?.data).toMatchObject({ amountRefunded: 1500, currency: "USD" });
      const revoked = await eventsOf(organizationId, "pack.revoked");
      expect(revoked).toHaveLength(1);
      expect(revoked[0]?.data).toMatchObject({
        feature: "encounters",
        quantity: 100,
        removed: 100,
        provider: "google_play",
        reason: "voided",
      });
      expect(await auditCount(organizationId, "pack.revoked")).toBe(1);
      expect(await auditCount(organizationId, "payment.refunded")).toBe(1);
      const emails = await mailbox(organizationId, "pack_revoked", 1);
      expect(emails.map((email) => email.subject)).toEqual([
        "Google Play refunded a pack of 100 Encounters",
      ]);
      expect(emails[0]?.text).toContain("removed from your balance");
      // A void Abono cannot tie to a purchase changes nothing.
      expect((await push(voidedNotice("gpc-unknown", "GPA.unknown"))).body.outcome).toBe(
        "unlinked",
      );
    });

    it("daily reconciliation applies voided purchases Google lists (every page), packs and subscriptions, once", async () => {
      const { organizationId, token } = await customerWithToken();
      const first = await buy(token);
      const second = await buy(token);
      const notified = await buy(token);
      const subscription = putPurchase({ accountToken: token });
      await push(subscriptionNotice(subscription.purchaseToken, 4));
      expect(await entitlementOf(organizationId)).toMatchObject({ planId: "premium" });
      // This one's notification arrived: the listing finds it applied.
      await push(voidedNotice(notified.purchaseToken, notified.orderId));
      const voidedAt = String(Date.now());
      google.voided.push(
        { purchaseToken: first.purchaseToken, orderId: first.orderId, voidedTimeMillis: voidedAt },
        {
          purchaseToken: second.purchaseToken,
          orderId: second.orderId,
          voidedTimeMillis: voidedAt,
        },
        {
          purchaseToken: notified.purchaseToken,
          orderId: notified.orderId,
          voidedTimeMillis: voidedAt,
        },
        {
          purchaseToken: subscription.purchaseToken,
          orderId: subscription.orderId,
          voidedTimeMillis: voidedAt,
          subscription: true,
        },
        // Older than Google's 30 days: not asked for.
        {
          purchaseToken: "gpc-old",
          orderId: "GPA.old",
          voidedTimeMillis: String(Date.now() - 40 * day),
        },
      );
      const reconcile = async () => {
        await enqueueJob(app.database.db, storeReconciliationJob, {});
        await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 60_000 });
      };
      await reconcile();
      expect(
        google.requests.filter((request) => request.endsWith("/purchases/voidedpurchases")).length,
      ).toBeGreaterThanOrEqual(2);
      expect((await remainingOf(organizationId)).map((grant) => grant.remaining)).toEqual([
        "0",
        "0",
        "0",
      ]);
      expect(await entitlementOf(organizationId)).toMatchObject({ planId: "free" });
      expect((await paymentsOf(organizationId)).map((payment) => payment.status).sort()).toEqual([
        "refunded",
        "refunded",
        "refunded",
        "refunded",
      ]);
      // Again the next day: nothing is applied twice.
      await reconcile();
      expect(await eventsOf(organizationId, "pack.revoked")).toHaveLength(3);
      expect(await eventsOf(organizationId, "payment.refunded")).toHaveLength(4);
      expect(await mailbox(organizationId, "pack_revoked", 3)).toHaveLength(3);
    });

    it("parallel duplicate notifications and the app's registration grant the pack exactly once", async () => {
      const { organizationId, token, path } = await customerWithToken();
      const { purchaseToken, orderId } = putProduct({ accountToken: token });
      const responses = await Promise.all([
        ...Array.from({ length: 6 }, () => push(oneTimeNotice(purchaseToken))),
        app.request("POST", path("/store-purchases"), {
          body: { store: "google_play", purchaseToken, productId: "encounters_100" },
        }),
      ]);
      for (const response of responses)
        expect(response.status, JSON.stringify(response.body)).toBe(200);
      const outcomes = responses.map((response) => response.body.outcome as string);
      expect(outcomes.every((outcome) => outcome === "processed")).toBe(true);
      await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
      expect(await grantsOf(organizationId)).toEqual([
        { source: `google_play:${orderId}`, quantity: "100" },
      ]);
      expect((await entitlementOf(organizationId)).balances.encounters.purchased).toBe(100);
      // Google's purchase record has no price: the pack's catalog price is recorded, with no invoice.
      expect(await paymentsOf(organizationId)).toEqual([
        {
          provider: "google_play",
          provider_payment_id: orderId,
          amount: "1500",
          currency: "USD",
          status: "succeeded",
          invoice_id: null,
        },
      ]);
      // Consumed once (Google refuses a second consume), so the user can buy the pack again.
      expect(google.consumed.filter((consumed) => consumed === purchaseToken)).toHaveLength(1);
      expect(google.products.get(`encounters_100/${purchaseToken}`)).toMatchObject({
        consumptionState: 1,
        acknowledgementState: 1,
      });
      const events = await app.request(
        "GET",
        `/v1/events?organizationId=${organizationId}&limit=100`,
      );
      const succeeded = events.body.data.filter(
        (event: { type: string }) => event.type === "payment.succeeded",
      );
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0].data).toMatchObject({
        invoiceId: null,
        amount: 1500,
        currency: "USD",
        provider: "google_play",
      });
      const audits = await app.database.pool.query(
        "select count(*)::int as n from audit_logs where organization_id = $1 and action = 'pack.purchased'",
        [organizationId],
      );
      expect(audits.rows[0].n).toBe(1);
      // A later notification for the consumed purchase grants nothing more.
      expect((await push(oneTimeNotice(purchaseToken))).body.outcome).toBe("processed");
      await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
      expect(await grantsOf(organizationId)).toHaveLength(1);
    });

    it("pending, foreign and unlinked one-time purchases grant nothing", async () => {
      const { organizationId, token, path } = await customerWithToken();
      const pending = putProduct({ accountToken: token, purchaseState: 2 });
      expect((await push(oneTimeNotice(pending.purchaseToken))).body.outcome).toBe(
        "ignored: a pending one-time purchase",
      );
      const other = await customerWithToken();
      const foreign = putProduct({ accountToken: other.token });
      const refused = await app.request("POST", path("/store-purchases"), {
        body: {
          store: "google_play",
          purchaseToken: foreign.purchaseToken,
          productId: "encounters_100",
        },
      });
      expect(refused.status).toBe(409);
      const unlinked = putProduct({});
      expect((await push(oneTimeNotice(unlinked.purchaseToken))).body.outcome).toBe("unlinked");
      expect(google.consumed).not.toContain(unlinked.purchaseToken);
      expect(google.consumed).not.toContain(foreign.purchaseToken);
      const unknown = await app.request("POST", path("/store-purchases"), {
        body: { store: "google_play", purchaseToken: "gpc-nope", productId: "encounters_100" },
      });
      expect(unknown.status).toBe(400);
      expect(await paymentsOf(organizationId)).toEqual([]);
      // Registered by the app without an account id: tied to the registering organization.
      const anonymous = putProduct({});
      const registered = await app.request("POST", path("/store-purchases"), {
        body: {
          store: "google_play",
          purchaseToken: anonymous.purchaseToken,
          productId: "encounters_100",
        },
      });
      expect(registered.body).toEqual({ outcome: "processed", storeSubscription: null });
      await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });
      expect(await grantsOf(organizationId)).toEqual([
        { source: `google_play:${anonymous.orderId}`, quantity: "100" },
      ]);
    });
  });
});
