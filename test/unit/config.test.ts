import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, environmentVariableNames, loadConfig } from "../../src/config.ts";

describe("loadConfig", () => {
  it("applies the README's defaults: embedded database, test mode on, 127.0.0.1:8080, free plan", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: path.resolve(".abono"),
      port: 8080,
      host: "127.0.0.1",
      testMode: true,
      freePlanId: "free",
      jwt: undefined,
    });
  });

  it("turns test mode off by default when DATABASE_URL is set, and lets it be forced on", () => {
    const url = "postgres://postgres@127.0.0.1:5432/abono";
    expect(loadConfig({ DATABASE_URL: url }).testMode).toBe(false);
    expect(loadConfig({ DATABASE_URL: url, ABONO_TEST_MODE: "true" }).testMode).toBe(true);
  });

  it("knows when a package manager's script runner (npm start) started it", () => {
    expect(loadConfig({}).startedByScriptRunner).toBe(false);
    expect(loadConfig({ npm_lifecycle_event: "start" }).startedByScriptRunner).toBe(true);
  });

  it("keeps the 60 s Idempotency-Key lease, shortened only in test mode by ABONO_TEST_IDEMPOTENCY_LEASE_MS", () => {
    const url = "postgres://postgres@127.0.0.1:5432/abono";
    expect(loadConfig({ DATABASE_URL: url }).idempotency).toEqual({
      leaseMs: 60_000,
      heartbeatMs: 15_000,
    });
    expect(
      loadConfig({
        DATABASE_URL: url,
        ABONO_TEST_MODE: "true",
        ABONO_TEST_IDEMPOTENCY_LEASE_MS: "1000",
      }).idempotency,
    ).toEqual({ leaseMs: 1_000, heartbeatMs: 250 });
    expect(() =>
      loadConfig({ DATABASE_URL: url, ABONO_TEST_IDEMPOTENCY_LEASE_MS: "1000" }),
    ).toThrow(/ABONO_TEST_IDEMPOTENCY_LEASE_MS: is for tests only and needs ABONO_TEST_MODE=true/);
  });

  it("honours ABONO_TEST_KILL_AFTER_COMMIT only in test mode", () => {
    const url = "postgres://postgres@127.0.0.1:5432/abono";
    expect(loadConfig({ DATABASE_URL: url }).killAfterCommitKey).toBeUndefined();
    expect(
      loadConfig({
        DATABASE_URL: url,
        ABONO_TEST_MODE: "true",
        ABONO_TEST_KILL_AFTER_COMMIT: "k-1",
      }).killAfterCommitKey,
    ).toBe("k-1");
    expect(() => loadConfig({ DATABASE_URL: url, ABONO_TEST_KILL_AFTER_COMMIT: "k-1" })).toThrow(
      /ABONO_TEST_KILL_AFTER_COMMIT: is for tests only and needs ABONO_TEST_MODE=true/,
    );
  });

  it("reports every bad value with the variable's name", () => {
    try {
      loadConfig({ PORT: "99999", DATABASE_URL: "mysql://x", ABONO_ROOT_API_KEY: "short" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT: must be between 0 and 65535 \(got "99999"\)/);
      expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\//);
      expect(message).toMatch(/ABONO_ROOT_API_KEY: must be "abono_sk_" followed by at least 24/);
      expect(message).not.toContain("short");
    }
  });

  it("accepts a root key only in the form that authenticates (abono_sk_ and 24+ characters)", () => {
    const key = `abono_sk_${"a1_-".repeat(6)}`;
    expect(loadConfig({ ABONO_ROOT_API_KEY: key }).rootApiKey).toBe(key);
    for (const refused of ["my-long-random-root-secret-123", "abono_sk_tooshort", `${key} x`]) {
      expect(() => loadConfig({ ABONO_ROOT_API_KEY: refused })).toThrow(
        /ABONO_ROOT_API_KEY: must be "abono_sk_" followed by at least 24 letters/,
      );
    }
  });

  it("says what is wrong with every variable once, in its own words, without echoing secrets", () => {
    const badValues = ["maybe", "-1", "0", "1.5", "100000", "not a url", "x".repeat(300)];
    let problemsSeen = 0;
    for (const name of environmentVariableNames) {
      for (const value of badValues) {
        let problems: string[] = [];
        try {
          loadConfig({ [name]: value });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          problems = (error as ConfigError).problems;
        }
        for (const problem of problems) {
          problemsSeen++;
          // One problem per bad value, naming the variable: what it must be, or which variables go with it.
          expect(problems).toHaveLength(1);
          if (!problem.startsWith(`${name}: must `)) {
            expect(problem).toContain(name);
            expect(problem).not.toMatch(/\(got /);
          }
          // The value is described at most once, and zod's generic wording never reaches the user.
          expect(problem.match(/\(got /g)?.length ?? 0).toBeLessThanOrEqual(1);
          expect(problem).not.toMatch(/Invalid input|Too small|Too big|expected (string|number)/);
          expect(problem.length).toBeLessThan(400);
          if (/SECRET|TOKEN|KEY|DATABASE_URL|SMTP_URL/.test(name) && value.length > 1) {
            expect(problem).not.toContain(value);
          }
        }
      }
    }
    expect(problemsSeen).toBeGreaterThan(60);
    expect(() => loadConfig({ ABONO_TEST_MODE: "maybe" })).toThrow(
      /^Invalid configuration:\n {2}- ABONO_TEST_MODE: must be true or false \(got "maybe"\)$/,
    );
  });

  it("reports a rule between variables once, without a misleading value", () => {
    const problems = (environment: Record<string, string>) => {
      try {
        loadConfig(environment);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ ABONO_FOUNDERS_SEATS: "10" })).toEqual([
      "ABONO_FOUNDERS_OPENS_AT, ABONO_FOUNDERS_CLOSES_AT and ABONO_FOUNDERS_SEATS open the founders program together",
    ]);
    // A variable that is wrong on its own is reported by its own rule only.
    expect(problems({ ABONO_FOUNDERS_SEATS: "0" })).toEqual([
      'ABONO_FOUNDERS_SEATS: must be a whole number of seats from 1 to 1000000000 (got "0")',
    ]);
  });

  it("sets the HTTP edge's timeouts, connection cap, proxy trust and webhook limits", () => {
    expect(loadConfig({}).http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      connectionTimeoutMs: 120_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1000,
      trustProxy: false,
      webhooks: { bodyLimitBytes: 262_144, ratePerMinute: 1200 },
    });
    expect(loadConfig({ ABONO_TRUST_PROXY: "2" }).http.trustProxy).toBe(2);
    expect(loadConfig({ ABONO_TRUST_PROXY: "true" }).http.trustProxy).toBe(true);
    expect(loadConfig({ ABONO_TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).http.trustProxy).toEqual([
      "10.0.0.0/8",
      "127.0.0.1",
    ]);
    expect(() =>
      loadConfig({ ABONO_REQUEST_TIMEOUT_MS: "5000", ABONO_HEADERS_TIMEOUT_MS: "6000" }),
    ).toThrow("ABONO_HEADERS_TIMEOUT_MS must not be longer than ABONO_REQUEST_TIMEOUT_MS");
    expect(() => loadConfig({ ABONO_MAX_CONNECTIONS: "0" })).toThrow(
      "ABONO_MAX_CONNECTIONS: must be a whole number of connections from 1 to 1000000",
    );
    expect(() => loadConfig({ ABONO_TRUST_PROXY: "maybe" })).toThrow("ABONO_TRUST_PROXY");
  });

  it("requires the JWKS URL and the issuer together, and parses the role mapping", () => {
    expect(() => loadConfig({ ABONO_JWT_ISSUER: "https://issuer" })).toThrow(/set together/);
    const config = loadConfig({
      ABONO_JWT_JWKS_URL: "https://issuer/.well-known/jwks.json",
      ABONO_JWT_ISSUER: "https://issuer",
      ABONO_JWT_AUDIENCE: "a, b",
      ABONO_JWT_ROOT_GROUPS: "ops,admins",
    });
    expect(config.jwt?.audience).toEqual(["a", "b"]);
    expect(config.jwt?.rootGroups).toEqual(["ops", "admins"]);
    expect(config.jwt?.groupRolePattern.exec("org:acme:owner")?.groups).toMatchObject({
      organization: "acme",
      role: "owner",
    });
  });

  it("rejects a group pattern without an organization group", () => {
    expect(() => loadConfig({ ABONO_JWT_GROUP_ROLE_PATTERN: "^(.*)$" })).toThrow(/organization/);
  });

  it("turns each payment provider on with its credentials and validates them at boot", () => {
    const none = loadConfig({});
    expect(none.providers).toMatchObject({
      publicUrl: "http://127.0.0.1:8080",
      checkoutSuccessUrl: "http://127.0.0.1:8080/checkout/success",
      stripe: undefined,
      mercadopago: undefined,
      paypal: undefined,
    });
    const all = loadConfig({
      ABONO_PUBLIC_URL: "https://billing.example.com/",
      ABONO_STRIPE_SECRET_KEY: "sk_live_abc123",
      ABONO_STRIPE_WEBHOOK_SECRET: "whsec_abc",
      ABONO_MERCADOPAGO_ACCESS_TOKEN: "APP_USR-1234567890",
      ABONO_MERCADOPAGO_WEBHOOK_SECRET: "mp-secret-123",
      ABONO_PAYPAL_CLIENT_ID: "client",
      ABONO_PAYPAL_CLIENT_SECRET: "secret",
      ABONO_PAYPAL_ENVIRONMENT: "production",
    });
    expect(all.providers.publicUrl).toBe("https://billing.example.com");
    expect(all.providers.stripe).toMatchObject({
      secretKey: "sk_live_abc123",
      webhookSecret: "whsec_abc",
    });
    expect(all.providers.mercadopago?.webhookSecret).toBe("mp-secret-123");
    expect(all.providers.paypal).toMatchObject({ environment: "production", webhookId: undefined });

    const problems = (environment: Record<string, string>) => {
      try {
        loadConfig(environment);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    };
    expect(problems({ ABONO_STRIPE_SECRET_KEY: "pk_live_publishable" })[0]).toContain(
      "ABONO_STRIPE_SECRET_KEY: must be a Stripe secret key",
    );
    expect(problems({ ABONO_STRIPE_WEBHOOK_SECRET: "whsec_x" })[0]).toContain(
      "ABONO_STRIPE_WEBHOOK_SECRET needs ABONO_STRIPE_SECRET_KEY",
    );
    expect(problems({ ABONO_PAYPAL_CLIENT_ID: "only-the-id" })[0]).toContain(
      "ABONO_PAYPAL_CLIENT_ID and ABONO_PAYPAL_CLIENT_SECRET go together",
    );
    expect(problems({ ABONO_PAYPAL_ENVIRONMENT: "live" })[0]).toContain("sandbox or production");
    expect(problems({ ABONO_SMTP_URL: "http://mail" })[0]).toContain("smtp://");
  });
});
