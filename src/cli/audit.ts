import { type Command, Option } from "commander";
import { auditCommand } from "../audit/audit-command.ts";
import { withContext } from "./command-context.ts";

export function registerAudit(program: Command) {
  const audit = program.command("audit").description("Inspect the audit trail");
  audit
    .command("verify")
    .description(
      "Recompute the audit trail's hash chain: the first broken link (exit 1), or the entry count and the head link to record outside the database",
    )
    .addOption(
      new Option(
        "--anchor <seq:hash>",
        "a head recorded earlier that must still be in the chain (also finds entries removed from its end)",
      ),
    )
    .action((options: { anchor?: string }) =>
      withContext(({ config, logger }) =>
        auditCommand({
          config,
          logger,
          args: ["verify", ...(options.anchor === undefined ? [] : ["--anchor", options.anchor])],
        }),
      )(),
    );
}
