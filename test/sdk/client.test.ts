import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbonoError, createAbono, verifyWebhook } from "../../packages/client/src/index.ts";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, ledgerSum } from "../helpers/billing-scenario.ts";
import { until } from "../helpers/until.ts";
import { startWebhookReceiver } from "../helpers/webhook-receiver.ts";

/**
 * A loopback TCP proxy to the app. `dropNextResponse` forwards the next request to the server, lets it
 * execute, and cuts the client's connection instead of passing the answer back; `cutAll` cuts every open
 * connection (a lost stream); `blockStream` refuses new stream connections only; `frozen` goes silent.
 */
async function startProxy(target: URL) {
  let dropNext = false;
  let dropped = 0;
  let blockStream = false;
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    // Decided per request: the client reuses kept-alive connections.
    let drop = false;
    client.on("data", (chunk) => {
      if (blockStream && chunk.toString("latin1").includes("/v1/entitlements/stream")) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (dropNext) {
        dropNext = false;
        drop = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (frozen) return;
      if (drop) {
        dropped += 1;
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropNextResponse() {
      dropNext = true;
    },
    get dropped() {
      return dropped;
    },
    cutAll() {
      for (const socket of sockets) socket.destroy();
    },
    /** Refuses every new stream connection (other requests pass). */
    set blockStream(value: boolean) {
      blockStream = value;
    },
    /** Keeps connections open but passes nothing back (a connection dead without a close). */
    set frozen(value: boolean) {
      frozen = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let app: TestApp;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let webhookSecret: string;
let counter = 0;
const nextId = () => `sdk-${process.pid}-${++counter}`;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  app = await startTestApp();
  await createBillingCatalog(app);
  const endpoint = await app.request("POST", "/v1/webhook-endpoints", {
    body: { url: receiver.url, events: ["*"], description: "sdk" },
  });
  expect(endpoint.status).toBe(201);
  webhookSecret = endpoint.body.secret;
  receiver.setSecrets([webhookSecret]);
  proxy = await startProxy(new URL(app.baseUrl));
});
afterAll(async () => {
  await proxy?.close();
  await app?.close();
  await receiver?.close();
});

const addCard = async (id: string) => {
  const added = await abono().api.POST("/v1/organizations/{orgId}/payment-methods", {
    params: { path: { orgId: id } },
    body: { provider: "sandbox", token: "pm_sandbox_ok" },
  });
  expect(added.response.status).toBe(201);
};

const abono = () =>
  createAbono({ baseUrl: app.baseUrl, apiKey: testRootKey, retryBaseMs: 10, maxRetries: 3 });

describe("@abono/client against a real server", () => {
  it("organizations, plans, subscriptions (preview, change), usage, entitlements, invoices", async () => {
    const client = abono();
    const id = nextId();
    const organization = await client.organizations.create({
      id,
      name: "SDK Org",
      currency: "USD",
    });
    await addCard(id);
    expect(organization.id).toBe(id);
    expect((await client.organizations.get(id)).name).toBe("SDK Org");
    const listed: string[] = [];
    for await (const item of client.organizations.list({ limit: 1 })) {
      listed.push(item.id);
      if (listed.includes(id) || listed.length > 500) break;
    }
    expect(listed).toContain(id);
    const plans = await client.plans.list();
    expect(plans.data.map((plan) => plan.id)).toContain("plus");

    const created = await client.subscriptions.create(id, { planId: "plus", interval: "month" });
    expect(created.subscription.planId).toBe("plus");
    const subscription = await client.subscriptions.get(id);
    expect(subscription.planId).toBe("plus");

    const recorded = await client.usage.record(id, {
      feature: "encounters",
      quantity: 3,
      eventId: "e-1",
    });
    expect(recorded).toMatchObject({ allowed: true, used: 3, duplicate: false });
    const check = await client.entitlements.check(id, "encounters");
    expect(check).toMatchObject({ feature: "encounters", allowed: true, used: 3 });
    const entitlement = await client.entitlements.get(id);
    expect(entitlement.planId).toBe("plus");

    const preview = await client.subscriptions.previewChange(id, {
      planId: "premium",
      interval: "month",
    });
    expect(preview).toBeTruthy();
    const changed = await client.subscriptions.change(id, { planId: "premium", interval: "month" });
    expect(changed).toBeTruthy();
    const invoices: unknown[] = [];
    for await (const invoice of client.invoices.list(id)) invoices.push(invoice);
    expect(invoices.length).toBeGreaterThanOrEqual(1);
    const first = invoices[0] as { id: string };
    expect((await client.invoices.get(first.id)).id).toBe(first.id);
  });

  it("typed errors carry code, status, details and the request id", async () => {
    const client = abono();
    const error = await client.entitlements.check("no-such-org", "encounters").catch((e) => e);
    expect(error).toBeInstanceOf(AbonoError);
    expect(error.code).toBe("not_found");
    expect(error.status).toBe(404);
    expect(error.requestId).toBeTruthy();
    const invalid = await client.organizations
      .create({ id: "", name: "" } as never)
      .catch((e) => e);
    expect(invalid).toBeInstanceOf(AbonoError);
    expect(invalid.code).toBe("validation_error");
    expect(invalid.status).toBe(400);
  });

  it("a dropped answer is retried with the same Idempotency-Key: the adjustment runs once", async () => {
    const client = createAbono({ baseUrl: proxy.url, apiKey: testRootKey, retryBaseMs: 10 });
    const id = nextId();
    await client.organizations.create({ id, name: "Retry", currency: "USD" });
    const before = await ledgerSum(app, id);
    proxy.dropNextResponse();
    const adjusted = await client.api
      .POST("/v1/root/organizations/{orgId}/balance-adjustments", {
        params: { path: { orgId: id } },
        body: { amount: 500, reason: "sdk retry test" },
      })
      .then((result) => result);
    expect(adjusted.response.status).toBe(201);
    expect(proxy.dropped).toBe(1);
    expect((await ledgerSum(app, id)) - before).toBe(500);
  });

  it("verifyWebhook accepts the service's real deliveries, typed by event type, and refuses tampering", async () => {
    const client = abono();
    const id = nextId();
    await client.organizations.create({ id, name: "Hooks", currency: "USD" });
    const delivery = await until({
      what: "organization.created delivery",
      read: () =>
        receiver.received.find(
          (entry) =>
            entry.body.includes(`"organizationId":"${id}"`) &&
            entry.body.includes("organization.created"),
        ),
    });
    const event = await verifyWebhook(delivery.body, delivery.headers, webhookSecret);
    expect(event.type).toBe("organization.created");
    if (event.type === "organization.created") expect(event.organizationId).toBe(id);
    await expect(
      verifyWebhook(`${delivery.body} `, delivery.headers, webhookSecret),
    ).rejects.toMatchObject({
      code: "invalid_signature",
    });
  });

  it("local checks: snapshot, convergence after changes and after the stream is cut", async () => {
    const direct = abono();
    const id = nextId();
    await direct.organizations.create({ id, name: "Local", currency: "USD" });
    await addCard(id);
    await direct.subscriptions.create(id, { planId: "plus", interval: "month" });
    const client = createAbono({ baseUrl: proxy.url, apiKey: testRootKey });
    const local = client.entitlements.local({ organizations: [id], reconnectMs: 50 });
    await local.ready();
    const first = local.check(id, "encounters");
    expect(first).toMatchObject({ allowed: true, used: 0, source: "local", ageMs: 0 });

    await direct.usage.record(id, { feature: "encounters", quantity: 7, eventId: "l-1" });
    await until({
      what: "usage seen locally",
      read: () => (local.check(id, "encounters")?.used === 7 ? true : undefined),
    });

    await app.request("PUT", `/v1/root/organizations/${id}/entitlement-overrides/encounters`, {
      body: { value: false, reason: "local test" },
    });
    await until({
      what: "override seen locally",
      read: () => (local.check(id, "encounters")?.allowed === false ? true : undefined),
    });

    // Cut the stream, change while it is down: the resumed stream brings the change.
    proxy.cutAll();
    await app.request("PUT", `/v1/root/organizations/${id}/entitlement-overrides/encounters`, {
      body: { value: 50, reason: "while cut" },
    });
    const resumed = await until({
      what: "change made while cut seen locally",
      read: () => {
        const check = local.check(id, "encounters");
        return check?.limit === 50 ? check : undefined;
      },
    });
    expect(resumed.allowed).toBe(true);
    const server = await direct.entitlements.check(id, "encounters");
    expect({ allowed: resumed.allowed, remaining: resumed.remaining }).toEqual({
      allowed: server.allowed,
      remaining: server.remaining,
    });
    local.close();
  });

  it("local get: fresh from the snapshot; stale (stream cut, server up) from the server, refreshing the entry", async () => {
    const direct = abono();
    const id = nextId();
    await direct.organizations.create({ id, name: "Fallback", currency: "USD" });
    await addCard(id);
    await direct.subscriptions.create(id, { planId: "plus", interval: "month" });
    const own = await startProxy(new URL(app.baseUrl));
    const client = createAbono({ baseUrl: own.url, apiKey: testRootKey, retryBaseMs: 10 });
    const local = client.entitlements.local({
      organizations: [id],
      reconnectMs: 50,
      maxStalenessMs: 400,
    });
    const statuses: string[] = [];
    local.onStatus((status) => statuses.push(status));
    try {
      await local.ready();
      expect(local.status).toBe("live");
      expect(await local.get(id, "encounters")).toMatchObject({ source: "local", ageMs: 0 });

      // The stream is lost and cannot come back; the HTTP API still answers.
      own.blockStream = true;
      own.cutAll();
      await until({
        what: "stale status",
        read: () => (local.status === "stale" ? true : undefined),
      });
      expect(statuses).toEqual(["live", "reconnecting", "stale"]);
      expect(local.check(id, "encounters")).toBeUndefined();
      await direct.usage.record(id, { feature: "encounters", quantity: 4, eventId: "f-1" });
      await app.request("PUT", `/v1/root/organizations/${id}/entitlement-overrides/encounters`, {
        body: { value: 60, reason: "while the stream is down" },
      });
      const fetched = await local.get(id, "encounters");
      const truth = await direct.entitlements.check(id, "encounters");
      expect(fetched).toMatchObject({ source: "server", ageMs: 0, limit: 60, used: 4 });
      expect({ allowed: fetched.allowed, remaining: fetched.remaining }).toEqual({
        allowed: truth.allowed,
        remaining: truth.remaining,
      });
      // The entry fetched answers synchronously again, until it is maxStalenessMs old.
      expect(local.check(id, "encounters")).toMatchObject({ source: "local", limit: 60, used: 4 });
      expect(local.entitlement(id)?.limits.encounters).toBe(60);
      await expect(local.get(id, "no-such-feature")).rejects.toMatchObject({
        code: "not_found",
        status: 404,
      });

      // The stream comes back: live again, later changes arrive through it.
      own.blockStream = false;
      await until({ what: "live again", read: () => (local.status === "live" ? true : undefined) });
      await app.request("PUT", `/v1/root/organizations/${id}/entitlement-overrides/encounters`, {
        body: { value: 70, reason: "stream back" },
      });
      await until({
        what: "change through the resumed stream",
        read: () => (local.check(id, "encounters")?.limit === 70 ? true : undefined),
      });
    } finally {
      local.close();
      await own.close();
    }
  });

  it("local get with everything down: a typed network error, promptly, not a hang", async () => {
    const direct = abono();
    const id = nextId();
    await direct.organizations.create({ id, name: "Down", currency: "USD" });
    const own = await startProxy(new URL(app.baseUrl));
    const client = createAbono({
      baseUrl: own.url,
      apiKey: testRootKey,
      retryBaseMs: 10,
      maxRetries: 2,
      timeoutMs: 2_000,
    });
    const local = client.entitlements.local({
      organizations: [id],
      reconnectMs: 50,
      maxStalenessMs: 200,
    });
    try {
      await local.ready();
      await own.close();
      await until({ what: "stale", read: () => (local.status === "stale" ? true : undefined) });
      const started = Date.now();
      const error = await local.get(id, "encounters").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AbonoError);
      expect(error).toMatchObject({ code: "network_error", status: 0 });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      local.close();
    }
  });

  it("local: a stream gone silent (no heartbeat) is taken as lost and reopened", async () => {
    const direct = abono();
    const id = nextId();
    await direct.organizations.create({ id, name: "Silent", currency: "USD" });
    const own = await startProxy(new URL(app.baseUrl));
    const client = createAbono({ baseUrl: own.url, apiKey: testRootKey });
    const local = client.entitlements.local({
      organizations: [id],
      reconnectMs: 50,
      maxStalenessMs: 5_000,
      idleTimeoutMs: 300,
    });
    try {
      await local.ready();
      own.frozen = true;
      await until({
        what: "reconnecting after silence",
        read: () => (local.status === "reconnecting" ? true : undefined),
      });
      expect(local.check(id, "encounters")).toBeDefined();
      own.frozen = false;
      await until({ what: "live again", read: () => (local.status === "live" ? true : undefined) });
    } finally {
      local.close();
      await own.close();
    }
  });

  it("local: an unknown organization fails ready() with the service's 404, without reconnecting", async () => {
    const client = abono();
    const local = client.entitlements.local({ organizations: ["no-such-org"], reconnectMs: 50 });
    const error = await local.ready().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AbonoError);
    expect(error).toMatchObject({ code: "not_found", status: 404 });
    expect(local.status).toBe("failed");
    expect(local.error?.code).toBe("not_found");
  });

  it("the rest of the documented surface: plans.get/listPublic, checkouts, subscriptions.cancel, local helpers", async () => {
    const client = abono();
    expect((await client.plans.get("plus")).id).toBe("plus");
    const publicPlans = await client.plans.listPublic();
    expect(JSON.stringify(publicPlans)).toContain("plus");

    const id = nextId();
    await client.organizations.create({ id, name: "Checkout", currency: "USD" });
    const started = await client.checkouts.create(id, {
      planId: "plus",
      interval: "month",
      provider: "sandbox",
    });
    const checkoutId = started.checkout.id;
    expect((await client.checkouts.get(id, checkoutId)).id).toBe(checkoutId);
    expect((await client.subscriptions.get(id)).planId).toBe("plus");

    const local = client.entitlements.local({ organizations: [id] });
    const changed: string[] = [];
    local.onChange((organizationId) => changed.push(organizationId));
    await local.ready();
    expect(local.ageMs).toBe(0);
    expect(local.entitlement(id)?.planId).toBe("plus");
    expect(changed).toContain(id);

    const canceled = await client.subscriptions.cancel(id, { atPeriodEnd: false });
    expect(JSON.stringify(canceled)).toContain("canceled");
    await until({
      what: "the cancellation seen locally",
      read: () => (local.entitlement(id)?.planId === "free" ? true : undefined),
    });
    local.close();
    expect(local.status).toBe("closed");
  });

  it("local get for an organization the stream does not cover: fetched, then trusted for maxStalenessMs only", async () => {
    const client = abono();
    const streamed = nextId();
    const other = nextId();
    await client.organizations.create({ id: streamed, name: "Streamed", currency: "USD" });
    await client.organizations.create({ id: other, name: "Not streamed", currency: "USD" });
    const local = client.entitlements.local({ organizations: [streamed], maxStalenessMs: 300 });
    try {
      await local.ready();
      expect(local.check(other, "encounters")).toBeUndefined();
      expect(await local.get(other, "encounters")).toMatchObject({ source: "server", ageMs: 0 });
      expect(local.check(other, "encounters")).toMatchObject({ source: "local" });
      // The live stream says nothing about it: past maxStalenessMs it is asked again.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(local.status).toBe("live");
      expect(local.check(other, "encounters")).toBeUndefined();
      expect(await local.get(other, "encounters")).toMatchObject({ source: "server" });
      expect(local.check(streamed, "encounters")).toMatchObject({ source: "local", ageMs: 0 });
    } finally {
      local.close();
    }
  });
});
