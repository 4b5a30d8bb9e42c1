import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { announceGeneratedRootKey } from "../../src/cli/root-key-notice.ts";
import { createLogger } from "../../src/logger.ts";

const secret = "abono_sk_generated_for_this_test_0123456789abcdef";
let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "abono-root-key-"));
});
afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

function capture(isTTY: boolean) {
  let text = "";
  return {
    stream: { isTTY, write: (chunk: string) => (text += chunk) },
    text: () => text,
  };
}

describe("announceGeneratedRootKey", () => {
  it("prints the key on a terminal and writes no file", async () => {
    const stdout = capture(true);
    const outcome = await announceGeneratedRootKey({
      secret,
      dataDir,
      logger: createLogger({ level: "silent" }),
      stdout: stdout.stream,
    });
    expect(outcome).toEqual({ printed: true });
    expect(stdout.text()).toMatch(new RegExp(`^\\s+${secret}$`, "m"));
    expect(await fs.readdir(dataDir)).toEqual([]);
  });

  it("writes the key to an owner-only file when stdout is not a terminal, and logs only where", async () => {
    const stdout = capture(false);
    // An earlier file with wider permissions is replaced, not reused.
    const file = path.join(dataDir, "root-api-key");
    await fs.writeFile(file, "old", { mode: 0o644 });
    const logged: string[] = [];
    const logger = createLogger({ level: "info" });
    const original = logger.warn.bind(logger);
    logger.warn = ((object: unknown, message: string) => {
      logged.push(JSON.stringify({ object, message }));
      return original(object as object, message);
    }) as typeof logger.warn;
    const outcome = await announceGeneratedRootKey({
      secret,
      dataDir,
      logger,
      stdout: stdout.stream,
    });
    expect(outcome).toEqual({ printed: false, file });
    expect(stdout.text()).toBe("");
    expect(await fs.readFile(file, "utf8")).toBe(`${secret}\n`);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(logged.join("\n")).toContain(file);
    expect(logged.join("\n")).not.toContain(secret);
  });
});
