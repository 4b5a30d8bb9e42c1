import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { access } from "../../src/auth/principal.ts";
import type { RouteModule } from "../../src/http/app-types.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** A route that counts its executions in the database, to prove what ran and how often. */
const executionRoutes: RouteModule = (app, { db }) => {
  app.post(
    "/test/executions",
    {
      config: { access: access.authenticated },
      schema: {
        body: z.object({
          label: z.string(),
          delayMs: z.number().int().min(0).max(2000).default(0),
          crash: z.boolean().default(false),
        }),
      },
    },
    async (request, reply) => {
      const { label, delayMs, crash } = request.body;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const { rows } = await db.execute<{ id: number; count: number }>(
        sql`insert into test_executions (label) values (${label})
            returning id, (select count(*) + 1 from test_executions where label = ${label})::int as count`,
      );
      if (crash) throw new Error("simulated server failure");
      return reply.code(201).send({ id: rows[0]?.id, label, count: rows[0]?.count });
    },
  );
};

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ worker: false, extraRoutes: [executionRoutes] });
  await app.database.pool.query(
    "create table test_executions (id serial primary key, label text not null)",
  );
  await app.database.grantAppRole();
});
afterAll(() => app.close());

const executions = async (label: string) =>
  Number(
    (
      await app.database.pool.query("select count(*) from test_executions where label = $1", [
        label,
      ])
    ).rows[0].count,
  );

describe("Idempotency-Key", () => {
  it("replays the first response (status and body) for the same key and body", async () => {
    const first = await app.request("POST", "/test/executions", {
      body: { label: "replay" },
      idempotencyKey: "key-replay",
    });
    expect(first.status).toBe(201);
    const second = await app.request("POST", "/test/executions", {
      body: { label: "replay" },
      idempotencyKey: "key-replay",
    });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await executions("replay")).toBe(1);
  });

  it("treats the same body with keys in another order as the same request", async () => {
    await app.request("POST", "/test/executions", {
      rawBody: '{"label":"order","delayMs":0}',
      idempotencyKey: "key-order",
    });
    const again = await app.request("POST", "/test/executions", {
      rawBody: '{"delayMs":0,"label":"order"}',
      idempotencyKey: "key-order",
    });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await executions("order")).toBe(1);
  });

  it("answers 409 idempotency_key_reused for the same key with a different body", async () => {
    await app.request("POST", "/test/executions", {
      body: { label: "a" },
      idempotencyKey: "key-reused",
    });
    const response = await app.request("POST", "/test/executions", {
      body: { label: "b" },
      idempotencyKey: "key-reused",
    });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe("idempotency_key_reused");
    expect(await executions("b")).toBe(0);
  });

  it("executes once when identical requests race; every caller gets the same response", async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.request("POST", "/test/executions", {
          body: { label: "race", delayMs: 300 },
          idempotencyKey: "key-race",
        }),
      ),
    );
    expect(await executions("race")).toBe(1);
    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.body).toEqual(responses[0]?.body);
    }
    expect(responses.filter((response) => response.headers.get("idempotent-replayed")).length).toBe(
      7,
    );
  });

  it("runs again after a server error instead of replaying it", async () => {
    const failed = await app.request("POST", "/test/executions", {
      body: { label: "crash", crash: true },
      idempotencyKey: "key-crash",
    });
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe("internal_error");
    const retried = await app.request("POST", "/test/executions", {
      body: { label: "crash", crash: true },
      idempotencyKey: "key-crash",
    });
    expect(retried.status).toBe(500);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect(await executions("crash")).toBe(2);
  });

  it("does not record requests that fail validation", async () => {
    const invalid = await app.request("POST", "/test/executions", {
      body: { label: 42 },
      idempotencyKey: "key-invalid",
    });
    expect(invalid.status).toBe(400);
    const valid = await app.request("POST", "/test/executions", {
      body: { label: "fixed" },
      idempotencyKey: "key-invalid",
    });
    expect(valid.status).toBe(201);
    expect(valid.headers.get("idempotent-replayed")).toBeNull();
    expect(await executions("fixed")).toBe(1);
  });

  it("scopes keys to the caller", async () => {
    const other = await app.request("POST", "/v1/api-keys", {
      body: { scope: "root", name: "other" },
    });
    const mine = await app.request("POST", "/test/executions", {
      body: { label: "scoped" },
      idempotencyKey: "key-shared",
    });
    const theirs = await app.request("POST", "/test/executions", {
      body: { label: "scoped" },
      idempotencyKey: "key-shared",
      auth: other.body.secret,
    });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(await executions("scoped")).toBe(2);
  });

  it("forgets a key after 24 hours", async () => {
    await app.request("POST", "/test/executions", {
      body: { label: "expiry" },
      idempotencyKey: "key-expiry",
    });
    await app.database.pool.query(
      "update idempotency_keys set created_at = created_at - interval '25 hours', expires_at = expires_at - interval '24 hours 1 second' where key = 'key-expiry'",
    );
    const again = await app.request("POST", "/test/executions", {
      body: { label: "expiry" },
      idempotencyKey: "key-expiry",
    });
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await executions("expiry")).toBe(2);
  });

  it("rejects a malformed key", async () => {
    const response = await app.request("POST", "/test/executions", {
      body: { label: "bad-key" },
      idempotencyKey: "x".repeat(256),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(await executions("bad-key")).toBe(0);
  });

  it("applies to real routes: creating an API key twice with one key creates one key", async () => {
    const body = { scope: "root", name: "idempotent-key" };
    const first = await app.request("POST", "/v1/api-keys", {
      body,
      idempotencyKey: "create-key-1",
    });
    const second = await app.request("POST", "/v1/api-keys", {
      body,
      idempotencyKey: "create-key-1",
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    const { rows } = await app.database.pool.query(
      "select count(*)::int as count from api_keys where name = 'idempotent-key'",
    );
    expect(rows[0].count).toBe(1);
  });
});
