import { execFileSync } from "node:child_process";
import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtVerify } from "jose";

/**
 * A throwaway App Store signing chain made for a test (root CA → intermediate with Apple's WWDR extension
 * 1.2.840.113635.100.6.2.1 → leaf with Apple's App Store receipt-signing extension 1.2.840.113635.100.6.11.1),
 * P-256 keys valid from 30 days ago to 30 days ahead, and a signer of JWS in Apple's format (ES256, `x5c` header of
 * leaf, intermediate, root). `withoutAppleExtensions` leaves both extensions out.
 */
export interface AppleTestChain {
  /** Where its keys and certificates are (another chain may be issued under this one's root). */
  dir: string;
  /** DER of the root certificate: what `ABONO_APPLE_ROOT_CERTIFICATES` points at. */
  rootPath: string;
  x5c: string[];
  leafKey: KeyObject;
}

export function createAppleTestChain({
  withoutAppleExtensions = false,
  underRootOf,
}: {
  withoutAppleExtensions?: boolean;
  /** Issue the intermediate and leaf under this chain's root (a trusted root) instead of a new one. */
  underRootOf?: AppleTestChain;
} = {}): AppleTestChain {
  const dir = mkdtempSync(join(tmpdir(), "abono-apple-chain-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = (name: string) =>
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  for (const name of ["intermediate", "leaf"]) key(name);
  if (underRootOf) {
    for (const file of ["root.key", "root.pem"]) {
      writeFileSync(join(dir, file), readFileSync(join(underRootOf.dir, file)));
    }
  } else {
    key("root");
  }
  const appleExtension = (oid: string) => (withoutAppleExtensions ? "" : `${oid} = ASN1:NULL\n`);
  writeFileSync(
    join(dir, "extensions.cnf"),
    [
      "[root]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign",
      "[intermediate]",
      "basicConstraints = critical,CA:TRUE,pathlen:0",
      "keyUsage = critical,keyCertSign,cRLSign",
      appleExtension("1.2.840.113635.100.6.2.1"),
      "[leaf]",
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature",
      appleExtension("1.2.840.113635.100.6.11.1"),
    ].join("\n"),
  );
  // `openssl ca` can date certificates: valid from 30 days ago (old signedDates still verify, so a stale
  // notification is refused for its age alone) for 60 days.
  const stamp = (offsetDays: number) =>
    new Date(Date.now() + offsetDays * 86_400_000)
      .toISOString()
      .replace(/[-:T]/g, "")
      .slice(0, 14)
      .concat("Z");
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir",
      "serial = $dir/serial",
      "default_md = sha256",
      "policy = anything",
      "unique_subject = no",
      "copy_extensions = none",
      "[anything]",
      "commonName = supplied",
      "organizationName = optional",
    ].join("\n"),
  );
  const issue = (name: string, issuer: string | null, subject: string) => {
    openssl("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
    openssl(
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-in",
      `${name}.csr`,
      "-out",
      `${name}.pem`,
      "-startdate",
      stamp(-30),
      "-enddate",
      stamp(30),
      "-notext",
      ...(issuer
        ? ["-cert", `${issuer}.pem`, "-keyfile", `${issuer}.key`]
        : ["-selfsign", "-keyfile", `${name}.key`]),
      "-extfile",
      "extensions.cnf",
      "-extensions",
      name,
    );
  };
  if (!underRootOf) issue("root", null, "/CN=Test Apple Root CA/O=Abono tests");
  issue("intermediate", "root", "/CN=Test Apple WWDR CA/O=Abono tests");
  issue("leaf", "intermediate", "/CN=Test App Store Signing/O=Abono tests");
  const der = (name: string) => openssl("x509", "-in", `${name}.pem`, "-outform", "DER");
  writeFileSync(join(dir, "root.der"), der("root"));
  return {
    dir,
    rootPath: join(dir, "root.der"),
    x5c: ["leaf", "intermediate", "root"].map((name) => der(name).toString("base64")),
    leafKey: createPrivateKey(readFileSync(join(dir, "leaf.key"))),
  };
}

/** A JWS the way Apple signs: ES256 over `header.payload`, the chain in `x5c`. */
export function signAppleJws(chain: AppleTestChain, payload: object): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "ES256", x5c: chain.x5c })}.${encode(payload)}`;
  const signature = sign("sha256", Buffer.from(signingInput), {
    key: chain.leafKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${signingInput}.${signature.toString("base64url")}`;
}

export const appleBundleId = "com.abono.tests";
export const appleAppAppleId = 1234567890;

export interface AppleTransactionFields {
  originalTransactionId: string;
  transactionId: string;
  productId: string;
  appAccountToken?: string | undefined;
  purchaseDate: number;
  expiresDate?: number;
  signedDate: number;
  price?: number;
  currency?: string;
  type?: string;
  offerType?: number;
  offerDiscountType?: string;
  revocationDate?: number;
  revocationReason?: number;
}

