import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerAudit } from "./audit.ts";
import { registerBillingRun } from "./billing-run.ts";
import { registerEntitlements } from "./entitlements.ts";
import { registerKeys } from "./keys.ts";
import { registerMigrate } from "./migrate.ts";
import { registerSeed } from "./seed.ts";
import { registerServe } from "./serve.ts";

/** Each command lives in its own file under src/cli/ and adds itself here, in the order `--help` lists. */
const commands: readonly ((program: Command) => void)[] = [
  registerServe,
  registerMigrate,
  registerKeys,
  registerBillingRun,
  registerSeed,
  registerAudit,
  registerEntitlements,
];

const { version } = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as { version: string };

/** The `abono` command line: commander parses it; each command's action reads the configuration. */
export function createProgram(): Command {
  const program = new Command("abono")
    .description("Abono: subscription billing and entitlements (API, worker and operator commands)")
    .version(version, "-v, --version", "print the version and exit")
    .helpOption("-h, --help", "show the usage of this command and exit")
    .helpCommand("help [command]", "show the usage of a command and exit")
    .addHelpText("after", "\nConfiguration comes from environment variables; see README.md.")
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  forEachCommand(program, (command) =>
    command.configureOutput({
      outputError: (message, write) => write(rephrase(command, message)),
    }),
  );
  return program;
}

function forEachCommand(command: Command, visit: (command: Command) => void) {
  visit(command);
  for (const child of command.commands) forEachCommand(child, visit);
}

/** commander's "error: unknown option '--x'" as Abono words its messages; unknown commands list the known. */
function rephrase(command: Command, message: string): string {
  const unknownCommand = /^error: unknown command '([^']*)'/.exec(message);
  if (unknownCommand) {
    const available = command.commands
      .map((child) => child.name())
      .filter((name) => name !== "help");
    return `Unknown command "${unknownCommand[1]}" (available: ${available.join(", ")}).\n`;
  }
  const text = message.replace(/^error: /, "");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
