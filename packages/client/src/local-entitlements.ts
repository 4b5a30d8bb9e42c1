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

export interface LocalCheck {
  feature: string;
  allowed: boolean;
  limit: number | null;
  used: number;
  remaining: number | null;
  /** Milliseconds since the stream last confirmed this organization's state (0: just now). */
  ageMs: number;
  /** "local": from the snapshot; advisory for metered features, the server decides on `usage.record`. */
  source: "local";
}

export interface LocalEntitlementsOptions {
  organizations?: "all" | readonly string[];
  /** Past this without a live stream, `check` returns undefined and `checkOrFetch` asks the server (default 30 s). */
  maxStalenessMs?: number;
  /** Wait before reconnecting after the stream is lost (default 500 ms). */
  reconnectMs?: number;
}

interface Held {
  version: number;
  entitlement: EntitlementSummary;
}

/**
 * An in-memory copy of organizations' effective entitlements, kept current by
 * `GET /v1/entitlements/stream` (reconnecting and resuming with `Last-Event-ID` when the stream is lost).
 */
export class LocalEntitlements {
  readonly #held = new Map<string, Held>();
  readonly #open: (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;
  readonly #options: Required<Omit<LocalEntitlementsOptions, "organizations">>;
  #controller = new AbortController();
  #closed = false;
  #lastEventId: string | undefined;
  #confirmedAt = 0;
  #connected = false;
  #ready: Promise<void>;
  #resolveReady: () => void = () => {};
  #listeners = new Set<(organizationId: string) => void>();

  constructor(
    open: (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>,
    options: LocalEntitlementsOptions = {},
  ) {
    this.#open = open;
    this.#options = {
      maxStalenessMs: options.maxStalenessMs ?? 30_000,
      reconnectMs: options.reconnectMs ?? 500,
    };
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
    void this.#run();
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
   * or feature is unknown or the snapshot is older than `maxStalenessMs` (ask the server then).
   */
  check(organizationId: string, feature: string): LocalCheck | undefined {
    const held = this.#held.get(organizationId);
    if (held === undefined) return undefined;
    const ageMs = this.#connected ? 0 : Date.now() - this.#confirmedAt;
    if (ageMs > this.#options.maxStalenessMs) return undefined;
    const entitlement = held.entitlement;
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
        source: "local",
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
        source: "local",
      };
    }
    const enabled = entitlement.features[feature];
    if (enabled === undefined) return undefined;
    return {
      feature,
      allowed: enabled,
      limit: null,
      used: 0,
      remaining: null,
      ageMs,
      source: "local",
    };
  }

  close(): void {
    this.#closed = true;
    this.#connected = false;
    this.#controller.abort();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      this.#controller = new AbortController();
      try {
        const response = await this.#open(this.#lastEventId, this.#controller.signal);
        if (response.ok && response.body) await this.#read(response.body);
        else await response.body?.cancel();
      } catch {
        // lost: reconnect below
      }
      if (this.#connected) this.#confirmedAt = Date.now();
      this.#connected = false;
      if (this.#closed) return;
      await new Promise((resolve) => setTimeout(resolve, this.#options.reconnectMs));
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.#handle(block);
      }
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
    if (this.#connected) this.#confirmedAt = Date.now();
    if (event === "entitlement") {
      const parsed = JSON.parse(data) as {
        organizationId: string;
        version: number;
        entitlement: EntitlementSummary;
      };
      this.#held.set(parsed.organizationId, {
        version: parsed.version,
        entitlement: parsed.entitlement,
      });
      if (id !== undefined) this.#lastEventId = id;
      for (const listener of this.#listeners) listener(parsed.organizationId);
    } else if (event === "ready") {
      this.#connected = true;
      this.#confirmedAt = Date.now();
      this.#resolveReady();
    } else if (event === "reset") {
      this.#connected = false;
    }
  }
}