/** A `{signedPayload}` body for `POST /v1/webhooks/apple`, signed with `chain`. */
export function appleNotificationBody({
  chain,
  notificationType,
  subtype,
  signedDate,
  notificationUUID = randomUUID(),
  transaction,
  renewalInfo,
  environment = "Production",
  bundleId = appleBundleId,
}: {
  chain: AppleTestChain;
  notificationType: string;
  subtype?: string;
  signedDate: number;
  notificationUUID?: string;
  transaction?: AppleTransactionFields;
  renewalInfo?: Record<string, unknown>;
  environment?: string;
  bundleId?: string;
}): { signedPayload: string } {
  const common = { bundleId, environment };
  const data: Record<string, unknown> = {
    ...common,
    appAppleId: appleAppAppleId,
    bundleVersion: "1.0",
    status: 1,
  };
  if (transaction) {
    data.signedTransactionInfo = signAppleJws(chain, {
      ...common,
      type: "Auto-Renewable Subscription",
      inAppOwnershipType: "PURCHASED",
      quantity: 1,
      originalPurchaseDate: transaction.purchaseDate,
      transactionReason: "PURCHASE",
      storefront: "USA",
      storefrontId: "143441",
      ...transaction,
    });
    data.signedRenewalInfo = signAppleJws(chain, {
      environment,
      originalTransactionId: transaction.originalTransactionId,
      productId: transaction.productId,
      autoRenewProductId: transaction.productId,
      autoRenewStatus: 1,
      signedDate: transaction.signedDate,
      recentSubscriptionStartDate: transaction.purchaseDate,
      ...renewalInfo,
    });
  }
  return {
    signedPayload: signAppleJws(chain, {
      notificationType,
      ...(subtype ? { subtype } : {}),
      notificationUUID,
      data,
      version: "2.0",
      signedDate,
    }),
  };
}

/**
 * A local fake of the App Store Server API's `GET /inApps/v1/subscriptions/{transactionId}`
 * (getAllSubscriptionStatuses): requests must carry an ES256 bearer token signed with the throwaway API key
 * (issuer, key id, audience `appstoreconnect-v1`, bundle id), and answers what `statuses` holds, each
 * transaction and renewal info signed with `chain`.
 */
export interface FakeAppStoreApi {
  apiUrl: string;
  privateKeyPath: string;
  issuerId: string;
  keyId: string;
  /** original transaction id → Apple status (1–5), transaction and renewal info to sign. */
  statuses: Map<
    string,
    { status: number; transaction: AppleTransactionFields; renewalInfo?: Record<string, unknown> }
  >;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeAppStoreApi(chain: AppleTestChain): Promise<FakeAppStoreApi> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const dir = mkdtempSync(join(tmpdir(), "abono-apple-api-"));
  const privateKeyPath = join(dir, "AuthKey_TESTKEY123.p8");
  writeFileSync(privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }));
  const issuerId = "57246542-96fe-1a63-e053-0824d011072a";
  const keyId = "TESTKEY123";
  const statuses: FakeAppStoreApi["statuses"] = new Map();
  const requests: string[] = [];
  const server = http.createServer(async (request, response) => {
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    requests.push(`${request.method} ${url.pathname}`);
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    try {
      const { payload, protectedHeader } = await jwtVerify(bearer, publicKey, {
        issuer: issuerId,
        audience: "appstoreconnect-v1",
      });
      if (protectedHeader.kid !== keyId || payload.bid !== appleBundleId)
        throw new Error("key or bundle");
    } catch {
      send(401, { errorCode: 4010000, errorMessage: "Unauthenticated" });
      return;
    }
    const match = /^\/inApps\/v1\/subscriptions\/([^/]+)$/.exec(url.pathname);
    const found = match ? statuses.get(decodeURIComponent(match[1] ?? "")) : undefined;
    if (!match || !found) {
      send(404, { errorCode: 4040010, errorMessage: "Transaction id not found." });
      return;
    }
    const body = appleNotificationBody({
      chain,
      notificationType: "UNUSED",
      signedDate: Date.now(),
      transaction: found.transaction,
      ...(found.renewalInfo ? { renewalInfo: found.renewalInfo } : {}),
    });
    const data = JSON.parse(
      Buffer.from(body.signedPayload.split(".")[1] ?? "", "base64url").toString(),
    ).data;
    send(200, {
      environment: "Production",
      bundleId: appleBundleId,
      appAppleId: appleAppAppleId,
      data: [
        {
          subscriptionGroupIdentifier: "20000001",
          lastTransactions: [
            {
              status: found.status,
              originalTransactionId: found.transaction.originalTransactionId,
              signedTransactionInfo: data.signedTransactionInfo,
              signedRenewalInfo: data.signedRenewalInfo,
            },
          ],
        },
      ],
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    privateKeyPath,
    issuerId,
    keyId,
    statuses,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
