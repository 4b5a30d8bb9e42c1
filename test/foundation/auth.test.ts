import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { principalFromClaims } from "../../src/auth/jwt.ts";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { insertBareOrganization } from "../helpers/bare-organization.ts";
import { startJwksServer } from "../helpers/jwks-server.ts";

let app: TestApp;
let issuer: Awaited<ReturnType<typeof startJwksServer>>;

beforeAll(async () => {
  issuer = await startJwksServer();
  app = await startTestApp({
    worker: false,
    environment: {
      ABONO_JWT_JWKS_URL: issuer.jwksUrl,
      ABONO_JWT_ISSUER: issuer.issuer,
      ABONO_JWT_AUDIENCE: issuer.audience,
      ABONO_JWT_ROOT_GROUPS: "platform-operators",
    },
  });
  // Organization keys need an existing organization.
  for (const id of ["org_a", "acme"]) await insertBareOrganization(app, id);
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

async function keysNamed(...names: string[]) {
  const { rows } = await app.database.pool.query(
    "select name, organization_id, created_by from api_keys where name = any($1) order by name",
    [names],
  );
  return rows;
}

async function createKey(body: Record<string, unknown>, auth: string = testRootKey) {
  return app.request("POST", "/v1/api-keys", { body, auth });
}

describe("API keys", () => {
  it("rejects a request without credentials with 401 unauthenticated", async () => {
    const response = await app.request("GET", "/v1/me", { auth: null });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("unauthenticated");
    expect(response.body.error.message).toMatch(/Authorization: Bearer/);
  });

  it("rejects an unknown key and a malformed Authorization header", async () => {
    const unknown = await app.request("GET", "/v1/me", { auth: "abono_sk_not-a-real-key" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("unauthenticated");

    const malformed = await app.request("GET", "/v1/me", {
      auth: null,
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error.message).toMatch(/Bearer/);
  });

  it("accepts the bootstrap root key from ABONO_ROOT_API_KEY", async () => {
    const response = await app.request("GET", "/v1/me");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: "api_key", root: true, organizationId: null });
  });

  it("stores keys hashed: the secret appears nowhere in the database", async () => {
    const created = await createKey({ scope: "root", name: "ops" });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^abono_sk_/);
    const rows = await app.database.pool.query("select * from api_keys where id = $1", [
      created.body.id,
    ]);
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
    expect(rows.rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const me = await app.request("GET", "/v1/me", { auth: secret });
    expect(me.body).toMatchObject({ id: created.body.id, root: true });
  });

  it("gives an organization-scoped key 403 on root routes and on other organizations", async () => {
    const created = await createKey({
      scope: "organization",
      name: "server",
      organizationId: "org_a",
    });
    expect(created.status).toBe(201);
    const orgKey: string = created.body.secret;

    const me = await app.request("GET", "/v1/me", { auth: orgKey });
    expect(me.body).toMatchObject({ root: false, organizationId: "org_a" });

    const list = await app.request("GET", "/v1/api-keys", { auth: orgKey });
    expect(list.status).toBe(403);
    expect(list.body.error.code).toBe("forbidden");

    const rootKey = await createKey({ scope: "root", name: "escalate" }, orgKey);
    expect(rootKey.status).toBe(403);
    expect(rootKey.body.error.code).toBe("forbidden");
    expect(await keysNamed("escalate")).toEqual([]);
  });

  it("rejects a revoked key", async () => {
    const created = await createKey({ scope: "root", name: "short-lived" });
    expect((await app.request("GET", "/v1/me", { auth: created.body.secret })).status).toBe(200);
    const revoked = await app.request("DELETE", `/v1/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await app.request("GET", "/v1/me", { auth: created.body.secret });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/revoked/);
  });

  it("lists keys with cursor pagination and never returns secrets", async () => {
    for (let index = 0; index < 3; index++)
      await createKey({ scope: "root", name: `page-${index}` });
    const first = await app.request("GET", "/v1/api-keys?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.hasMore).toBe(true);
    expect(first.body.data[0]).not.toHaveProperty("secret");
    const second = await app.request("GET", `/v1/api-keys?limit=2&cursor=${first.body.nextCursor}`);
    const firstIds = first.body.data.map((key: { id: string }) => key.id);
    for (const key of second.body.data) expect(firstIds).not.toContain(key.id);
    expect(second.body.data[0].id < first.body.data[1].id).toBe(true);
  });
});

describe("JWT", () => {
  it("accepts a valid token and maps the root custom claim to root", async () => {
    const token = await issuer.sign({ sub: "operator-1", root: true });
    const response = await app.request("GET", "/v1/me", { auth: token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: "user:operator-1", kind: "user", root: true });
    expect((await app.request("GET", "/v1/api-keys", { auth: token })).status).toBe(200);
  });

  it("grants root only for the boolean true, never a string or number that looks like it", async () => {
    for (const [index, value] of [
      "true",
      "TRUE",
      1,
      "1",
      "yes",
      ["true"],
      { root: true },
    ].entries()) {
      const token = await issuer.sign({ sub: `not-root-${index}`, root: value });
      const me = await app.request("GET", "/v1/me", { auth: token });
      expect(me.status).toBe(200);
      expect(me.body.root).toBe(false);
      expect((await app.request("GET", "/v1/api-keys", { auth: token })).status).toBe(403);
    }
  });

  it("maps a configured root group to root", async () => {
    const token = await issuer.sign({
      sub: "operator-2",
      "cognito:groups": ["platform-operators"],
    });
    expect((await app.request("GET", "/v1/me", { auth: token })).body.root).toBe(true);
  });

  it("maps group claims to organization roles and refuses root routes with 403", async () => {
    const token = await issuer.sign({
      sub: "user-1",
      "cognito:groups": ["org:acme:owner", "org:acme:billing_admin", "org:beta", "unrelated-group"],
    });
    const me = await app.request("GET", "/v1/me", { auth: token });
    expect(me.status).toBe(200);
    expect(me.body.root).toBe(false);
    const roles = Object.fromEntries(
      me.body.organizations.map((entry: { organizationId: string; roles: string[] }) => [
        entry.organizationId,
        entry.roles.sort(),
      ]),
    );
    expect(roles).toEqual({ acme: ["billing_admin", "owner"], beta: ["member"] });
    const list = await app.request("GET", "/v1/api-keys", { auth: token });
    expect(list.status).toBe(403);
    expect(list.body.error.code).toBe("forbidden");
  });

  it("lets an organization owner create keys for that organization only", async () => {
    const owner = await issuer.sign({ sub: "owner-1", "cognito:groups": ["org:acme:owner"] });
    const member = await issuer.sign({ sub: "member-1", "cognito:groups": ["org:acme:member"] });
    const own = await createKey(
      { scope: "organization", name: "acme server", organizationId: "acme" },
      owner,
    );
    expect(own.status).toBe(201);
    expect(own.body.createdBy).toBe("user:owner-1");
    const other = await createKey(
      { scope: "organization", name: "not-for-beta", organizationId: "beta" },
      owner,
    );
    expect(other.status).toBe(403);
    const asMember = await createKey(
      { scope: "organization", name: "not-by-a-member", organizationId: "acme" },
      member,
    );
    expect(asMember.status).toBe(403);
    expect(await keysNamed("acme server", "not-for-beta", "not-by-a-member")).toEqual([
      { name: "acme server", organization_id: "acme", created_by: "user:owner-1" },
    ]);
  });

  it("rejects an expired token with 401 and says why", async () => {
    const token = await issuer.sign(
      { sub: "user-2", root: true },
      { expiresIn: Math.floor(Date.now() / 1000) - 60 },
    );
    const response = await app.request("GET", "/v1/me", { auth: token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("unauthenticated");
    expect(response.body.error.message).toMatch(/expired/);
  });

  it("rejects a wrong issuer, a wrong audience and a foreign signature", async () => {
    const wrongIssuer = await issuer.sign(
      { sub: "u", root: true },
      { issuer: "https://evil.example" },
    );
    const wrongAudience = await issuer.sign({ sub: "u", root: true }, { audience: "other-app" });
    const { privateKey: foreignKey } = await generateKeyPair("RS256");
    const forged = await issuer.sign({ sub: "u", root: true }, { key: foreignKey });
    for (const token of [wrongIssuer, wrongAudience, forged]) {
      const response = await app.request("GET", "/v1/me", { auth: token });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("unauthenticated");
    }
  });

  it("rejects a subject PostgreSQL cannot store with 401, and ignores such groups and emails", async () => {
    const nul = await issuer.sign({ sub: "user\u0000x" });
    const refused = await app.request("GET", "/v1/me", { auth: nul });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/`sub` claim contains a NUL/);

    const odd = await issuer.sign({
      sub: "odd-claims",
      email: "odd\u0000@example.com",
      "cognito:groups": ["org:acme:owner", "org:be\u0000ta:owner", "org:gamma:\ud800"],
    });
    const me = await app.request("GET", "/v1/me", { auth: odd });
    expect(me.status).toBe(200);
    expect(me.body.organizations).toEqual([{ organizationId: "acme", roles: ["owner"] }]);
    const keys = await createKey({ scope: "organization", name: "k", organizationId: "acme" }, odd);
    expect(keys.status).toBe(201);
    const principal = principalFromClaims({
      claims: { sub: "odd-claims", email: "odd\u0000@example.com" },
      config: { rootClaim: "root", rootGroups: [], groupsClaim: "groups", groupRolePattern: /^$/ },
    });
    expect(principal.email).toBeNull();
  });

  it("rejects a token without a subject", async () => {
    const token = await issuer.sign({ root: true });
    const response = await app.request("GET", "/v1/me", { auth: token });
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/sub/);
  });
});

describe("JWT not configured", () => {
  it("answers 401 explaining that only API keys are accepted", async () => {
    const plain = await startTestApp({ worker: false });
    try {
      const token = await issuer.sign({ sub: "u", root: true });
      const response = await plain.request("GET", "/v1/me", { auth: token });
      expect(response.status).toBe(401);
      expect(response.body.error.message).toMatch(/not configured/);
    } finally {
      await plain.close();
    }
  });
});

describe("the API key cache", () => {
  it("belongs to one app: the same secret on another database is that database's key", async () => {
    const other = await startTestApp({ worker: false });
    try {
      const rootKeyId = async (test: TestApp) =>
        (
          await test.database.pool.query(
            "select id from api_keys where name = 'Root key from ABONO_ROOT_API_KEY'",
          )
        ).rows[0].id;
      const mine = await app.request("GET", "/v1/me");
      const theirs = await other.request("GET", "/v1/me");
      expect(mine.body.id).toBe(await rootKeyId(app));
      expect(theirs.body.id).toBe(await rootKeyId(other));
      expect(theirs.body.id).not.toBe(mine.body.id);
    } finally {
      await other.close();
    }
  });
});
