import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/** An OIDC issuer stand-in on 127.0.0.1: serves a JWKS and signs tokens with its private key. */
export async function startJwksServer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const server = http.createServer((request, response) => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    audience: "abono-test",
    async sign(
      claims: JWTPayload & Record<string, unknown>,
      {
        expiresIn = "10m",
        issuer: tokenIssuer = issuer,
        audience = "abono-test",
        key = privateKey,
      }: {
        expiresIn?: string | number;
        issuer?: string;
        audience?: string;
        key?: Parameters<SignJWT["sign"]>[0];
      } = {},
    ) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(tokenIssuer)
        .setAudience(audience)
        .setIssuedAt(typeof expiresIn === "number" ? expiresIn - 600 : undefined)
        .setExpirationTime(expiresIn)
        .sign(key);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
