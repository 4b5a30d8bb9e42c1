import type { Command } from "commander";
import type { Logger } from "../logger.ts";
import { isCatalogEmpty } from "../seeds/seed-demo.ts";
import { startServer } from "../server.ts";
import { type CommandContext, exitCodes, withContext } from "./command-context.ts";
import { announceGeneratedRootKey } from "./root-key-notice.ts";

export function registerServe(program: Command) {
  program
    .command("serve")
    .description(
      "Run migrations, then the API, the worker and the scheduler until SIGINT or SIGTERM (what `abono` alone runs)",
    )
    .action(withContext((context) => runService({ ...context, http: true })));
  program
    .command("worker")
    .description("Run migrations, then only the worker and the scheduler (no HTTP)")
    .action(withContext((context) => runService({ ...context, http: false })));
}

async function runService({ config, logger, http }: CommandContext & { http: boolean }) {
  let rootKeyNotice: Promise<unknown> = Promise.resolve();
  const server = await startServer({
    config,
    logger,
    http,
    onRootKeyGenerated: (secret) => {
      rootKeyNotice = announceGeneratedRootKey({ secret, dataDir: config.dataDir, logger });
    },
  });
  await rootKeyNotice;
  if (await isCatalogEmpty(server.connection.db)) {
    console.log(
      "\n  The catalog is empty. Load a demo catalog (plans free … enterprise, add-ons, packs, coupons) with:\n\n    npx abono seed demo\n",
    );
  }
  logger.info(
    { url: server.url, testMode: config.testMode, embedded: server.connection.embedded !== null },
    http ? `Abono is listening on ${server.url}` : "Abono worker is running",
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (reason: string) => {
      if (stopping) {
        logger.warn(`${reason} again; exiting without waiting`);
        process.exit(exitCodes.failed);
      }
      stopping = true;
      stopWatchingParent();
      logger.info(`${reason}; draining HTTP, stopping the worker and the database`);
      server.stop().then(
        () => {
          logger.info("Stopped cleanly");
          resolve(exitCodes.ok);
        },
        (error: unknown) => {
          logger.error({ err: error }, "Shutdown failed");
          resolve(exitCodes.failed);
        },
      );
    };
    process.on("SIGINT", () => shutdown("Received SIGINT"));
    process.on("SIGTERM", () => shutdown("Received SIGTERM"));
    const stopWatchingParent = watchScriptRunner({
      enabled: config.startedByScriptRunner,
      logger,
      onGone: () => shutdown("The npm process that started this one is gone"),
    });
  });
}

/**
 * Started by `npm start` (or another package manager's script runner, which all set
 * npm_lifecycle_event), this process must not outlive the runner: if the runner is killed outright
 * (SIGKILL, so it cannot forward a signal), this process is reparented, and stops as on SIGTERM.
 * Outside a script runner nothing is watched, so a deliberately detached `abono serve` keeps running.
 */
function watchScriptRunner({
  enabled,
  logger,
  onGone,
}: {
  enabled: boolean;
  logger: Logger;
  onGone: () => void;
}) {
  if (!enabled) return () => {};
  const runner = process.ppid;
  logger.debug({ runner }, "Stopping when the script runner that started this process exits");
  const timer = setInterval(() => {
    if (process.ppid !== runner) onGone();
  }, 250);
  timer.unref();
  return () => clearInterval(timer);
}
