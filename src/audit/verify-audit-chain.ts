import type pg from "pg";
import { chainLinkHash, genesisHash, knownChainFormats } from "./audit-chain-hash.ts";

export type ChainProblemKind =
  /** An entry or its link no longer matches the hash written at the time. */
  | "modified"
  /** A link number is absent: a link (and usually its entry) was deleted. */
  | "missing"
  /** The link exists but its audit entry was deleted. */
  | "deleted"
  /** A link does not point at the previous link's hash: a link was inserted or rewritten before it. */
  | "broken_link"
  /** An audit entry has no link: it was inserted with the chain trigger disabled. */
  | "unchained"
  /** A link written in a hash format this version does not know. */
  | "unknown_format"
  /** The chain ends before, or differs at, a head recorded earlier (`anchor`). */
  | "anchor_mismatch";

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The link's number, when the problem is at a link. */
  seq: string | null;
  /** The audit entry's id, when known. */
  auditId: string | null;
  message: string;
}

export interface ChainHead {
  seq: string;
  hash: string;
  auditId: string;
}

export type ChainVerification =
  | { ok: true; count: number; head: ChainHead | null }
  | { ok: false; verified: number; problem: ChainProblem };

interface LinkRow {
  seq: string;
  format: number;
  prev_hash: string;
  hash: string;
  audit_id: string;
  chained_at: string;
  id: string | null;
  action: string;
  actor: string;
  organization_id: string | null;
  reason: string | null;
  before: string | null;
  after: string | null;
  metadata: string | null;
  request_id: string | null;
  created_at: string;
}

const instant = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const batchQuery = `
  select c.seq::text as seq, c.format, c.prev_hash, c.hash, c.audit_id, ${instant("c.chained_at")} as chained_at,
         a.id, a.action, a.actor, a.organization_id, a.reason, a.before::text as before,
         a.after::text as after, a.metadata::text as metadata, a.request_id, ${instant("a.created_at")} as created_at
    from audit_chain c
    left join audit_logs a on a.id = c.audit_id
   where c.seq > $1::bigint
   order by c.seq
   limit $2`;

/**
 * Walks the audit chain from its first link in order, in batches (never the whole trail in memory), and
 * recomputes every hash here rather than in the database, so a replaced database function cannot vouch
 * for a rewritten trail. Returns the count and head hash, or the first broken link. One read-only
 * REPEATABLE READ transaction: entries committed meanwhile are left for the next run.
 *
 * What it proves: no entry was changed, removed or slipped in between others since it was linked, and
 * no entry exists without a link. What it cannot prove alone: that the newest links were not removed
 * from the end, or that someone able to rewrite the tables did not recompute the whole chain. Record the
 * head hash elsewhere (outside this database) and pass it back as `anchor` to cover both.
 */
export async function verifyAuditChain({
  pool,
  anchor,
  batchSize = 2000,
}: {
  pool: pg.Pool;
  /** A head recorded earlier: the link `seq` must still exist with this `hash`. */
  anchor?: { seq: string; hash: string } | undefined;
  batchSize?: number;
}): Promise<ChainVerification> {
  const client = await pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    try {
      const result = await walk({ client, anchor, batchSize });
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

async function walk({
  client,
  anchor,
  batchSize,
}: {
  client: pg.PoolClient;
  anchor: { seq: string; hash: string } | undefined;
  batchSize: number;
}): Promise<ChainVerification> {
  let expected = 1n;
  let previousHash = genesisHash;
  let head: ChainHead | null = null;
  let count = 0;
  const fail = (problem: ChainProblem): ChainVerification => ({
    ok: false,
    verified: count,
    problem,
  });
  for (;;) {
    const { rows } = await client.query<LinkRow>(batchQuery, [String(expected - 1n), batchSize]);
    for (const row of rows) {
      const seq = BigInt(row.seq);
      const at = { seq: row.seq, auditId: row.audit_id };
      if (seq !== expected) {
        return fail({
          kind: "missing",
          seq: String(expected),
          auditId: null,
          message: `Link #${expected} is missing: the chain jumps from #${expected - 1n} to #${seq} (deleted).`,
        });
      }
      if (!(knownChainFormats as readonly number[]).includes(row.format)) {
        return fail({
          kind: "unknown_format",
          ...at,
          message: `Link #${seq} uses hash format ${row.format}, which this version of Abono does not know.`,
        });
      }
      if (row.prev_hash !== previousHash) {
        return fail({
          kind: "broken_link",
          ...at,
          message: `Link #${seq} (${row.audit_id}) does not follow link #${seq - 1n}: a link was inserted, or one before it rewritten.`,
        });
      }
      if (row.id === null) {
        return fail({
          kind: "deleted",
          ...at,
          message: `The audit entry ${row.audit_id} of link #${seq} was deleted.`,
        });
      }
      const recomputed = chainLinkHash({
        seq: row.seq,
        prevHash: row.prev_hash,
        chainedAt: row.chained_at,
        id: row.id,
        action: row.action,
        actor: row.actor,
        organizationId: row.organization_id,
        reason: row.reason,
        before: row.before,
        after: row.after,
        metadata: row.metadata,
        requestId: row.request_id,
        createdAt: row.created_at,
      });
      if (recomputed !== row.hash) {
        return fail({
          kind: "modified",
          ...at,
          message: `The audit entry ${row.audit_id} (link #${seq}) was modified after it was written: its contents no longer match its hash.`,
        });
      }
      if (anchor && seq === BigInt(anchor.seq) && row.hash !== anchor.hash) {
        return fail({
          kind: "anchor_mismatch",
          ...at,
          message: `Link #${seq} has hash ${row.hash}, not the recorded ${anchor.hash}: the chain was rewritten up to it.`,
        });
      }
      previousHash = row.hash;
      head = { seq: row.seq, hash: row.hash, auditId: row.audit_id };
      expected = seq + 1n;
      count++;
    }
    if (rows.length < batchSize) break;
  }
  if (anchor && BigInt(anchor.seq) >= expected) {
    return fail({
      kind: "anchor_mismatch",
      seq: anchor.seq,
      auditId: null,
      message: `The chain ends at link #${expected - 1n}, before the recorded link #${anchor.seq}: links were removed from its end.`,
    });
  }
  const unchained = await client.query<{ id: string }>(
    `select a.id from audit_logs a
      where not exists (select 1 from audit_chain c where c.audit_id = a.id)
      order by a.id limit 1`,
  );
  const stray = unchained.rows[0];
  if (stray) {
    return fail({
      kind: "unchained",
      seq: null,
      auditId: stray.id,
      message: `The audit entry ${stray.id} has no link in the chain: it was inserted with the chain trigger disabled.`,
    });
  }
  return { ok: true, count, head };
}
