import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { type EntitlementSummary, summarizeEntitlements } from "./summarize-entitlement.ts";

/** Organizations read together: a few queries per batch (`EntitlementCache.getMany`, `summarizeEntitlements`). */
const batchSize = 500;

/** One event of `GET /v1/entitlements/stream`: an organization's whole effective entitlement, as of `version`. */
export interface EntitlementStreamEvent {
  organizationId: string;
  /** The organization's entitlement version (moves on every change but usage; usage moves `usage`). */
  version: number;
  entitlement: EntitlementSummary;
}

export interface EntitlementStreamSink {
  /** An organization's current state (the first one of each organization belongs to the snapshot). */
  send(event: EntitlementStreamEvent): void;
  /** Every requested organization has been sent once: from now on only changes follow. */
  ready(): void;
  /** Changes may have been missed (the change listener was lost): the client must reconnect. */
  end(reason: string): void;
}

export interface EntitlementStream {
  stop(): void;
}

/**
 * Streams the requested organizations' effective entitlements: watches committed changes FIRST, then
 * sends every organization's state read after that point, then every organization a change was notified
 * for, read again after its notification. Each state is read after the change it follows was committed,
 * so no change between the snapshot and the stream is missed; changes notified while a state is being
 * read mark it to be read again. Without a live change listener it ends at once (the client retries).
 */
export function streamEntitlements({
  db,
  cache,
  organizations,
  clock,
  sink,
}: {
  db: Database;
  cache: EntitlementCache;
  /** "all": every organization, including ones created while streaming. */
  organizations: "all" | readonly string[];
  clock: () => Date;
  sink: EntitlementStreamSink;
}): EntitlementStream {
  const wanted = organizations === "all" ? null : new Set(organizations);
  const known = new Set<string>(wanted ?? []);
  const dirty = new Set<string>();
  let stopped = false;
  let pumping = false;
  let snapshotDone = false;

  const mark = (organizationId: string) => {
    if (wanted && !wanted.has(organizationId)) return;
    known.add(organizationId);
    dirty.add(organizationId);
    void pump();
  };
  const markAll = () => {
    for (const organizationId of known) dirty.add(organizationId);
    void pump();
  };

  const unwatch = cache.watch({
    change(change) {
      if (change.kind === "clock" || change.kind === "all") markAll();
      else mark(change.organizationId);
    },
    reset() {
      stop();
      sink.end("change listener lost");
    },
  });

  async function pump(): Promise<void> {
    if (pumping || stopped) return;
    pumping = true;
    try {
      while (dirty.size > 0 && !stopped) {
        const batch = [...dirty].slice(0, batchSize);
        for (const organizationId of batch) dirty.delete(organizationId);
        const { rows } = await db.execute<{ id: string; version: string }>(sql`
          select o.id, coalesce(v.version, 0)::text as version
            from organizations o
            left join entitlement_versions v on v.organization_id = o.id
           where o.id = any(${sql.param(batch)}::text[])`);
        const current = await cache.getMany({
          organizationIds: rows.map((row) => row.id),
          systemNow: clock(),
        });
        const summaries = await summarizeEntitlements({
          executor: db,
          loaded: [...current.values()],
        });
        if (stopped) return;
        for (const row of rows) {
          const entitlement = summaries.get(row.id);
          if (!entitlement || stopped) continue;
          sink.send({ organizationId: row.id, version: Number(row.version), entitlement });
        }
      }
      if (!snapshotDone && !stopped) {
        snapshotDone = true;
        sink.ready();
      }
    } catch (error) {
      stop();
      sink.end(error instanceof Error ? error.message : String(error));
    } finally {
      pumping = false;
    }
    if (dirty.size > 0) void pump();
  }

  function stop() {
    stopped = true;
    unwatch();
  }

  void (async () => {
    if (!cache.watching) {
      stop();
      sink.end("change listener not live");
      return;
    }
    if (organizations === "all") {
      const { rows } = await db.execute<{ id: string }>(
        sql`select id from organizations where status <> 'deleted'`,
      );
      for (const row of rows) known.add(row.id);
    }
    markAll();
  })().catch((error: unknown) => {
    stop();
    sink.end(error instanceof Error ? error.message : String(error));
  });

  return { stop };
}
