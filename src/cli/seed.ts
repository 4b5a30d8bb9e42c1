import type { Command } from "commander";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { seeds } from "../seeds/seed-demo.ts";
import { exitCodes, withContext } from "./command-context.ts";

const descriptions: Record<keyof typeof seeds, string> = {
  demo: "Load the demo catalog (plans free … enterprise, add-ons, packs, coupons); safe to repeat",
};

export function registerSeed(program: Command) {
  const seed = program.command("seed").description("Load a catalog into the database");
  for (const name of Object.keys(seeds) as (keyof typeof seeds)[]) {
    seed
      .command(name)
      .description(descriptions[name])
      .action(
        withContext(async ({ config, logger }) => {
          const connection = await connect({ config, logger, maxConnections: 2 });
          try {
            await migrateDatabase(connection);
            const report = await seeds[name]({ db: connection.db, now: new Date() });
            console.log(
              `Seed "${name}": created ${report.created.length}, already present ${report.skipped.length}.`,
            );
            for (const entry of report.created) console.log(`  + ${entry}`);
            return exitCodes.ok;
          } finally {
            await connection.close();
          }
        }),
      );
  }
}
