import { afterAll, beforeAll, expect, it } from "vitest";
import { waitForJobs } from "../../src/jobs/wait-for-jobs.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";

/** `ABONO_ADMIN_EMAIL`: the operators' notifications of a payment also arrive by email, once. */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ environment: { ABONO_ADMIN_EMAIL: "ops@billing.example" } });
  await createBillingCatalog(app);
});

afterAll(async () => {
  await app?.close();
});

it("emails the operators about a payment received, besides the in-app notification", async () => {
  await app.request("POST", "/v1/organizations", {
    body: { id: "ops-mail", name: "Obras Norte", currency: "USD", locale: "es" },
  });
  const started = await app.request("POST", "/v1/organizations/ops-mail/checkouts", {
    body: { planId: "plus", interval: "month", provider: "sandbox" },
  });
  expect(started.status).toBe(201);
  await waitForJobs({ db: app.database.db, queueName: null, deadline: Date.now() + 30_000 });

  const mailbox = await app.request("GET", "/v1/mailbox?to=ops@billing.example");
  expect(mailbox.body.data).toHaveLength(1);
  expect(mailbox.body.data[0]).toMatchObject({
    template: "admin_notification",
    status: "sent",
    locale: "en",
    subject: "Payment received: Obras Norte",
    organizationId: "ops-mail",
  });
  expect(mailbox.body.data[0].text).toContain("$40.00 through Sandbox for Plus");
  const notifications = await app.request("GET", "/v1/notifications");
  expect(notifications.body.data.map((item: { title: string }) => item.title)).toContain(
    "Payment received: Obras Norte",
  );
});
