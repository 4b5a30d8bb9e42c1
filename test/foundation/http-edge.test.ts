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

describe("error bodies stay small however many problems the input has", () => {
  const manyKeys = (count: number, value: unknown) =>
    Object.fromEntries(Array.from({ length: count }, (_, index) => [`unknown_${index}`, value]));
  const plan = (features: Record<string, unknown>) => ({
    id: "huge",
    name: "Huge",
    prices: [{ interval: "month", currency: "USD", unitAmount: 100 }],
    features,
  });

  it("reports the first schema issues and how many there were in all", async () => {
    const response = await app.request("POST", "/v1/plans", {
      body: plan(manyKeys(200_000, 1.5)),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(JSON.stringify(response.body).length).toBeLessThan(16_384);
    expect(response.body.error.details.issueCount).toBe(200_000);
    expect(response.body.error.details.issues).toHaveLength(20);
    expect(response.body.error.details.issues[0].path).toBe("body.features.unknown_0");
    expect(response.body.error.message).toMatch(/body\.features\.unknown_0: /);
    expect(response.body.error.message).toMatch(/and 199980 more/);
  });

  it("reports the first domain problems (unknown feature keys) and how many there were in all", async () => {
    const response = await app.request("POST", "/v1/plans", {
      body: plan(manyKeys(200_000, true)),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("validation_error");
    expect(JSON.stringify(response.body).length).toBeLessThan(16_384);
    expect(response.body.error.details.problemCount).toBe(200_000);
    expect(response.body.error.details.problems).toHaveLength(20);
    expect(response.body.error.message).toMatch(/unknown_0/);
    expect(response.body.error.message).toMatch(/and 199980 more/);
  });

  it("keeps every issue when there are few", async () => {
    const response = await app.request("POST", "/v1/plans", {
      body: plan(manyKeys(3, 1.5)),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.issues).toHaveLength(3);
    expect(response.body.error.details.issueCount).toBeUndefined();
    expect(response.body.error.message).not.toMatch(/more/);
  });
});
