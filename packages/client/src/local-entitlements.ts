/** `GET /v1/organizations/{orgId}/entitlement`'s shape, as each stream event carries it. */
export type EntitlementSummary = {
  organizationId: string;
  planId: string;
  status: string;
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
  usage: Record<string, number>;
  balances: Record<
    string,
    { included: number | null; purchased: number; used: number; remaining: number | null }
  >;
  [key: string]: unknown;
};

import { AbonoError } from "./errors.js";

export interface LocalCheck {
  feature: string;
  allowed: boolean;
  limit: number | null;
  used: number;
  remaining: number | null;
  /** Milliseconds since the stream (or the server, for `source: "server"`) last confirmed this state. */
  ageMs: number;
  /**
   * "local": from the snapshot; "server": `get` asked the server because the snapshot was stale or did not
   * hold the organization. Advisory for metered features either way: the server decides on `usage.record`.
   */
  source: "local" | "server";
}

/**
 * "connecting": no snapshot yet; "live": the stream is up; "reconnecting": lost, the snapshot still younger
 * than `maxStalenessMs`; "stale": older than that (`check` answers undefined, `get` asks the server);
 * "failed": the service refused the stream (unknown organization, wrong key: see `error`); "closed".
 */
export type LocalStatus = "connecting" | "live" | "reconnecting" | "stale" | "failed" | "closed";

export interface LocalEntitlementsOptions {
  organizations?: "all" | readonly string[];
  /** Past this without a live stream, `check` returns undefined and `checkOrFetch` asks the server (default 30 s). */
  maxStalenessMs?: number;
  /** Wait before reconnecting after the stream is lost (default 500 ms). */
  reconnectMs?: number;
  /**
   * A live stream silent this long is taken as lost and reopened (default 45 s: the server sends a heartbeat
   * every 15 s), so a connection dropped without a close does not pass for live.
   */
  idleTimeoutMs?: number;
}

interface Held {
  version: number;
  entitlement: EntitlementSummary;
  /** When `get` last fetched it from the server (0: only from the stream). */
  fetchedAt: number;
  /** The stream sends this organization's changes (false: `get` fetched one the stream does not cover). */
  streamed: boolean;
}

/** The answer for a feature from an organization's entitlement, or undefined when it has no such feature. */
function answer(
  entitlement: EntitlementSummary,
  feature: string,
  ageMs: number,
  source: LocalCheck["source"],
): LocalCheck | undefined {
  const balance = entitlement.balances[feature];
  if (balance !== undefined) {
    const remaining = balance.remaining;
    return {
      feature,
      allowed: remaining === null || remaining > 0,
      limit: balance.included,
      used: balance.used,
      remaining,
      ageMs,
      source,
    };
  }
  if (feature in entitlement.limits) {
    const limit = entitlement.limits[feature] ?? null;
    const used = entitlement.usage[feature] ?? 0;
    const remaining = limit === null ? null : Math.max(0, limit - used);
    return {
      feature,
      allowed: remaining === null || remaining > 0,
      limit,
      used,
      remaining,
      ageMs,
      source,
    };
  }
  const enabled = entitlement.features[feature];
  if (enabled === undefined) return undefined;
  return { feature, allowed: enabled, limit: null, used: 0, remaining: null, ageMs, source };
}

/**
 * An in-memory copy of organizations' effective entitlements, kept current by
 * `GET /v1/entitlements/stream` (reconnecting and resuming with `Last-Event-ID` when the stream is lost).
 */
export class LocalEntitlements {
  readonly #held = new Map<string, Held>();
  readonly #open: (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;
  readonly #fetch: ((organizationId: string) => Promise<EntitlementSummary>) | undefined;
  readonly #options: Required<Omit<LocalEntitlementsOptions, "organizations">>;
  #controller = new AbortController();
  #closed = false;
  #lastEventId: string | undefined;
  #confirmedAt = 0;
  #connected = false;
  #ready: Promise<void>;
  #resolveReady: () => void = () => {};
  #rejectReady: (error: AbonoError) => void = () => {};
  #listeners = new Set<(organizationId: string) => void>();
  #statusListeners = new Set<(status: LocalStatus) => void>();
  #status: LocalStatus = "connecting";
  #staleTimer: ReturnType<typeof setTimeout> | undefined;
  #error: AbonoError | undefined;

