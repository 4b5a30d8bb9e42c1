import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import { startTestApp, type TestApp, type TestResponse } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import {
  createCheckoutCustomer,
  paymentCounts,
  startCheckoutTestApp,
} from "../helpers/payment-scenario.ts";

let app: TestApp;
const createCustomer = (locale: "en" | "es" = "es") =>
  createCheckoutCustomer(app, {
    idPrefix: "checkout",
    name: "Constructora",
    owner: "carlos",
    emailDomain: "example.com",
    locale,
  });

const settle = () =>
  waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });

beforeAll(async () => {
  app = await startCheckoutTestApp();
  await app.request("POST", "/v1/coupons", {
    body: { code: "GRATIS", percentOff: 100, duration: "once" },
  });
});

afterAll(async () => {
  await app?.close();
});

describe("checkout in test mode", () => {
  it("sandbox: pays at once through the pipeline, activates the plan and sends the purchase email in the organization's language", async () => {
    const customer = await createCustomer("es");
    const started = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "premium", interval: "year", provider: "sandbox" },
    });
    expect(started.status).toBe(201);
    expect(started.body.checkout).toMatchObject({
      provider: "sandbox",
      status: "completed",
      amount: 100000,
      currency: "USD",
      isUpgrade: false,
    });
    expect(started.body.subscription).toMatchObject({ planId: "premium", status: "active" });
    expect(started.body.invoices[0]).toMatchObject({ status: "paid", amountPaid: 100000 });

    const entitlement = await app.request("GET", customer.path("/entitlement"));
    expect(entitlement.body).toMatchObject({ planId: "premium", status: "active" });

    await settle();
    const mailbox = await app.request("GET", `/v1/mailbox?to=${customer.email}`);
    expect(mailbox.body.data).toHaveLength(1);
    expect(mailbox.body.data[0]).toMatchObject({
      status: "sent",
      locale: "es",
      template: "purchase",
    });
    expect(mailbox.body.data[0].subject).toBe("Tu suscripción a Premium está activa");
    expect(mailbox.body.data[0].text).toContain("anual");
    // The purchase email is the checkout's receipt: the paid invoice's PDF goes with it.
    expect(mailbox.body.data[0].attachments).toEqual([
      { kind: "invoice_pdf", invoiceId: started.body.invoices[0].id },
    ]);

    const userNotifications = await app.request("GET", customer.path("/notifications"));
    expect(userNotifications.body.data).toHaveLength(1);
    expect(userNotifications.body.data[0].title).toBe("Premium está activo");
    const adminNotifications = await app.request("GET", "/v1/notifications");
    expect(
      adminNotifications.body.data.filter(
        (notification: { organizationId: string }) =>
          notification.organizationId === customer.organizationId,
      ),
    ).toHaveLength(1);

    const audit = await app.database.pool.query(
      "select action from audit_logs where organization_id = $1 and action = 'payment.succeeded'",
      [customer.organizationId],
    );
    expect(audit.rowCount).toBe(1);
  });

  it("a 100% coupon activates directly: no provider, no payment method", async () => {
    const customer = await createCustomer("en");
    const started = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "plus", interval: "month", provider: "stripe", couponCode: "GRATIS" },
    });
    expect(started.status).toBe(201);
    expect(started.body.checkout).toMatchObject({
      provider: "direct",
      status: "completed",
      amount: 0,
    });
    expect(started.body.subscription).toMatchObject({ planId: "plus", status: "active" });
    expect(started.body.invoices[0]).toMatchObject({ total: 0, amountDue: 0, status: "paid" });
    await settle();
    const mailbox = await app.request("GET", `/v1/mailbox?to=${customer.email}`);
    expect(mailbox.body.data[0].subject).toBe("Your Plus subscription is active");
    expect(mailbox.body.data[0].text).toContain("Nothing was due today.");
  });

  it("a checkout for an organization with a live subscription is an upgrade, prorated, through the same pipeline", async () => {
    const customer = await createCustomer();
    await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "plus", interval: "month", provider: "sandbox" },
    });
    const first = await app.request("GET", customer.path("/subscription"));
    const upgrade = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "premium", interval: "month", provider: "sandbox" },
    });
    expect(upgrade.status).toBe(201);
    // A live subscription: an upgrade, prorated, through the same pipeline.
    expect(upgrade.body.checkout.isUpgrade).toBe(true);
    expect(upgrade.body.checkout.amount).toBe(10000 - 4000);
    expect(upgrade.body.subscription).toMatchObject({ id: first.body.id, planId: "premium" });
  });

  it("three checkouts quoted at once for an organization without a plan → one subscription; the others are stale", async () => {
    const customer = await createCustomer();
    // Hold back the checkouts' inserts until all three are quoted (against no subscription), so the
    // race is the same every run: whichever pays first applies, the other two find its subscription.
    const barrier = await app.database.pool.connect();
    let results: TestResponse[];
    try {
      await barrier.query("begin");
      await barrier.query("lock table checkouts in share mode");
      const requests = Promise.all(
        ["plus", "premium", "plus"].map((planId) =>
          app.request("POST", customer.path("/checkouts"), {
            body: { planId, interval: "month", provider: "sandbox" },
          }),
        ),
      );
      await vi.waitFor(
        async () => {
          const { rows } = await app.database.pool.query(
            "select count(*)::int as waiting from pg_locks where relation = 'checkouts'::regclass and not granted",
          );
          expect(rows[0].waiting).toBe(3);
        },
        { timeout: 20_000, interval: 20 },
      );
      await barrier.query("commit");
      results = await requests;
    } finally {
      barrier.release();
    }
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    const { rows } = await app.database.pool.query(
      "select count(*)::int as live from subscriptions where organization_id = $1 and status = 'active'",
      [customer.organizationId],
    );
    expect(rows[0].live).toBe(1);
    const applied = results.find((result) => result.status === 201);
    const subscription = await app.request("GET", customer.path("/subscription"));
    expect(subscription.body).toMatchObject({
      id: applied?.body.subscription.id,
      planId: applied?.body.checkout.planId,
      status: "active",
    });
    // Every checkout that did not apply was refused as stale, and none of them charged anything.
    const refused = results.filter((result) => result.status !== 201);
    expect(refused).toHaveLength(2);
    for (const result of refused) {
      expect(result.status).toBe(409);
      expect(result.body.error.message).toContain("changed after the checkout was quoted");
    }
    expect((await paymentCounts(app, customer.organizationId)).payments).toBe(3 - refused.length);
    const checkouts = await app.database.pool.query(
      "select status, failure_code from checkouts where organization_id = $1 order by status",
      [customer.organizationId],
    );
    expect(checkouts.rows).toEqual([
      { status: "completed", failure_code: null },
      { status: "failed", failure_code: "invalid_state" },
      { status: "failed", failure_code: "invalid_state" },
    ]);
  });

  it("a new plan bought while past due expires the previous subscription and creates the active one", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    await org.setDefaultCard("pm_sandbox_declined");
    await org.advance("2026-02-01T00:00:00Z");
    const pastDue = await app.request("GET", org.path("/subscription"));
    expect(pastDue.body.status).toBe("past_due");

    const bought = await app.request("POST", org.path("/checkouts"), {
      body: { planId: "premium", interval: "year", provider: "sandbox" },
    });
    expect(bought.status).toBe(201);
    expect(bought.body.checkout).toMatchObject({ isUpgrade: false, amount: 100000 });
    expect(bought.body.subscription).toMatchObject({ planId: "premium", status: "active" });
    expect(bought.body.subscription.id).not.toBe(pastDue.body.id);
    const { rows } = await app.database.pool.query(
      "select id, status from subscriptions where organization_id = $1 order by created_at",
      [org.organizationId],
    );
    expect(rows).toEqual([
      { id: pastDue.body.id, status: "expired" },
      { id: bought.body.subscription.id, status: "active" },
    ]);
  });

  it("an unknown provider, an unconfigured one, and the sandbox outside test mode are clear 400s", async () => {
    const customer = await createCustomer();
    const unknown = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "plus", interval: "month", provider: "bitcoin" },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain(
      "provider must be one of stripe, mercadopago, paypal, sandbox",
    );
    const unconfigured = await app.request("POST", customer.path("/checkouts"), {
      body: { planId: "plus", interval: "month", provider: "paypal" },
    });
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body.error.message).toContain("paypal is not configured");
    const checkouts = await app.request("GET", customer.path("/checkouts"));
    expect(checkouts.body.data).toHaveLength(0);

    const live = await startTestApp({ worker: false, environment: { ABONO_TEST_MODE: "false" } });
    try {
      await createBillingCatalog(live);
      const organization = await live.request("POST", "/v1/organizations", {
        body: { id: "live-mode", name: "Live mode", currency: "USD" },
      });
      expect(organization.status).toBe(201);
      const sandbox = await live.request("POST", "/v1/organizations/live-mode/checkouts", {
        body: { planId: "plus", interval: "month", provider: "sandbox" },
      });
      expect(sandbox.status).toBe(400);
      expect(sandbox.body.error.message).toContain("the sandbox is only available in test mode");
      expect(
        (await live.request("GET", "/v1/organizations/live-mode/checkouts")).body.data,
      ).toEqual([]);
    } finally {
      await live.close();
    }
  });
});

