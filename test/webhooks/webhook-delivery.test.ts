import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * Outbound webhooks delivered to real HTTP receivers on 127.0.0.1, signatures checked with the
 * `standardwebhooks` library and an implementation of the specification of the test's own.
 */
let app: TestApp;
const receivers: Awaited<ReturnType<typeof startWebhookReceiver>>[] = [];

beforeAll(async () => {
  app = await startTestApp({
    environment: {
      ABONO_WEBHOOK_RETRY_SCHEDULE: "100ms,200ms,300ms,400ms",
      ABONO_WEBHOOK_TIMEOUT_MS: "1000",
    },
  });
  await createBillingCatalog(app);
});
afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  await app.close();
});

async function receiver(options: Parameters<typeof startWebhookReceiver>[0] = {}) {
  const started = await startWebhookReceiver(options);
  receivers.push(started);
  return started;
}

async function endpointFor(
  target: Awaited<ReturnType<typeof startWebhookReceiver>>,
  events: string[] = ["*"],
) {
  const created = await app.request("POST", "/v1/webhook-endpoints", {
    body: { url: target.url, events, description: "test receiver" },
  });
  expect(created.status).toBe(201);
  target.setSecrets([created.body.secret]);
  return created.body as { id: string; secret: string };
}

async function organization() {
  return createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
}

/** `count` balance adjustments for an organization: one `balance.changed` each. */
async function adjust(organizationId: string, count: number, parallel = false) {
  const one = (index: number) =>
    app
      .request("POST", `/v1/root/organizations/${organizationId}/balance-adjustments`, {
        body: { amount: 100 + index, reason: `adjustment ${index}` },
      })
      .then((response) => expect(response.status).toBe(201));
  if (parallel) await Promise.all(Array.from({ length: count }, (_, index) => one(index)));
  else for (let index = 0; index < count; index++) await one(index);
}

async function eventsOf(organizationId: string) {
  const response = await app.request(
    "GET",
    `/v1/events?organizationId=${organizationId}&order=asc&limit=100`,
  );
  return response.body.data as { id: string; sequence: number; type: string }[];
}

const ofOrganization = (
  target: Awaited<ReturnType<typeof startWebhookReceiver>>,
  organizationId: string,
) => target.processed.filter((entry) => entry.event.organizationId === organizationId);

