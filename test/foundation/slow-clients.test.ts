import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/**
 * A client that sends its request a byte at a time cannot hold a connection open: the headers and the
 * whole request must arrive within their timeouts (short here), and open connections are capped.
 */
const requestTimeoutMs = 1500;
const headersTimeoutMs = 1000;
const maxConnections = 25;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    worker: false,
    environment: {
      ABONO_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
      ABONO_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      ABONO_MAX_CONNECTIONS: String(maxConnections),
    },
  });
});
afterAll(() => app.close());

interface Dripped {
  /** Everything the server wrote back. */
  answer: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Opens a connection, writes `head` at once, then one byte of `drip` every `everyMs` until the server
 * closes the connection (or `giveUpMs` pass, which fails the test).
 */
function drip({
  head,
  drip,
  everyMs = 200,
  giveUpMs = 10_000,
}: {
  head: string;
  drip: string;
  everyMs?: number;
  giveUpMs?: number;
}): Promise<Dripped> {
  const { hostname, port } = new URL(app.baseUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let position = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(head);
      timer = setInterval(() => {
        if (socket.writable) socket.write(drip[position++ % drip.length] ?? "x");
      }, everyMs);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the dripping connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({
        answer: Buffer.concat(chunks).toString("utf8"),
        closedAfterMs: Date.now() - started,
      });
    });
  });
}

function expectTimeoutAnswer(answer: string) {
  const [head = "", body = ""] = answer.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 408 /);
  expect(head.toLowerCase()).toContain("content-type: application/json");
  expect(JSON.parse(body)).toEqual({
    error: { code: "request_timeout", message: expect.stringContaining("did not arrive in time") },
  });
}

describe("slow requests are timed out", () => {
  it("a body dripped a byte at a time to the unauthenticated webhook URL is cut off with 408", async () => {
    const result = await drip({
      head:
        "POST /v1/webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Content-Length: 1000\r\n\r\n",
      drip: '{"padding":"',
    });
    expect(result.closedAfterMs).toBeLessThan(requestTimeoutMs + 2500);
    expectTimeoutAnswer(result.answer);
  });

  it("headers dripped a byte at a time are cut off", async () => {
    const result = await drip({
      head: "GET /health HTTP/1.1\r\nHost: x\r\n",
      drip: "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    });
    expect(result.closedAfterMs).toBeLessThan(headersTimeoutMs + 2500);
    expectTimeoutAnswer(result.answer);
  });

  it("twenty dripping clients are all cut off, and the service answers others meanwhile", async () => {
    const slow = Array.from({ length: 20 }, (_, index) =>
      drip({
        head:
          `POST /v1/webhooks/${index % 2 ? "paypal" : "stripe"} HTTP/1.1\r\nHost: x\r\n` +
          "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n",
        drip: "{",
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await app.request("GET", "/health", { auth: null });
    expect(health.status).toBe(200);
    const results = await Promise.all(slow);
    for (const result of results) {
      expect(result.closedAfterMs).toBeLessThan(requestTimeoutMs + 2500);
      expectTimeoutAnswer(result.answer);
    }
  });

  it("an authenticated route refuses a bad credential at once; its dripping connection is then cut off", async () => {
    const result = await drip({
      head:
        "POST /v1/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n" +
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n",
      drip: "{",
    });
    expect(result.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(result.closedAfterMs).toBeLessThan(requestTimeoutMs + 2500);
  });

  it("a request that arrives in time is served as usual", async () => {
    const response = await app.request("POST", "/v1/organizations", {
      body: { id: "in-time", name: "In time" },
    });
    expect([201, 409]).toContain(response.status);
  });
});

describe("open connections are capped", () => {
  it(`connections beyond ABONO_MAX_CONNECTIONS (${maxConnections}) are closed at once; freed, they are accepted again`, async () => {
    const { hostname, port } = new URL(app.baseUrl);
    const open = (): Promise<{ socket: Socket; closed: Promise<number> }> =>
      new Promise((resolve) => {
        const started = Date.now();
        const socket = connect({ host: hostname, port: Number(port) });
        const closed = new Promise<number>((done) =>
          socket.on("close", () => done(Date.now() - started)),
        );
        socket.on("error", () => {});
        socket.on("connect", () => resolve({ socket, closed }));
      });
    const held = [];
    for (let index = 0; index < maxConnections; index += 1) held.push(await open());
    // Let the server register all of them before the one over the cap.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = await open();
    expect(await extra.closed).toBeLessThan(500);
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map(({ closed }) => closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await app.request("GET", "/health", { auth: null });
    expect(health.status).toBe(200);
  });
});