describe("purchase email over SMTP", () => {
  let smtp: SMTPServer;
  let smtpApp: TestApp;
  const received: { to: string[]; data: string }[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, callback) {
        let data = "";
        stream.on("data", (chunk) => {
          data += chunk.toString();
        });
        stream.on("end", () => {
          received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const address = smtp.server.address();
    if (!address || typeof address === "string") throw new Error("no SMTP address");
    smtpApp = await startCheckoutTestApp({
      ABONO_SMTP_URL: `smtp://127.0.0.1:${address.port}`,
      ABONO_EMAIL_FROM: "Facturación <facturas@example.com>",
    });
  });

  afterAll(async () => {
    await smtpApp?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it("delivers the purchase confirmation to the owner over SMTP", async () => {
    const organization = await smtpApp.request("POST", "/v1/organizations", {
      body: {
        name: "Obras SA",
        currency: "USD",
        locale: "es",
        owner: { userId: "ana", email: "ana@obras.example" },
      },
    });
    const started = await smtpApp.request(
      "POST",
      `/v1/organizations/${organization.body.id}/checkouts`,
      { body: { planId: "plus", interval: "month", provider: "sandbox" } },
    );
    expect(started.status).toBe(201);
    await waitForJobs({ db: smtpApp.database.db, queueName: null, deadline: Date.now() + 30_000 });
    expect(received).toHaveLength(1);
    expect(received[0]?.to).toEqual(["ana@obras.example"]);
    expect(received[0]?.data).toContain("Subject: =?UTF-8?Q?Tu_suscripci=C3=B3n_a_Plus");
    expect(received[0]?.data).toContain(
      "From: =?UTF-8?Q?Facturaci=C3=B3n?= <facturas@example.com>",
    );
    expect(received[0]?.data).toContain("Obras SA ya tiene el plan Plus (mensual).");
    const mailbox = await smtpApp.request("GET", "/v1/mailbox?to=ana@obras.example");
    expect(mailbox.body.data[0]).toMatchObject({ status: "sent" });
  });
});
