import type { Command } from "commander";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { exitCodes, withContext } from "./command-context.ts";

export function registerMigrate(program: Command) {
  program
    .command("migrate")
    .description("Apply database migrations (Abono's and the worker's) and exit")
    .action(
      withContext(async ({ config, logger }) => {
        const connection = await connect({ config, logger, maxConnections: 2 });
        try {
          await migrateDatabase(connection);
          logger.info("Migrations applied");
          return exitCodes.ok;
        } finally {
          await connection.close();
        }
      }),
    );
}