  /**
   * `open` opens the stream; `fetchEntitlement` reads one organization's entitlement from the server
   * (`GET /v1/organizations/{orgId}/entitlement`), for `get` when the snapshot cannot answer.
   */
  constructor(
    open: (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>,
    options: LocalEntitlementsOptions = {},
    fetchEntitlement?: (organizationId: string) => Promise<EntitlementSummary>,
  ) {
    this.#open = open;
    this.#fetch = fetchEntitlement;
    this.#options = {
      maxStalenessMs: options.maxStalenessMs ?? 30_000,
      reconnectMs: options.reconnectMs ?? 500,
      idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
    };
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody may be awaiting ready(): a refused stream must not become an unhandled rejection.
    this.#ready.catch(() => {});
    void this.#run();
  }

  /** Where the snapshot stands (see `LocalStatus`). */
  get status(): LocalStatus {
    return this.#status;
  }

  /** Why the service refused the stream, once `status` is "failed". */
  get error(): AbonoError | undefined {
    return this.#error;
  }

  /**
   * Called on every status change: "stale" when the snapshot gets older than `maxStalenessMs`, "live" when
   * the stream is back. Returns a function that stops it.
   */
  onStatus(listener: (status: LocalStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  #setStatus(status: LocalStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    if (this.#staleTimer !== undefined) clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
    if (status === "reconnecting") {
      const left = this.#confirmedAt + this.#options.maxStalenessMs - Date.now();
      this.#staleTimer = setTimeout(() => {
        if (this.#status === "reconnecting") this.#setStatus("stale");
      }, Math.max(0, left) + 1);
      unref(this.#staleTimer);
    }
    for (const listener of this.#statusListeners) listener(status);
  }

  /** Resolves once the first snapshot has arrived. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Called with the organization id after each change applied. Returns a function that stops it. */
  onChange(listener: (organizationId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Milliseconds since the snapshot was last known current (Infinity before the first one). */
  get ageMs(): number {
    if (this.#confirmedAt === 0) return Number.POSITIVE_INFINITY;
    return this.#connected ? 0 : Date.now() - this.#confirmedAt;
  }

  /** The held entitlement of an organization, or undefined. */
  entitlement(organizationId: string): EntitlementSummary | undefined {
    return this.#held.get(organizationId)?.entitlement;
  }

  /**
   * Synchronous: may the organization use the feature, from the snapshot. Undefined when the organization
   * or feature is unknown or the snapshot is older than `maxStalenessMs`: then use `get`, which asks the
   * server.
   */
  check(organizationId: string, feature: string): LocalCheck | undefined {
    const held = this.#held.get(organizationId);
    if (held === undefined) return undefined;
    // The hot path (a live stream covering the organization) reads no clock.
    let ageMs = 0;
    if (!held.streamed || !this.#connected) {
      const now = Date.now();
      // An entry `get` just fetched from the server is as good as a live stream, for `maxStalenessMs`;
      // one the stream does not cover ages from its fetch only.
      const fetchedAge = held.fetchedAt > 0 ? now - held.fetchedAt : Number.POSITIVE_INFINITY;
      ageMs = held.streamed ? Math.min(now - this.#confirmedAt, fetchedAge) : fetchedAge;
      if (ageMs > this.#options.maxStalenessMs) return undefined;
    }
    return answer(held.entitlement, feature, ageMs, "local");
  }

  /**
   * Like `check`, never stale: from the snapshot while it is younger than `maxStalenessMs`, else from the
   * server (`GET /v1/organizations/{orgId}/entitlement`, with the client's retries and timeouts), which also
   * refreshes the snapshot's entry for the organization. Throws `AbonoError`: the server's error (404
   * `not_found` for an unknown organization or feature), or `network_error` / `timeout` (status 0) when the
   * server cannot be reached either.
   */
  async get(organizationId: string, feature: string): Promise<LocalCheck> {
    const local = this.check(organizationId, feature);
    if (local !== undefined) return local;
    if (this.#fetch === undefined) {
      throw new AbonoError({
        code: "stale",
        message: "The snapshot is stale and this LocalEntitlements has no way to ask the server",
        status: 0,
      });
    }
    const entitlement = await this.#fetch(organizationId);
    const fetchedAt = Date.now();
    const previous = this.#held.get(organizationId);
    this.#held.set(organizationId, {
      version: previous?.version ?? 0,
      entitlement,
      fetchedAt,
      streamed: previous?.streamed ?? false,
    });
    for (const listener of this.#listeners) listener(organizationId);
    const fetched = answer(entitlement, feature, 0, "server");
    if (fetched === undefined) {
      throw new AbonoError({
        code: "not_found",
        message: `Feature ${JSON.stringify(feature)} was not found.`,
        status: 404,
        details: { id: feature },
      });
    }
    return fetched;
  }

  close(): void {
    this.#closed = true;
    this.#connected = false;
    this.#controller.abort();
    this.#setStatus("closed");
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      this.#controller = new AbortController();
      const controller = this.#controller;
      // A service that accepts the connection but never answers is as lost as one that refuses it.
      const unanswered = setTimeout(() => controller.abort(), this.#options.idleTimeoutMs);
      unref(unanswered);
      try {
        const response = await this.#open(this.#lastEventId, controller.signal).finally(() =>
          clearTimeout(unanswered),
        );
        if (response.ok && response.body) await this.#read(response.body, controller);
        else if (refused(response.status)) {
          this.#fail(await errorOf(response));
          return;
        } else await response.body?.cancel();
      } catch {
        // lost: reconnect below
      }
      this.#connected = false;
      if (this.#closed) return;
      if (this.#confirmedAt > 0) {
        const stale = Date.now() - this.#confirmedAt > this.#options.maxStalenessMs;
        this.#setStatus(stale ? "stale" : "reconnecting");
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.reconnectMs));
    }
  }

  /** A refusal that reconnecting will not change (unknown organization, wrong or revoked key). */
  #fail(error: AbonoError): void {
    this.#error = error;
    this.#closed = true;
    this.#connected = false;
    this.#rejectReady(error);
    this.#setStatus("failed");
  }

  async #read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = body.getReader();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      if (idle !== undefined) clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), this.#options.idleTimeoutMs);
      unref(idle);
    };
    try {
      watch();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        watch();
        // Anything received, heartbeats included, confirms a live stream's snapshot.
        if (this.#connected) this.#confirmedAt = Date.now();
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.#handle(block);
        }
      }
    } finally {
      if (idle !== undefined) clearTimeout(idle);
    }
  }

  #handle(block: string): void {
    let event = "message";
    let id: string | undefined;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (event === "entitlement") {
      const parsed = JSON.parse(data) as {
        organizationId: string;
        version: number;
        entitlement: EntitlementSummary;
      };
      this.#held.set(parsed.organizationId, {
        version: parsed.version,
        entitlement: parsed.entitlement,
        fetchedAt: 0,
        streamed: true,
      });
      if (id !== undefined) this.#lastEventId = id;
      for (const listener of this.#listeners) listener(parsed.organizationId);
    } else if (event === "ready") {
      this.#connected = true;
      this.#confirmedAt = Date.now();
      this.#resolveReady();
      this.#setStatus("live");
    } else if (event === "reset") {
      this.#connected = false;
    }
  }
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  // Node and Bun: a pending timer must not keep the process alive. Browsers and Deno return a number.
  (timer as { unref?: () => void }).unref?.();
}

function refused(status: number): boolean {
  return status === 400 || status === 401 || status === 403 || status === 404;
}

async function errorOf(response: Response): Promise<AbonoError> {
  let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON
  }
  return new AbonoError({
    code: body.error?.code ?? `http_${response.status}`,
    message: body.error?.message ?? response.statusText,
    status: response.status,
    details: body.error?.details,
    requestId: response.headers.get("x-request-id") ?? undefined,
  });
}
