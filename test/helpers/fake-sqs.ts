import { createHash, createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SqsMessage {
  queueUrl: string;
  body: string;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  attributes: Record<string, string>;
}

const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();

/**
 * Checks an AWS Signature Version 4 from the request as received: recomputes the canonical request and
 * the signature with the known secret, and compares. Returns why it does not match, or null.
 */
function checkSignature({
  method,
  path,
  headers,
  body,
  credentials,
  region,
}: {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}): string | null {
  const authorization = String(headers.authorization ?? "");
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/sqs\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return `malformed Authorization: ${authorization}`;
  const [, keyId, date, signedRegion, signedHeaders = "", signature] = match;
  if (keyId !== credentials.accessKeyId) return `unknown access key ${keyId}`;
  if (signedRegion !== region) return `signed for region ${signedRegion}`;
  const amzDate = String(headers["x-amz-date"] ?? "");
  if (!amzDate.startsWith(date ?? "-")) return "x-amz-date does not match the credential scope";
  const names = signedHeaders.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) return "host or date not signed";
  const [pathname = "/", query = ""] = path.split("?");
  const canonical = [
    method,
    pathname,
    query.split("&").filter(Boolean).sort().join("&"),
    ...names.map(
      (name) =>
        `${name}:${String(headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}`,
    ),
    "",
    signedHeaders,
    String(headers["x-amz-content-sha256"] ?? sha256(body)),
  ].join("\n");
  const scope = `${date}/${region}/sqs/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ""), region), "sqs"),
    "aws4_request",
  );
  const expected = createHmac("sha256", key).update(toSign).digest("hex");
  return expected === signature ? null : "signature mismatch";
}

/**
 * A stand-in for Amazon SQS on 127.0.0.1, speaking its AWS JSON 1.0 protocol
 * (`X-Amz-Target: AmazonSQS.SendMessage`). Every request's SigV4 signature is verified with the given
 * credentials (a bad one answers 403 like SQS); FIFO messages are deduplicated by their deduplication id.
 * The first `failNext` sends answer 500.
 */
export async function startFakeSqs({
  credentials,
  region = "us-east-1",
}: {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region?: string;
}) {
  const messages: SqsMessage[] = [];
  const refusedSignatures: string[] = [];
  const deduplicated = new Set<string>();
  const state = { failNext: 0, sends: 0 };
  const server = http.createServer((request, response) => {
    let raw = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      const reply = (status: number, payload: unknown, type?: string) => {
        response.writeHead(status, {
          "content-type": "application/x-amz-json-1.0",
          ...(type ? { "x-amzn-query-error": `${type};Sender` } : {}),
        });
        response.end(JSON.stringify(payload));
      };
      const problem = checkSignature({
        method: request.method ?? "",
        path: request.url ?? "/",
        headers: request.headers,
        body: raw,
        credentials,
        region,
      });
      if (problem) {
        refusedSignatures.push(problem);
        return reply(
          403,
          { __type: "com.amazon.coral.service#InvalidSignatureException", message: problem },
          "InvalidSignatureException",
        );
      }
      if (request.headers["x-amz-target"] !== "AmazonSQS.SendMessage") {
        return reply(400, { __type: "com.amazonaws.sqs#UnsupportedOperation", message: "no" });
      }
      state.sends += 1;
      if (state.failNext > 0) {
        state.failNext -= 1;
        return reply(500, { __type: "com.amazonaws.sqs#InternalError", message: "injected" });
      }
      const input = JSON.parse(raw) as {
        QueueUrl: string;
        MessageBody: string;
        MessageGroupId?: string;
        MessageDeduplicationId?: string;
        MessageAttributes?: Record<string, { StringValue: string }>;
      };
      const dedupe = input.MessageDeduplicationId;
      if (dedupe === undefined || !deduplicated.has(dedupe)) {
        if (dedupe !== undefined) deduplicated.add(dedupe);
        messages.push({
          queueUrl: input.QueueUrl,
          body: input.MessageBody,
          groupId: input.MessageGroupId,
          deduplicationId: dedupe,
          attributes: Object.fromEntries(
            Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [
              name,
              value.StringValue,
            ]),
          ),
        });
      }
      reply(200, {
        MD5OfMessageBody: createHash("md5").update(input.MessageBody).digest("hex"),
        MessageId: randomUUID(),
        ...(input.MessageGroupId ? { SequenceNumber: String(messages.length) } : {}),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    queueUrl: (name: string) => `${origin}/123456789012/${name}`,
    messages,
    refusedSignatures,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
