import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // A screen waited for with expect.poll gets as long as the browser tests' other waits (15 s): the
    // one-second default fails on a loaded machine although the screen is right.
    expect: { poll: { timeout: 15_000 } },
    // CI also writes a machine-readable summary, which .ci/run turns into a "N passed, N failed" line.
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".vitest-results.json" }]]
      : ["default"],
  },
});
