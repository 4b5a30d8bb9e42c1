import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { startJwksServer } from "./jwks-server.ts";

export type TestIssuer = Awaited<ReturnType<typeof startJwksServer>>;

/**
 * A test app that accepts JWTs from a local issuer (JWKS on 127.0.0.1), with the demo catalog loaded and
 * no worker: the setup of the access-control and root tests.
 */
export async function startJwtTestApp(): Promise<{ app: TestApp; issuer: TestIssuer }> {
  const issuer = await startJwksServer();
  const app = await startTestApp({
    worker: false,
    environment: {
      ABONO_JWT_JWKS_URL: issuer.jwksUrl,
      ABONO_JWT_ISSUER: issuer.issuer,
      ABONO_JWT_AUDIENCE: issuer.audience,
    },
  });
  await seedDemo({ db: app.server.connection.db, now: new Date() });
  return { app, issuer };
}
