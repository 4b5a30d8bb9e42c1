import type { Entitlement } from "./types.js";

export interface EntitlementSnapshot {
  data: Entitlement | undefined;
  error: unknown;
  loading: boolean;
}

export interface EntitlementStoreOptions {
  /** Refetch this often while something shows the entitlement (default 60 s; 0: never). */
  refreshIntervalMs?: number;
  /** A component mounting refetches data older than this (default 2 s). */
  staleMs?: number;
  /** Refetch when the window regains focus or the tab becomes visible again (default true). */
  refetchOnFocus?: boolean;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * One organization's effective entitlement, fetched once for every component that shows it. A portal
 * session may not open the entitlement stream (it needs a secret key), so it stays current by refetching:
 * when a component mounts and the data is older than `staleMs`, when the window regains focus, every
 * `refreshIntervalMs` while anything is subscribed, and on `refresh()`.
 */
export class EntitlementStore {
  #snapshot: EntitlementSnapshot = { data: undefined, error: null, loading: true };
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | null = null;
  #listeners = new Set<() => void>();
  #stop: (() => void) | null = null;
  readonly #load: () => Promise<Entitlement>;
  readonly #options: Required<Omit<EntitlementStoreOptions, "now">>;
  readonly #now: () => number;

  constructor(load: () => Promise<Entitlement>, options: EntitlementStoreOptions = {}) {
    this.#load = load;
    this.#options = {
      refreshIntervalMs: options.refreshIntervalMs ?? 60_000,
      staleMs: options.staleMs ?? 2_000,
      refetchOnFocus: options.refetchOnFocus ?? true,
    };
    this.#now = options.now ?? Date.now;
  }

  getSnapshot = (): EntitlementSnapshot => this.#snapshot;

  /** Fetches now (a fetch under way is shared, not repeated). */
  refresh = (): Promise<void> => {
    if (this.#inFlight) return this.#inFlight;
    this.#set({ ...this.#snapshot, loading: true });
    this.#inFlight = this.#load()
      .then(
        (data) => {
          this.#fetchedAt = this.#now();
          this.#set({ data, error: null, loading: false });
        },
        (error: unknown) => this.#set({ ...this.#snapshot, error, loading: false }),
      )
      .finally(() => {
        this.#inFlight = null;
      });
    return this.#inFlight;
  };

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    if (this.#now() - this.#fetchedAt > this.#options.staleMs) void this.refresh();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = null;
      }
    };
  };

  #set(snapshot: EntitlementSnapshot) {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener();
  }

  #start() {
    const stops: (() => void)[] = [];
    const { refreshIntervalMs, refetchOnFocus } = this.#options;
    if (refreshIntervalMs > 0) {
      const timer = setInterval(() => void this.refresh(), refreshIntervalMs);
      stops.push(() => clearInterval(timer));
    }
    if (refetchOnFocus && typeof window !== "undefined") {
      const onFocus = () => {
        if (document.visibilityState !== "hidden") void this.refresh();
      };
      window.addEventListener("focus", onFocus);
      document.addEventListener("visibilitychange", onFocus);
      stops.push(() => {
        window.removeEventListener("focus", onFocus);
        document.removeEventListener("visibilitychange", onFocus);
      });
    }
    this.#stop = () => {
      for (const stop of stops) stop();
    };
  }
}
