import { type Command, InvalidArgumentError, Option } from "commander";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { exitCodes, withContext } from "./command-context.ts";

interface Anchor {
  seq: string;
  hash: string;
}

/** `--anchor <seq>:<hash>`, the head link a previous verification printed. */
function parseAnchor(value: string): Anchor {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      "expected <seq>:<hash>, the head link a previous `abono audit verify` printed",
    );
  }
  return { seq: match[1] ?? "", hash: match[2] ?? "" };
}

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
      ).argParser(parseAnchor),
    )
    .action(
      withContext(async ({ config, logger }, options: { anchor?: Anchor }) => {
        const connection = await connect({ config, logger, maxConnections: 2 });
        try {
          await migrateDatabase(connection);
          const result = await verifyAuditChain({ pool: connection.pool, anchor: options.anchor });
          if (!result.ok) {
            console.error(
              `Audit trail BROKEN (${result.problem.kind}) after ${result.verified} verified entries:\n  ${result.problem.message}`,
            );
            return exitCodes.failed;
          }
          console.log(
            result.head
              ? `Audit trail OK: ${result.count} entries, head link #${result.head.seq} ${result.head.hash} (${result.head.auditId}).\nRecord the head outside this database; later, \`abono audit verify --anchor ${result.head.seq}:${result.head.hash}\` also detects entries removed from the end.`
              : "Audit trail OK: no entries yet.",
          );
          return exitCodes.ok;
        } finally {
          await connection.close();
        }
      }),
    );
}