describe("webhook endpoints", () => {
  it("creates an endpoint with a secret shown once, and refuses unknown event types", async () => {
    const target = await receiver();
    const created = await endpointFor(target, ["invoice.paid", "payment.failed"]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const read = await app.request("GET", `/v1/webhook-endpoints/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      kind: "webhook",
      url: target.url,
      events: ["invoice.paid", "payment.failed"],
      status: "enabled",
    });
    expect(JSON.stringify(read.body)).not.toContain(created.secret);
    const list = await app.request("GET", "/v1/webhook-endpoints");
    expect(JSON.stringify(list.body)).not.toContain("whsec_");

    const unknown = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url: target.url, events: ["invoice.paid", "invoice.exploded"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('"invoice.exploded" is not an event type');
    const mixed = await app.request("POST", "/v1/webhook-endpoints", {
      body: { url: target.url, events: ["*", "invoice.paid"] },
    });
    expect(mixed.status).toBe(400);
    const notRoot = await app.request("GET", "/v1/webhook-endpoints", { auth: "abono_sk_nope" });
    expect(notRoot.status).toBe(401);

    const patched = await app.request("PATCH", `/v1/webhook-endpoints/${created.id}`, {
      body: { events: ["*"], description: null },
    });
    expect(patched.body).toMatchObject({ events: ["*"], description: null });
    const deleted = await app.request("DELETE", `/v1/webhook-endpoints/${created.id}`);
    expect(deleted.status).toBe(200);
    expect((await app.request("GET", `/v1/webhook-endpoints/${created.id}`)).status).toBe(404);
  });

  it("delivers each event signed, its body the event as the API shows it", async () => {
    const target = await receiver();
    const endpoint = await endpointFor(target);
    const org = await organization();
    await adjust(org.organizationId, 2);
    const events = await eventsOf(org.organizationId);
    await target.waitFor(() => ofOrganization(target, org.organizationId).length >= events.length);
    const got = target.received.filter((entry) =>
      events.some((event) => event.id === entry.headers["webhook-id"]),
    );
    expect(got.every((entry) => entry.verified)).toBe(true);
    for (const entry of got) {
      expect(entry.headers["content-type"]).toBe("application/json");
      expect(entry.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const single = await app.request("GET", `/v1/events/${entry.headers["webhook-id"]}`);
      expect(JSON.parse(entry.body)).toEqual(single.body);
    }
    // A wrong secret does not verify.
    target.setSecrets(["whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldA=="]);
    const test = await app.request("POST", `/v1/webhook-endpoints/${endpoint.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({
      delivered: true,
      statusCode: 200,
      event: { type: "webhook.test" },
    });
    expect(target.received.at(-1)?.verified).toBe(false);
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it("retries a failing receiver with backoff until it answers, logs every attempt, delivers once", async () => {
    let failures = 3;
    const target = await receiver({
      respond: () =>
        failures-- > 0 ? { status: 503, body: "busy ".repeat(500) } : { status: 200 },
    });
    const endpoint = await endpointFor(target, ["balance.changed"]);
    const org = await organization();
    await adjust(org.organizationId, 3);
    const events = (await eventsOf(org.organizationId)).filter(
      (event) => event.type === "balance.changed",
    );
    await target.waitFor(() => ofOrganization(target, org.organizationId).length === 3);
    // In sequence order, each once, though the first one was sent four times.
    expect(ofOrganization(target, org.organizationId).map((entry) => entry.id)).toEqual(
      events.map((event) => event.id),
    );
    const first = await app.request(
      "GET",
      `/v1/webhook-deliveries?endpointId=${endpoint.id}&eventId=${events[0]?.id}`,
    );
    expect(first.body.data).toHaveLength(1);
    expect(first.body.data[0]).toMatchObject({
      status: "delivered",
      attempts: 4,
      lastStatusCode: 200,
    });
    const detail = await app.request("GET", `/v1/webhook-deliveries/${first.body.data[0].id}`);
    expect(
      detail.body.attemptLog.map((attempt: { statusCode: number }) => attempt.statusCode),
    ).toEqual([503, 503, 503, 200]);
    expect(detail.body.attemptLog[0].responseExcerpt).toHaveLength(1024);
    expect(detail.body.attemptLog[0].outcome).toBe("failed");
    const gaps = detail.body.attemptLog
      .slice(1)
      .map(
        (attempt: { startedAt: string }, index: number) =>
          Date.parse(attempt.startedAt) - Date.parse(detail.body.attemptLog[index].startedAt),
      );
    // 100, 200, 300 ms ± 20 %: each wait longer than the one before.
    expect(gaps[0]).toBeGreaterThanOrEqual(80);
    expect(gaps[2]).toBeGreaterThan(gaps[0]);
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it("keeps each organization's order under parallel changes, and delivers every event exactly once to the logic", async () => {
    // Every fourth request fails: retries interleave with new events.
    const target = await receiver({
      respond: (_, index) => ({ status: index % 4 === 1 ? 500 : 204 }),
    });
    const endpoint = await endpointFor(target, ["balance.changed"]);
    const orgs = await Promise.all([organization(), organization(), organization()]);
    await Promise.all(orgs.map((org) => adjust(org.organizationId, 8, true)));
    for (const org of orgs) {
      const events = (await eventsOf(org.organizationId)).filter(
        (event) => event.type === "balance.changed",
      );
      expect(events).toHaveLength(8);
      await target.waitFor(() => ofOrganization(target, org.organizationId).length === 8);
      const sequences = ofOrganization(target, org.organizationId).map(
        (entry) => entry.event.sequence as number,
      );
      expect(sequences).toEqual(events.map((event) => event.sequence));
    }
    expect(target.received.length).toBeGreaterThan(target.processed.length);
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it("sends again what timed out: the receiver sees the same webhook-id twice and acts once", async () => {
    let first = true;
    const target = await receiver({
      respond: () => {
        if (!first) return { status: 200 };
        first = false;
        return { status: 200, delayMs: 1500 };
      },
    });
    const endpoint = await endpointFor(target, ["balance.changed"]);
    const org = await organization();
    await adjust(org.organizationId, 1);
    await target.waitFor(
      () =>
        target.received.filter(
          (entry) => JSON.parse(entry.body).organizationId === org.organizationId,
        ).length >= 2,
    );
    const sent = target.received.filter(
      (entry) => JSON.parse(entry.body).organizationId === org.organizationId,
    );
    expect(sent[0]?.headers["webhook-id"]).toBe(sent[1]?.headers["webhook-id"]);
    expect(ofOrganization(target, org.organizationId)).toHaveLength(1);
    const [delivery] = (
      await app.request("GET", `/v1/webhook-deliveries?endpointId=${endpoint.id}`)
    ).body.data;
    const detail = await app.request("GET", `/v1/webhook-deliveries/${delivery.id}`);
    expect(detail.body.attemptLog[0].error).toMatch(/No answer within 1000 ms/);
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it("does not let a hanging receiver hold up another endpoint", async () => {
    const hanging = await receiver({ respond: () => ({ status: 200, hang: true }) });
    const healthy = await receiver();
    const stuck = await endpointFor(hanging, ["balance.changed"]);
    const fine = await endpointFor(healthy, ["balance.changed"]);
    // More organizations (streams) than the delivery pool has slots: the hanging receiver may hold
    // half of them at most.
    const orgs = await Promise.all(Array.from({ length: 10 }, () => organization()));
    const started = Date.now();
    await Promise.all(orgs.map((org) => adjust(org.organizationId, 2)));
    await healthy.waitFor(() =>
      orgs.every((org) => ofOrganization(healthy, org.organizationId).length === 2),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hanging.stats.maxHanging).toBeGreaterThan(0);
    expect(hanging.stats.maxHanging).toBeLessThanOrEqual(4);
    await app.request("POST", `/v1/webhook-endpoints/${stuck.id}/disable`, {
      body: { reason: "test over" },
    });
    await app.request("DELETE", `/v1/webhook-endpoints/${fine.id}`);
  });

  it("disables an endpoint that answers 410 Gone, and one failing for too long; operators are told", async () => {
    const gone = await receiver({ respond: () => ({ status: 410 }) });
    const goneEndpoint = await endpointFor(gone, ["balance.changed"]);
    let healthy = false;
    const failing = await receiver({ respond: () => ({ status: healthy ? 200 : 500 }) });
    const failingEndpoint = await endpointFor(failing, ["balance.changed"]);
    const org = await organization();
    await adjust(org.organizationId, 2);

    const waitDisabled = async (id: string) => {
      const deadline = Date.now() + 25_000;
      for (;;) {
        const read = await app.request("GET", `/v1/webhook-endpoints/${id}`);
        if (read.body.status === "disabled") return read.body;
        if (Date.now() > deadline) throw new Error(`${id} still enabled`);
        if (id === failingEndpoint.id) {
          // As if its first failure were six days old (the limit is five), then one failure more.
          await app.database.pool.query(
            `update webhook_endpoints set failing_since = failing_since - interval '6 days'
              where id = $1 and failing_since is not null`,
            [id],
          );
          await adjust(org.organizationId, 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const goneRead = await waitDisabled(goneEndpoint.id);
    expect(goneRead.disabledReason).toBe("The endpoint answered 410 Gone.");
    expect(gone.received).toHaveLength(1);
    const failingRead = await waitDisabled(failingEndpoint.id);
    expect(failingRead.disabledReason).toMatch(
      /^Every attempt failed since .+ \(5 days or more without a success\); the last: HTTP 500$/,
    );

    const deadline = Date.now() + 20_000;
    const ours = [goneEndpoint.id, failingEndpoint.id];
    let notified: string[] = [];
    while (notified.length < 2) {
      if (Date.now() > deadline) throw new Error("no operator notification");
      const notices: { kind: string; data: { endpointId: string } }[] = (
        await app.request("GET", "/v1/notifications?limit=100")
      ).body.data;
      notified = notices
        .filter(
          (notice) =>
            notice.kind === "webhook_endpoint_disabled" && ours.includes(notice.data.endpointId),
        )
        .map((notice) => notice.data.endpointId);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(notified.sort()).toEqual([...ours].sort());

    // Enabled again once the receiver works: what waited is delivered, in order.
    healthy = true;
    const enabled = await app.request("POST", `/v1/webhook-endpoints/${failingEndpoint.id}/enable`);
    expect(enabled.body).toMatchObject({
      status: "enabled",
      failingSince: null,
      disabledReason: null,
    });
    // What had not been given up yet (its retries used up while failing) goes out now.
    const waitingDeadline = Date.now() + 20_000;
    for (;;) {
      const waiting = await app.request(
        "GET",
        `/v1/webhook-deliveries?endpointId=${failingEndpoint.id}&status=pending`,
      );
      if (waiting.body.data.length === 0) break;
      if (Date.now() > waitingDeadline) throw new Error("deliveries still pending");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const delivered = await app.request(
      "GET",
      `/v1/webhook-deliveries?endpointId=${failingEndpoint.id}&status=delivered&limit=100`,
    );
    expect(delivered.body.data.length).toBeGreaterThan(0);
    const sequences = ofOrganization(failing, org.organizationId).map(
      (entry) => entry.event.sequence as number,
    );
    expect(sequences).toHaveLength(delivered.body.data.length);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    await app.request("DELETE", `/v1/webhook-endpoints/${goneEndpoint.id}`);
    await app.request("DELETE", `/v1/webhook-endpoints/${failingEndpoint.id}`);
  }, 90_000);

  it("gives up after the schedule, retries by hand, and replays events since a time", async () => {
    let down = true;
    const target = await receiver({ respond: () => ({ status: down ? 500 : 200 }) });
    const endpoint = await endpointFor(target, ["balance.changed"]);
    const org = await organization();
    // Events are dated by the organization's (test) clock.
    const since = "2026-01-01T00:00:00Z";
    await adjust(org.organizationId, 1);
    const deadline = Date.now() + 15_000;
    let failed: { id: string; attempts: number; status: string }[] = [];
    while (failed.length === 0) {
      if (Date.now() > deadline) throw new Error("the delivery was not given up");
      failed = (
        await app.request("GET", `/v1/webhook-deliveries?endpointId=${endpoint.id}&status=failed`)
      ).body.data;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The first attempt and four retries.
    expect(failed[0]?.attempts).toBe(5);
    down = false;
    const retried = await app.request("POST", `/v1/webhook-deliveries/${failed[0]?.id}/retry`);
    expect(retried.body, JSON.stringify(retried.body)).toMatchObject({ status: "pending" });
    await target.waitFor(() => ofOrganization(target, org.organizationId).length === 1);

    const replay = await app.request("POST", `/v1/webhook-endpoints/${endpoint.id}/replay`, {
      body: { since },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.deliveries).toBeGreaterThanOrEqual(1);
    const id = ofOrganization(target, org.organizationId)[0]?.id;
    await target.waitFor(
      () => target.received.filter((entry) => entry.headers["webhook-id"] === id).length >= 7,
    );
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it("signs with both secrets for a day after a rotation", async () => {
    const target = await receiver();
    const endpoint = await endpointFor(target, ["balance.changed"]);
    const rotated = await app.request("POST", `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3600_000);
    for (const secrets of [[endpoint.secret], [rotated.body.secret]]) {
      target.setSecrets(secrets);
      const test = await app.request("POST", `/v1/webhook-endpoints/${endpoint.id}/test`);
      expect(test.body.delivered).toBe(true);
      expect(target.received.at(-1)?.verified).toBe(true);
      expect(target.received.at(-1)?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    }
    await app.request("DELETE", `/v1/webhook-endpoints/${endpoint.id}`);
  });
});
