import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

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

  it("reports every bad value with the variable's name", () => {
    try {
      loadConfig({ PORT: "99999", DATABASE_URL: "mysql://x", ABONO_ROOT_API_KEY: "short" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT: must be between 0 and 65535 \(got "99999"\)/);
      expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\//);
      expect(message).toMatch(/ABONO_ROOT_API_KEY: must be at least 24 characters/);
    }
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
