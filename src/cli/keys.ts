import { type Command, Option } from "commander";
import { createApiKey } from "../auth/api-keys.ts";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { exitCodes, withContext } from "./command-context.ts";

export function registerKeys(program: Command) {
  const keys = program.command("keys").description("Manage API keys");
  keys
    .command("create")
    .description(
      "Create an API key (root, or for one existing organization) and print its secret once",
    )
    .addOption(new Option("--root", "a root key: acts on every organization and the catalog"))
    .addOption(
      new Option("--organization <orgId>", "a key for this organization only (it must exist)"),
    )
    .addOption(new Option("--name <name>", "a label to recognise the key by"))
    .action(async (options: { root?: boolean; organization?: string; name?: string }, command) => {
      if (Boolean(options.root) === (options.organization !== undefined)) {
        command.error("Choose exactly one of --root or --organization <orgId>.", {
          exitCode: exitCodes.usage,
          code: "abono.usage",
        });
      }
      await withContext(async ({ config, logger }) => {
        const connection = await connect({ config, logger, maxConnections: 2 });
        try {
          await migrateDatabase(connection);
          const { key, secret } = await connection.db.transaction((tx) =>
            createApiKey({
              executor: tx,
              name:
                options.name ??
                (options.root ? "Root key (CLI)" : `Key for ${options.organization}`),
              keyScope: options.organization
                ? { scope: "organization", organizationId: options.organization }
                : { scope: "root" },
              createdBy: "cli",
              now: new Date(),
            }),
          );
          console.log(
            `Created ${key.scope} key ${key.id}. Its secret is shown only once:\n\n  ${secret}\n`,
          );
          return exitCodes.ok;
        } finally {
          await connection.close();
        }
      })();
    });
}
