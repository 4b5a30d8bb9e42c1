import { createHash } from "node:crypto";

/** The `prev_hash` of the first link. */
export const genesisHash = "0".repeat(64);

/** The hash formats this version can check; format 1 is the only one written today. */
export const knownChainFormats = [1] as const;

/**
 * One link of the audit chain with its entry, every value as PostgreSQL prints it: jsonb as text,
 * instants as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds), so the hash does not depend on how
 * JavaScript would round or re-serialize them.
 */
export interface ChainLinkFields {
  seq: string;
  prevHash: string;
  chainedAt: string;
  id: string;
  action: string;
  actor: string;
  organizationId: string | null;
  reason: string | null;
  before: string | null;
  after: string | null;
  metadata: string | null;
  requestId: string | null;
  createdAt: string;
}

/**
 * Hash format 1, exactly as the database trigger computes it (migration 0012): SHA-256 (hex) of the
 * UTF-8 text `abono-audit-chain/1` followed, for each field in the order below, by a newline and the field
 * as `~` (null) or `<length in UTF-8 bytes>:<value>`. The length prefix makes the encoding unambiguous
 * whatever the values contain. Columns not listed here (any added to audit_logs later) are not covered;
 * covering one takes a new format in both places.
 */
export function chainLinkHash(link: ChainLinkFields): string {
  const fields = [
    link.seq,
    link.prevHash,
    link.chainedAt,
    link.id,
    link.action,
    link.actor,
    link.organizationId,
    link.reason,
    link.before,
    link.after,
    link.metadata,
    link.requestId,
    link.createdAt,
  ];
  let payload = "abono-audit-chain/1";
  for (const field of fields) {
    payload += `\n${field === null ? "~" : `${Buffer.byteLength(field, "utf8")}:${field}`}`;
  }
  return createHash("sha256").update(payload, "utf8").digest("hex");
}
