import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { until } from "../helpers/until.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await createBillingCatalog(app);
});
afterAll(() => app.close());

interface StreamEvent {
  event: string;
  id?: string;
  data: any;
}

/** Opens the SSE stream and collects its events as they arrive. */
async function openStream(query: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${app.baseUrl}/v1/entitlements/stream${query}`, {
    headers: { authorization: `Bearer ${testRootKey}`, ...headers },
    signal: controller.signal,
  });
  const events: StreamEvent[] = [];
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { event: "message", data: undefined };
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("id: ")) event.id = line.slice(4);
            else if (line.startsWith("data: ")) event.data = JSON.parse(line.slice(6));
          }
          if (event.data !== undefined) events.push(event);
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    events,
    latest(organizationId: string) {
      return events.findLast(
        (event) => event.event === "entitlement" && event.data.organizationId === organizationId,
      )?.data;
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

describe("GET /v1/entitlements/stream", () => {
  it("sends a snapshot, then every change; converges under parallel usage and overrides", async () => {
    const org = await createBillingOrganization(app, { start: new Date().toISOString() });
    await org.subscribe("plus");
    const other = await createBillingOrganization(app, { start: new Date().toISOString() });
    const stream = await openStream(`?organizations=${org.organizationId},${other.organizationId}`);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get("content-type")).toContain("text/event-stream");
    await until({
      what: "ready",
      read: () => (stream.events.some((event) => event.event === "ready") ? true : undefined),
    });
    const snapshot = stream.events.filter((event) => event.event === "entitlement");
    expect(snapshot.map((event) => event.data.organizationId).sort()).toEqual(
      [org.organizationId, other.organizationId].sort(),
    );
    const first = stream.latest(org.organizationId);
    expect(first.entitlement.planId).toBe("plus");
    expect(
      stream.events.find((event) => event.data.organizationId === org.organizationId)?.id,
    ).toBe(`${org.organizationId}:${first.version}`);

    // Real parallel changes: 20 usage events and a root override, all at once.
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, (_, index) =>
        app.request("POST", org.path("/usage"), {
          body: { feature: "encounters", eventId: `stream-${index}` },
        }),
      ),
      app.request(
        "PUT",
        `/v1/root/organizations/${org.organizationId}/entitlement-overrides/encounters`,
        {
          body: { value: 1000, reason: "stream test" },
        },
      ),
    ]);
    expect(responses.every((response) => response.status === 200)).toBe(true);
    const truth = (await app.request("GET", org.path("/entitlement"))).body;
    expect(truth.usage.encounters).toBe(20);
    const converged = await until({
      what: "the stream to show the final state",
      read: () => {
        const latest = stream.latest(org.organizationId);
        return latest && JSON.stringify(latest.entitlement) === JSON.stringify(truth)
          ? latest
          : undefined;
      },
      timeoutMs: 5_000,
    });
    expect(converged.version).toBeGreaterThan(first.version);
    expect(converged.entitlement.limits.encounters).toBe(1000);
    await stream.close();
  });

  it("a reconnection with Last-Event-ID starts from the current state, changes made meanwhile included", async () => {
    const org = await createBillingOrganization(app, { start: new Date().toISOString() });
    await org.subscribe("plus");
    const first = await openStream(`?organizations=${org.organizationId}`);
    const initial = await until({ what: "snapshot", read: () => first.latest(org.organizationId) });
    const lastId = first.events.at(-1)?.id ?? "";
    await first.close();
    // Changed while disconnected.
    await app.request(
      "PUT",
      `/v1/root/organizations/${org.organizationId}/entitlement-overrides/encounters`,
      {
        body: { value: 42, reason: "while away" },
      },
    );
    const resumed = await openStream(`?organizations=${org.organizationId}`, {
      "last-event-id": lastId,
    });
    const state = await until({
      what: "resumed state",
      read: () => resumed.latest(org.organizationId),
    });
    expect(state.version).toBeGreaterThan(initial.version);
    expect(state.entitlement.limits.encounters).toBe(42);
    await resumed.close();
  });

  it("an organization key streams its own organization only; bad requests get 4xx", async () => {
    const org = await createBillingOrganization(app, { start: new Date().toISOString() });
    const key = await app.request("POST", "/v1/api-keys", {
      body: { name: "stream", scope: "organization", organizationId: org.organizationId },
    });
    expect(key.status).toBe(201);
    const secret: string = key.body.secret;
    const own = await fetch(`${app.baseUrl}/v1/entitlements/stream`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(own.status).toBe(200);
    await own.body?.cancel();
    const all = await app.request("GET", "/v1/entitlements/stream?organizations=all", {
      auth: secret,
    });
    expect(all.status).toBe(403);
    const unauthenticated = await app.request("GET", "/v1/entitlements/stream", { auth: null });
    expect(unauthenticated.status).toBe(401);
    const other = await createBillingOrganization(app, { start: new Date().toISOString() });
    const another = await app.request(
      "GET",
      `/v1/entitlements/stream?organizations=${other.organizationId}`,
      { auth: secret },
    );
    expect(another.status).toBe(403);
    expect(another.body.error.code).toBe("forbidden");
  });

  it("an unknown organization id answers 404 not_found (the API error shape), not an empty stream", async () => {
    const org = await createBillingOrganization(app, { start: new Date().toISOString() });
    const unknown = `no-such-org-${process.pid}`;
    const response = await app.request(
      "GET",
      `/v1/entitlements/stream?organizations=${org.organizationId},${unknown}`,
    );
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.body.error).toMatchObject({ code: "not_found", details: { id: unknown } });
    const known = await fetch(
      `${app.baseUrl}/v1/entitlements/stream?organizations=${org.organizationId}`,
      { headers: { authorization: `Bearer ${testRootKey}` } },
    );
    expect(known.status).toBe(200);
    await known.body?.cancel();
  });
});
