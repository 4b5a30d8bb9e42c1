import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importSPKI, jwtVerify } from "jose";

/**
 * A local fake of the Android Publisher API and Google's OAuth token endpoint for the official
 * `@googleapis/androidpublisher` client: a throwaway service account key whose JWT-bearer assertions are
 * verified with its public key (RS256), access tokens required on every API call, subscriptions held by
 * purchase token (`purchases.subscriptionsv2.get`), acknowledgements recorded; one-time products by
 * product and token (`purchases.products.get`, `:acknowledge`, `:consume`, a second consume refused as
 * Google does), consumptions recorded; voided purchases (`purchases.voidedpurchases.list`, filtered by
 * `startTime` and `type` as Google does, paged by `tokenPagination`, `voidedPageSize` to a page).
 */
export interface FakeGooglePlay {
  apiUrl: string;
  tokenUrl: string;
  serviceAccountKeyPath: string;
  packageName: string;
  purchases: Map<string, Record<string, unknown>>;
  acknowledged: string[];
  /** One-time purchases by `<productId>/<purchaseToken>`. */
  products: Map<string, Record<string, unknown>>;
  consumed: string[];
  /** Voided purchases as Google lists them; `subscription: true` marks a subscription's (listed for `type` 1). */
  voided: (Record<string, unknown> & { subscription?: boolean })[];
  voidedPageSize: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeGooglePlay({
  packageName = "com.abono.tests",
}: {
  packageName?: string;
} = {}): Promise<FakeGooglePlay> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = "abono-tests@abono-tests.iam.gserviceaccount.com";
  const serviceAccountKeyPath = join(
    tmpdir(),
    `abono-google-key-${process.pid}-${Date.now()}.json`,
  );
  writeFileSync(
    serviceAccountKeyPath,
    JSON.stringify({
      type: "service_account",
      project_id: "abono-tests",
      private_key_id: "test-key",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      client_email: clientEmail,
      client_id: "1",
      token_uri: "https://oauth2.googleapis.com/token",
    }),
  );
  const verificationKey = await importSPKI(
    publicKey.export({ type: "spki", format: "pem" }).toString(),
    "RS256",
  );
  const accessTokens = new Set<string>();
  const purchases = new Map<string, Record<string, unknown>>();
  const acknowledged: string[] = [];
  const products = new Map<string, Record<string, unknown>>();
  const consumed: string[] = [];
  const voided: FakeGooglePlay["voided"] = [];
  const fake = { voidedPageSize: 2 };
  const requests: string[] = [];
  const prefix = `/androidpublisher/v3/applications/${packageName}/purchases`;

  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    requests.push(`${request.method} ${url.pathname}`);
    if (request.method === "POST" && url.pathname === "/token") {
      const form = new URLSearchParams(body);
      try {
        const { payload } = await jwtVerify(form.get("assertion") ?? "", verificationKey, {
          issuer: clientEmail,
          audience: "https://oauth2.googleapis.com/token",
        });
        if (payload.scope !== "https://www.googleapis.com/auth/androidpublisher")
          throw new Error("scope");
      } catch (error) {
        send(400, { error: "invalid_grant", error_description: String(error) });
        return;
      }
      const accessToken = `ya29.test-${accessTokens.size + 1}`;
      accessTokens.add(accessToken);
      send(200, { access_token: accessToken, expires_in: 3600, token_type: "Bearer" });
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (!bearer || !accessTokens.has(bearer)) {
      send(401, {
        error: { code: 401, message: "Request had invalid authentication credentials." },
      });
      return;
    }
    const subscription = new RegExp(`^${prefix}/subscriptionsv2/tokens/([^/]+)$`).exec(
      url.pathname,
    );
    if (request.method === "GET" && subscription) {
      const purchase = purchases.get(decodeURIComponent(subscription[1] ?? ""));
      if (!purchase)
        send(404, { error: { code: 404, message: "The purchase token was not found." } });
      else send(200, { kind: "androidpublisher#subscriptionPurchaseV2", ...purchase });
      return;
    }
    const acknowledge = new RegExp(
      `^${prefix}/subscriptions/([^/]+)/tokens/([^/]+):acknowledge$`,
    ).exec(url.pathname);
    if (request.method === "POST" && acknowledge) {
      const token = decodeURIComponent(acknowledge[2] ?? "");
      const purchase = purchases.get(token);
      if (!purchase) {
        send(404, { error: { code: 404, message: "The purchase token was not found." } });
        return;
      }
      purchase.acknowledgementState = "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED";
      acknowledged.push(token);
      send(200, {});
      return;
    }
    if (request.method === "GET" && url.pathname === `${prefix}/voidedpurchases`) {
      const since = Number(url.searchParams.get("startTime") ?? 0);
      const type = Number(url.searchParams.get("type") ?? 0);
      const matching = voided.filter(
        (entry) =>
          Number(entry.voidedTimeMillis ?? 0) >= since && (type === 1 || !entry.subscription),
      );
      const start = Number(url.searchParams.get("token") ?? 0);
      const page = matching
        .slice(start, start + fake.voidedPageSize)
        .map(({ subscription: _subscription, ...entry }) => ({
          kind: "androidpublisher#voidedPurchase",
          ...entry,
        }));
      const next = start + fake.voidedPageSize;
      send(200, {
        voidedPurchases: page,
        ...(next < matching.length ? { tokenPagination: { nextPageToken: String(next) } } : {}),
      });
      return;
    }
    const product = new RegExp(
      `^${prefix}/products/([^/]+)/tokens/([^/:]+)(:acknowledge|:consume)?$`,
    ).exec(url.pathname);
    if (product) {
      const token = decodeURIComponent(product[2] ?? "");
      const found = products.get(`${decodeURIComponent(product[1] ?? "")}/${token}`);
      if (!found) {
        send(404, { error: { code: 404, message: "The purchase token was not found." } });
        return;
      }
      if (request.method === "GET" && !product[3]) {
        send(200, { kind: "androidpublisher#productPurchase", ...found });
        return;
      }
      if (request.method === "POST" && product[3] === ":acknowledge") {
        found.acknowledgementState = 1;
        send(200, {});
        return;
      }
      if (request.method === "POST" && product[3] === ":consume") {
        if (found.consumptionState === 1) {
          send(400, { error: { code: 400, message: "The product purchase is already consumed." } });
          return;
        }
        found.consumptionState = 1;
        found.acknowledgementState = 1;
        consumed.push(token);
        send(200, {});
        return;
      }
    }
    send(404, { error: { code: 404, message: `no route ${request.method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    get voidedPageSize() {
      return fake.voidedPageSize;
    },
    set voidedPageSize(size: number) {
      fake.voidedPageSize = size;
    },
    voided,
    apiUrl: origin,
    tokenUrl: `${origin}/token`,
    serviceAccountKeyPath,
    packageName,
    purchases,
    acknowledged,
    products,
    consumed,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
