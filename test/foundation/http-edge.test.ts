import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
});
afterAll(() => app.close());

/** Sends raw bytes on a fresh TCP connection and resolves with everything the server wrote back. */
function rawRequest(bytes: string): Promise<string> {
  const { hostname, port } = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
  });
}

function parseRaw(raw: string) {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

describe("malformed HTTP before routing", () => {
  for (const [name, bytes] of [
    ["a newline inside a header value", "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\nb\r\n\r\n"],
    ["a bad request line", "GET /health what HTTP/1.1 extra\r\nHost: x\r\n\r\n"],
    ["bytes that are not HTTP", "\u0001\u0002 nonsense\r\n\r\n"],
  ] as const) {
    it(`answers ${name} with 400 and the API's JSON error body`, async () => {
      const response = parseRaw(await rawRequest(bytes));
      expect(response.status).toBe(400);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      expect(response.headers.connection).toBe("close");
      expect(Number(response.headers["content-length"])).toBe(Buffer.byteLength(response.body));
      const body = JSON.parse(response.body);
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error.code).toBe("validation_error");
      expect(body.error.message).toMatch(/malformed HTTP request/);
    });
  }

  it("still serves well-formed requests", async () => {
    const response = await app.request("GET", "/health", { auth: null });
    expect(response.status).toBe(200);
  });
});
