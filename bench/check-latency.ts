import autocannon from "autocannon";
import Fastify from "fastify";
import { benchRootKey } from "./bench-server.ts";

export interface LatencyFigures {
  rps: number;
  p50: number;
  p99: number;
}

/** The baseline of the check benchmarks: a bare Fastify route answering a constant check-like JSON body. */
export async function startBareCheckRoute(): Promise<{ url: string; close(): Promise<void> }> {
  const bare = Fastify({ logger: false });
  bare.get("/check", async () => ({
    feature: "encounters",
    allowed: true,
    limit: 500,
    used: 0,
    remaining: 500,
  }));
  const url = await bare.listen({ port: 0, host: "127.0.0.1" });
  return { url: `${url}/check`, close: () => bare.close() };
}

/** Entitlement checks of each organization's features, as autocannon requests. */
export function checkRequests(
  organizations: readonly string[],
  features: readonly string[],
): autocannon.Request[] {
  return organizations.flatMap((id) =>
    features.map((feature) => ({
      method: "GET" as const,
      path: `/v1/organizations/${id}/entitlements/${feature}`,
    })),
  );
}

/**
 * Autocannon at `url` (as root) with 50 connections for `seconds`, cycling through `requests` when given;
 * throws on any non-2xx answer or error. `worker` runs autocannon in a worker thread.
 */
export async function measureLatency({
  url,
  seconds,
  requests,
  worker = false,
}: {
  url: string;
  seconds: number;
  requests?: autocannon.Request[];
  worker?: boolean;
}): Promise<LatencyFigures> {
  const result = await autocannon({
    url,
    connections: 50,
    duration: seconds,
    ...(worker ? { workers: 1 } : {}),
    headers: { authorization: `Bearer ${benchRootKey}` },
    ...(requests ? { requests } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors on ${url}`);
  return { rps: result.requests.average, p99: result.latency.p99, p50: result.latency.p50 };
}

/** 5,000 requests on 10 connections, untimed: warms a server (and Abono's entitlement cache). */
export async function warmUpLatency(url: string, requests?: autocannon.Request[]): Promise<void> {
  await autocannon({
    url,
    connections: 10,
    amount: 5000,
    headers: { authorization: `Bearer ${benchRootKey}` },
    ...(requests ? { requests } : {}),
  });
}

/** Whether Abono answers checks from memory: its entitlement listener is connected to the database. */
export async function checksFromMemory(pool: {
  query(text: string): Promise<{ rows: { count: number }[] }>;
}): Promise<boolean> {
  const { rows } = await pool.query(
    `select count(*)::int as count from pg_stat_activity
      where datname = current_database() and application_name = 'abono-entitlement-listener'`,
  );
  return rows[0]?.count === 1;
}
