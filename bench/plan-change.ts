/**
 * Plan-change latency over HTTP: `POST …/subscription/preview-change` and `POST …/subscription/change`
 * (alternating Plus and Premium: an upgrade charged on a sandbox card, then a downgrade credited) for
 * 100 organizations, `concurrency` clients at a time, each client on its own organizations; beside a bare
 * Fastify route (POST, a JSON body echoed) in the same process and run. Prints p50 and p99 of each, and
 * the statements each preview and change sends to PostgreSQL (counted on every pg client of the process). The worker
 * runs in the server's process, as `abono serve` runs it.
 *
 *   npm run bench:plan-change -- [--organizations 100] [--requests 600] [--concurrency 4] [--runs 2]
 */
import { parseArgs } from "node:util";
import Fastify from "fastify";
import pg from "pg";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    organizations: { type: "string", default: "100" },
    requests: { type: "string", default: "600" },
    concurrency: { type: "string", default: "4" },
    runs: { type: "string", default: "2" },
  },
});
const organizationCount = Number(values.organizations);
const requestsPerPhase = Number(values.requests);
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);

/** Counts the statements this process sends to PostgreSQL (the API's pool, the worker's, the listener). */
function countStatements(): { read(): number } {
  let count = 0;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    count += 1;
    return query.apply(this, args);
  };
  return { read: () => count };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main() {
  const abono = await startBenchServer({ worker: true });
  const statements = countStatements();
  const { call } = abono;
  const bare = Fastify({ logger: false });
  bare.post("/change", async (request) => ({ ok: true, body: request.body }));
  const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });
  try {
    await call("POST", "/v1/features", { key: "encounters", name: "Encounters", kind: "metered" });
    for (const [id, name, tier, amount, encounters] of [
      ["free", "Free", 0, 0, 10],
      ["plus", "Plus", 20, 4000, 500],
      ["premium", "Premium", 40, 10000, 3000],
    ] as const) {
      await call("POST", "/v1/plans", {
        id,
        name,
        tier,
        prices: [{ interval: "month", currency: "USD", unitAmount: amount }],
        features: { encounters },
      });
    }
    const organizations = Array.from({ length: organizationCount }, (_, index) => ({
      id: `plan-change-${index}`,
      planId: "plus",
    }));
    for (const organization of organizations) {
      await call("POST", "/v1/organizations", { id: organization.id, name: organization.id });
      await call("POST", `/v1/organizations/${organization.id}/payment-methods`, {
        provider: "sandbox",
        token: "pm_sandbox_ok",
        default: true,
      });
      await call("POST", `/v1/organizations/${organization.id}/subscription`, {
        planId: "plus",
        interval: "month",
      });
    }

    type Kind = "bare" | "preview" | "change";
    const request = async (kind: Kind, organization: (typeof organizations)[number]) => {
      const planId = organization.planId === "plus" ? "premium" : "plus";
      const url =
        kind === "bare"
          ? `${bareUrl}/change`
          : `${abono.url}/v1/organizations/${organization.id}/subscription/${kind === "preview" ? "preview-change" : "change"}`;
      const started = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${benchRootKey}`, "content-type": "application/json" },
        body: JSON.stringify({ planId, interval: "month" }),
      });
      const text = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200) throw new Error(`${kind}: ${response.status} ${text}`);
      if (kind === "change") organization.planId = planId;
      return elapsed;
    };

    const phase = async (name: string, kind: Kind) => {
      const before = loadAverage();
      const statementsBefore = statements.read();
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, client) => {
          const mine = organizations.filter((_, index) => index % concurrency === client);
          for (let index = client; index < requestsPerPhase; index += concurrency) {
            const organization = mine[Math.floor(index / concurrency) % mine.length];
            if (organization) latencies.push(await request(kind, organization));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const perRequest =
        kind === "bare"
          ? ""
          : ((statements.read() - statementsBefore) / latencies.length).toFixed(1);
      console.log(
        `${name.padEnd(28)}${String(latencies.length).padStart(8)}${(latencies.length / seconds).toFixed(1).padStart(10)}${percentile(latencies, 0.5).toFixed(1).padStart(10)}${percentile(latencies, 0.99).toFixed(1).padStart(10)}${perRequest.padStart(12)}   load ${before} → ${loadAverage()}`,
      );
    };

    console.log(machineLine());
    console.log(
      `${organizationCount} organizations, ${requestsPerPhase} requests per phase, ${concurrency} clients; sandbox provider; worker in the server's process`,
    );
    await phase("warm-up: preview (not measured)", "preview");
    await phase("warm-up: change (not measured)", "change");
    console.log(
      `\n${"phase".padEnd(28)}${"requests".padStart(8)}${"per s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"statements".padStart(12)}`,
    );
    for (let run = 1; run <= runs; run++) {
      await phase(`run ${run}: bare Fastify route`, "bare");
      await phase(`run ${run}: preview-change`, "preview");
      await phase(`run ${run}: change`, "change");
    }
    console.log(
      "\nstatements: per request, every statement the process sent meanwhile (begin/commit included; the worker's too: the events the changes publish are processed during the phase)",
    );
  } finally {
    await bare.close();
    await abono.close();
  }
}

await main();
