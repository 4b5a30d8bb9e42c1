import { CommanderError } from "commander";
import { exitCodes } from "./command-context.ts";
import { createProgram } from "./program.ts";

/** Runs `abono <argv>` and resolves to its exit code. `abono` alone is `abono serve`. */
export async function runCli(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await createProgram().parseAsync(argv.length === 0 ? ["serve"] : [...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other parsing error is a usage error.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    throw error;
  }
  return Number(process.exitCode ?? exitCodes.ok);
}
