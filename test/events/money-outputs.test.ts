import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createEncounterPack } from "../helpers/billing-scenario.ts";
import { startFakeSqs } from "../helpers/fake-sqs.ts";
import { createMessageCustomer } from "../helpers/message-customer.ts";
import { until } from "../helpers/until.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * The four money paths a product most relies on (a renewal, an upgrade, a pack purchase, a failed
 * payment), each checked for all five of its outputs: the events in the log, the signed webhooks, the SQS
 * messages, the emails (the test mailbox) and the in-app notifications of the users and the operators.
 */
const credentials = { accessKeyId: "AKIAABONOTEST0000002", secretAccessKey: "fake/secret+key2" };
const operatorsEmail = "operators@example.com";
const portalUrl = "https://billing.example.com/portal";
let app: TestApp;
let sqs: Awaited<ReturnType<typeof startFakeSqs>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  sqs = await startFakeSqs({ credentials });
  receiver = await startWebhookReceiver();
  app = await startTestApp({
    environment: {
      ABONO_SQS_ACCESS_KEY_ID: credentials.accessKeyId,
      ABONO_SQS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ABONO_ADMIN_EMAIL: operatorsEmail,
      ABONO_PORTAL_URL: portalUrl,
      ABONO_WEBHOOK_RETRY_SCHEDULE: "100ms,200ms,300ms",
    },
  });
  await createBillingCatalog(app);
  await createEncounterPack(app);
  const webhook = await app.request("POST", "/v1/webhook-endpoints", {
    body: { url: receiver.url, events: ["*"], description: "the product" },
  });
  expect(webhook.status).toBe(201);
  receiver.setSecrets([webhook.body.secret]);
  const queue = await app.request("POST", "/v1/webhook-endpoints", {
    body: {
      kind: "sqs",
      queueUrl: sqs.queueUrl("subscription.fifo"),
      region: "us-east-1",
      events: ["*"],
    },
  });
  expect(queue.status).toBe(201);
});
afterAll(async () => {
  await app.close();
  await sqs.close();
  await receiver.close();
});

interface LoggedEvent {
  id: string;
  type: string;
  sequence: number;
  data: Record<string, unknown>;
}

/** The organization's events after `afterSequence`, once their types are exactly `types`. */
async function eventsAfter({
  organizationId,
  afterSequence,
  types,
}: {
  organizationId: string;
  afterSequence: number;
  types: string[];
}): Promise<LoggedEvent[]> {
  let seen: string[] = [];
  try {
    return await until({
      what: types.join(", "),
      read: async () => {
        const page = await app.request(
          "GET",
          `/v1/events?organizationId=${organizationId}&order=asc&cursor=${afterSequence}&limit=100`,
        );
        const found = page.body.data as LoggedEvent[];
        seen = found.map((event) => event.type);
        return found.length >= types.length ? found : undefined;
      },
    });
  } finally {
    expect(seen).toEqual(types);
  }
}

async function lastSequence(organizationId: string): Promise<number> {
  const page = await app.request(
    "GET",
    `/v1/events?organizationId=${organizationId}&order=desc&limit=1`,
  );
  return (page.body.data[0]?.sequence as number | undefined) ?? 0;
}

/** Each event went out once to the webhook receiver's logic and once to the SQS queue, in order, signed. */
async function expectDelivered({
  organizationId,
  events,
}: {
  organizationId: string;
  events: LoggedEvent[];
}) {
  const ids = events.map((event) => event.id);
  const webhooks = await until({
    what: "the webhooks",
    read: () => {
      const got = receiver.processed.filter((entry) => ids.includes(entry.id));
      return got.length === ids.length ? got : undefined;
    },
  });
  expect(webhooks.map((entry) => entry.id)).toEqual(ids);
  for (const entry of webhooks) expect(entry.event.organizationId).toBe(organizationId);
  const requests = receiver.received.filter((entry) =>
    ids.includes(entry.headers["webhook-id"] ?? ""),
  );
  expect(requests.every((entry) => entry.verified)).toBe(true);

  const messages = await until({
    what: "the SQS messages",
    read: () => {
      const got = sqs.messages.filter((message) => ids.includes(JSON.parse(message.body).id));
      return got.length >= ids.length ? got : undefined;
    },
  });
  expect(sqs.refusedSignatures).toEqual([]);
  expect(messages.map((message) => JSON.parse(message.body).id)).toEqual(ids);
  for (const message of messages) expect(message.groupId).toBe(organizationId);
}

