import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../logger.ts";
import { type EntitlementChange, parseEntitlementChange } from "./entitlement-change.ts";

/** The channel the triggers of `drizzle/0011_entitlement_notifications.sql` notify on. */
const entitlementChannel = "abono_entitlements";

export interface EntitlementListenerHandlers {
  /** A committed change, in commit order. */
  change(change: EntitlementChange): void;
  /** The listener stopped listening (or starts again): everything learnt from notifications is void. */
  reset(): void;
}

export interface EntitlementListener {
  /**
   * True while LISTEN is active on a connection that answered its last heartbeat: every transaction that
   * commits from now on is delivered to `change` (PostgreSQL drops no notification of a committed
   * transaction to a listening session).
   */
  readonly live: boolean;
  /** Moves whenever the listener connects or loses its connection; state learnt in another epoch is void. */
  readonly epoch: number;
  handle(handlers: EntitlementListenerHandlers): void;
  /** Connects and listens; resolves after the first attempt (retrying in the background if it failed). */
  start(): Promise<void>;
  /**
   * Resolves once every notification of transactions committed before the call has been handled: its own
   * notification, sent after the call, comes back behind them (one queue, in commit order). Resolves at once
   * when not live; a barrier that does not come back in time drops the connection (and so every cached
   * answer) before resolving.
   */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The per-process LISTEN connection behind the in-process entitlement cache: a dedicated `pg.Client`
 * (never a pooled one, which would stop listening when released), reconnected after a loss, with a
 * heartbeat so a silently dead connection is noticed within `heartbeatMs + syncTimeoutMs`.
 */
export function createEntitlementListener({
  connectionString,
  logger,
  heartbeatMs = 1_000,
  syncTimeoutMs = 2_000,
  retryMs = 1_000,
}: {
  connectionString: string;
  logger: Logger;
  heartbeatMs?: number;
  syncTimeoutMs?: number;
  retryMs?: number;
}): EntitlementListener {
  // Barriers travel on a channel of this process only, so other processes never see them.
  const syncChannel = `abono_sync_${randomBytes(6).toString("hex")}`;
  let handlers: EntitlementListenerHandlers = { change: () => {}, reset: () => {} };
  let client: pg.Client | null = null;
  let live = false;
  let epoch = 0;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let barrierCount = 0;
  let inFlight: { token: string; waiters: (() => void)[]; timer: NodeJS.Timeout } | null = null;
  let queued: (() => void)[] = [];

  function releaseAll() {
    const waiters = [...(inFlight?.waiters ?? []), ...queued];
    if (inFlight) clearTimeout(inFlight.timer);
    inFlight = null;
    queued = [];
    for (const resolve of waiters) resolve();
  }

  function lose(lost: pg.Client, reason: unknown) {
    if (lost !== client) return;
    client = null;
    const wasLive = live;
    live = false;
    epoch += 1;
    handlers.reset();
    releaseAll();
    lost.end().catch(() => {});
    if (wasLive) logger.warn({ err: reason }, "entitlement listener lost; checks use the database");
    scheduleRetry();
  }

  function scheduleRetry() {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, retryMs);
    retryTimer.unref();
  }

  function sendBarrier() {
    const current = client;
    if (!current || !live || inFlight || queued.length === 0) return;
    barrierCount += 1;
    const token = String(barrierCount);
    const waiters = queued;
    queued = [];
    const timer = setTimeout(
      () => lose(current, new Error(`no notification back within ${syncTimeoutMs} ms`)),
      syncTimeoutMs,
    );
    timer.unref();
    inFlight = { token, waiters, timer };
    current
      .query("select pg_notify($1, $2)", [syncChannel, token])
      .catch((error: unknown) => lose(current, error));
  }

  async function connect() {
    if (stopped || client) return;
    const candidate = new pg.Client({
      connectionString,
      application_name: "abono-entitlement-listener",
      keepAlive: true,
    });
    candidate.on("error", (error) => lose(candidate, error));
    candidate.on("end", () => lose(candidate, new Error("connection ended")));
    candidate.on("notification", (message) => {
      if (candidate !== client) return;
      if (message.channel === syncChannel) {
        if (inFlight && message.payload === inFlight.token) {
          clearTimeout(inFlight.timer);
          const { waiters } = inFlight;
          inFlight = null;
          for (const resolve of waiters) resolve();
          sendBarrier();
        }
        return;
      }
      try {
        handlers.change(parseEntitlementChange(message.payload));
      } catch (error) {
        // A change that could not be applied must not leave a cache behind that missed it.
        lose(candidate, error);
      }
    });
    client = candidate;
    try {
      await candidate.connect();
      await candidate.query(`listen ${entitlementChannel}; listen ${syncChannel}`);
      if (candidate !== client || stopped) return;
      // Anything cached before this point was learnt without a listener; start over.
      epoch += 1;
      handlers.reset();
      live = true;
    } catch (error) {
      lose(candidate, error);
    }
  }

  const sync = (): Promise<void> =>
    new Promise((resolve) => {
      if (!live) return resolve();
      queued.push(resolve);
      sendBarrier();
    });

  return {
    get live() {
      return live;
    },
    get epoch() {
      return epoch;
    },
    handle(next) {
      handlers = next;
    },
    async start() {
      await connect();
      heartbeatTimer = setInterval(() => {
        if (live && !inFlight) void sync();
      }, heartbeatMs);
      heartbeatTimer.unref();
    },
    sync,
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      const current = client;
      client = null;
      live = false;
      epoch += 1;
      handlers.reset();
      releaseAll();
      await current?.end().catch(() => {});
    },
  };
}
