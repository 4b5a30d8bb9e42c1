import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * package.json overrides content-disposition (under @fastify/static) and cookie (under light-my-request)
 * with the newest versions whose engines allow Node 20.19. These run the code paths that use them.
 */
describe("overridden dependencies", () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "abono-overrides-"));
    await fs.writeFile(path.join(root, "invoice.txt"), "hello");
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it("@fastify/static writes Content-Disposition with content-disposition", async () => {
    const app = Fastify();
    await app.register(fastifyStatic, { root, serve: false });
    app.get("/download", (_request, reply) => reply.download("invoice.txt", "résumé 1.txt"));
    const response = await app.inject({ url: "/download" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-disposition"]).toBe(
      `attachment; filename="r?sum? 1.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.txt`,
    );
    await app.close();
  });

  it("light-my-request (fastify.inject) encodes request cookies with cookie", async () => {
    const app = Fastify();
    app.get("/cookies", (request) => ({ cookie: request.headers.cookie }));
    const response = await app.inject({ url: "/cookies", cookies: { session: "a b", other: "1" } });
    expect(response.json()).toEqual({ cookie: "session=a%20b; other=1" });
    await app.close();
  });
});