const eventOf = (events: LoggedEvent[], type: string) => {
  const found = events.find((event) => event.type === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
};

/** The receipt of `payment.succeeded`: one email with its invoice's PDF, and both notifications. */
async function expectReceipt({
  org,
  events,
  count,
  subject,
}: {
  org: Awaited<ReturnType<typeof createMessageCustomer>>;
  events: LoggedEvent[];
  count: number;
  subject: RegExp;
}) {
  const paid = eventOf(events, "payment.succeeded");
  const receipts = await org.emails("receipt", count);
  expect(receipts).toHaveLength(count);
  const receipt = receipts.at(-1);
  expect(receipt?.to).toBe(org.ownerEmail);
  expect(receipt?.subject).toMatch(subject);
  expect(receipt?.attachments).toEqual([{ kind: "invoice_pdf", invoiceId: paid.data.invoiceId }]);
  expect(receipt?.html).toContain("<p>");
  await expectNotices({ org, kind: "receipt", event: paid });
}

/** The users' and the operators' notification of `kind` for the event, about its invoice. */
async function expectNotices({
  org,
  kind,
  event,
}: {
  org: Awaited<ReturnType<typeof createMessageCustomer>>;
  kind: string;
  event: LoggedEvent;
}) {
  for (const audience of ["user", "admin"] as const) {
    const notice = await until({
      what: `the ${audience} ${kind} notice`,
      read: async () =>
        (await org.notices(kind, audience)).find(
          (candidate) => candidate.data.eventId === event.id,
        ),
    });
    expect(notice.data.invoiceId).toBe(event.data.invoiceId);
  }
}

describe("what each money path sends", () => {
  it("a renewal: its events, webhooks, SQS messages, receipt email and notifications", async () => {
    const org = await createMessageCustomer({ app, locale: "en", start: "2026-01-10T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    await org.emails("receipt", 1);
    const afterSequence = await lastSequence(org.id);
    await org.advance("2026-02-10T00:00:01Z");
    const events = await eventsAfter({
      organizationId: org.id,
      afterSequence,
      types: ["invoice.created", "invoice.paid", "payment.succeeded", "subscription.renewed"],
    });
    expect(eventOf(events, "subscription.renewed").data).toMatchObject({ status: "active" });
    await expectDelivered({ organizationId: org.id, events });
    await expectReceipt({ org, events, count: 2, subject: /^Receipt for invoice ABN-\d{6}$/ });
  });

  it("an upgrade: its events, webhooks, SQS messages, receipt email and notifications", async () => {
    const org = await createMessageCustomer({ app, locale: "es", start: "2026-01-10T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.emails("receipt", 1);
    const afterSequence = await lastSequence(org.id);
    await org.advance("2026-01-20T00:00:00Z");
    const changed = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(changed.status).toBe(200);
    const events = await eventsAfter({
      organizationId: org.id,
      afterSequence,
      types: [
        "invoice.created",
        "invoice.paid",
        "payment.succeeded",
        "subscription.plan_changed",
        "entitlement.updated",
      ],
    });
    const planChanged = await app.request("GET", `/v1/events/${events[3]?.id}`);
    expect(planChanged.body).toMatchObject({
      data: { planId: "premium" },
      previous: { planId: "plus" },
    });
    await expectDelivered({ organizationId: org.id, events });
    await expectReceipt({ org, events, count: 2, subject: /^Recibo de la factura ABN-\d{6}$/ });
  });

  it("a pack purchase: its events, webhooks, SQS messages, receipt email and notifications", async () => {
    const org = await createMessageCustomer({ app, locale: "en", start: "2026-01-10T00:00:00Z" });
    const afterSequence = await lastSequence(org.id);
    const purchase = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(purchase.status).toBe(201);
    const events = await eventsAfter({
      organizationId: org.id,
      afterSequence,
      types: [
        "invoice.created",
        "invoice.paid",
        "payment.succeeded",
        "pack.granted",
        "entitlement.updated",
      ],
    });
    expect(eventOf(events, "pack.granted").data).toMatchObject({
      feature: "encounters",
      quantity: 100,
    });
    await expectDelivered({ organizationId: org.id, events });
    await expectReceipt({ org, events, count: 1, subject: /^Receipt for invoice ABN-\d{6}$/ });
    const [receipt] = await org.emails("receipt");
    expect(receipt?.text).toContain("100 encounters");
  });

  it("a failed payment: its events, webhooks, SQS messages, emails to the owner and operators, notifications", async () => {
    const org = await createMessageCustomer({ app, locale: "es", start: "2026-03-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.emails("receipt", 1);
    await org.card("pm_sandbox_declined");
    const afterSequence = await lastSequence(org.id);
    await org.advance("2026-04-01T00:00:01Z");
    const events = await eventsAfter({
      organizationId: org.id,
      afterSequence,
      types: [
        "invoice.created",
        "invoice.payment_failed",
        "payment.failed",
        "subscription.renewed",
        "subscription.past_due",
        "entitlement.updated",
      ],
    });
    expect(eventOf(events, "subscription.renewed").data).toMatchObject({ status: "past_due" });
    expect(eventOf(events, "entitlement.updated").data).toMatchObject({ status: "past_due" });
    await expectDelivered({ organizationId: org.id, events });

    const failed = eventOf(events, "payment.failed");
    const [email] = await org.emails("payment_failed");
    expect(email?.to).toBe(org.ownerEmail);
    expect(email?.subject).toMatch(/^Tu pago de .+ no se pudo cobrar$/);
    expect(email?.text).toContain(`actualiza tu medio de pago en ${portalUrl}`);
    expect(email?.html).toContain(portalUrl);
    const [operators] = await org.emails("admin_notification");
    expect(operators?.to).toBe(operatorsEmail);
    expect(operators?.subject).toContain(org.name);
    await expectNotices({ org, kind: "payment_failed", event: failed });
    // No receipt for a charge that failed.
    expect(await org.emails("receipt")).toHaveLength(1);
  });
});
