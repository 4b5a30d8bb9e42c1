import { type Config, ConfigError, loadConfig } from "../config.ts";
import { AbonoError } from "../errors.ts";
import { createLogger, type Logger } from "../logger.ts";

/** What every command that touches the database gets: the configuration and a logger. */
export interface CommandContext {
  config: Config;
  logger: Logger;
}

/** Exit codes: 0 done, 1 the command failed, 2 a usage or configuration error. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Turns a command's action into a commander action. The configuration is read only here, when the action
 * runs, so `--help` and usage errors never read it nor touch anything. A bad configuration exits 2 with the
 * problems; an expected failure (`AbonoError`, e.g. an organization that does not exist) exits 1 with its
 * message rather than a stack trace. The action's result becomes the process exit code.
 */
export function withContext<Args extends unknown[]>(
  action: (context: CommandContext, ...args: Args) => Promise<number>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    let config: Config;
    try {
      config = loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        process.exitCode = exitCodes.usage;
        return;
      }
      throw error;
    }
    const logger = createLogger({ level: config.logLevel });
    try {
      process.exitCode = await action({ config, logger }, ...args);
    } catch (error) {
      if (error instanceof AbonoError) {
        console.error(`Error (${error.code}): ${error.message}`);
        process.exitCode = exitCodes.failed;
        return;
      }
      throw error;
    }
  };
}
