import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import { connect } from "../db/connect.ts";
import { migrateDatabase } from "../db/migrate.ts";
import type { Logger } from "../logger.ts";
import { verifyAuditChain } from "./verify-audit-chain.ts";

export const auditUsage = `Usage: abono audit verify [--anchor <seq>:<hash>]

Recomputes the audit trail's hash chain and reports the first broken link (exit 1), or the number of
entries and the head link to record outside the database (exit 0). --anchor checks that a head recorded
earlier is still part of the chain, which also finds entries removed from its end.`;

/** `abono audit verify`: self-contained, so the CLI only dispatches to it. */
export async function auditCommand({
  config,
  logger,
  args,
}: {
  config: Config;
  logger: Logger;
  args: string[];
}): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { anchor: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(auditUsage);
    return 0;
  }
  const anchorMatch =
    values.anchor === undefined ? null : /^(\d+):([0-9a-f]{64})$/.exec(values.anchor);
  if (positionals[0] !== "verify" || positionals.length > 1 || (values.anchor && !anchorMatch)) {
    console.error(auditUsage);
    return 2;
  }
  const anchor = anchorMatch
    ? { seq: anchorMatch[1] ?? "", hash: anchorMatch[2] ?? "" }
    : undefined;
  const connection = await connect({ config, logger, maxConnections: 2 });
  try {
    await migrateDatabase(connection);
    const result = await verifyAuditChain({ pool: connection.pool, anchor });
    if (!result.ok) {
      console.error(
        `Audit trail BROKEN (${result.problem.kind}) after ${result.verified} verified entries:\n  ${result.problem.message}`,
      );
      return 1;
    }
    console.log(
      result.head
        ? `Audit trail OK: ${result.count} entries, head link #${result.head.seq} ${result.head.hash} (${result.head.auditId}).\nRecord the head outside this database; later, \`abono audit verify --anchor ${result.head.seq}:${result.head.hash}\` also detects entries removed from the end.`
        : "Audit trail OK: no entries yet.",
    );
    return 0;
  } finally {
    await connection.close();
  }
}
