import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const cliPath = path.resolve(import.meta.dirname, "../../bin/abono.js");

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/**
 * The variables of a faked clock (libfaketime, used by `npm run test:future`): a child must read the same
 * clock as the test that spawns it.
 */
export function fakeClockEnvironment(): Record<string, string> {
  const names = ["LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "DONT_FAKE_MONOTONIC"];
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] ? [[name, process.env[name] ?? ""]] : [])),
  );
}

/**
 * Runs the `abono` CLI as a child process with exactly the given environment (plus PATH, HOME and a
 * faked clock's variables).
 */
export function runCli(args: string[], environment: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...fakeClockEnvironment(),
      ...environment,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`Did not see ${pattern} in the output:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/**
 * Tests that start CLI or service processes check what the processes do, not how fast: each start compiles
 * TypeScript and may take several seconds on a busy machine, so such tests get this much time.
 */
export const processTestTimeout = 120_000;
