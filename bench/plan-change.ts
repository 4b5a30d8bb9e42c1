/**
 * Plan-change latency over HTTP: `POST …/subscription/preview-change` and `POST …/subscription/change`
 * (alternating Plus and Premium: an upgrade charged on a sandbox card, then a downgrade credited) for
 * 100 organizations, `concurrency` clients at a time, each client on its own organizations; beside a bare
 * Fastify route (POST, a JSON body echoed) in the server's process and the same run. The requests are
 * sent by a child process (`plan-change-client.ts`), so the load generator's CPU is not the server's.
 * Prints p50 and p99 of each, and the statements each request sends to PostgreSQL, split into "api"
 * (sent while serving the request) and "worker" (everything else the server's process sent meanwhile:
 * the worker processing the events the changes published, which it does after the answer, and its
 * polling). Each phase waits for the worker to finish the phase's jobs before it ends. The worker runs in
 * the server's process, as `abono serve` runs it.
 *
 * `--profile` first sends one preview and one change alone and lists every statement the API sent for
 * each, with its kind and time.
 *
 * `--rate N` (repeatable) adds, after the runs, phases where requests arrive at N per second for
 * `--seconds` (an open loop, as independent customers arrive, each on an organization with no request in
 * flight), their latency counted from the time each was due: the latency at a given load rather than at
 * the machine's saturation, where a closed loop's latency is only `concurrency / throughput`.
 *
 *   npm run bench:plan-change -- [--organizations 100] [--requests 600] [--concurrency 4] [--runs 2] [--profile]
 *     [--rate 10 --rate 20 …] [--seconds 20]
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import Fastify from "fastify";
import pg from "pg";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";
import type { ClientPhase, ClientResult } from "./plan-change-client.ts";
import { serveRequestsIn } from "./serve-requests-in.ts";
import { kindOf } from "./statement-profile.ts";

const { values } = parseArgs({
  options: {
    organizations: { type: "string", default: "100" },
    requests: { type: "string", default: "600" },
    concurrency: { type: "string", default: "4" },
    runs: { type: "string", default: "2" },
    profile: { type: "boolean", default: false },
    rate: { type: "string", multiple: true, default: [] },
    seconds: { type: "string", default: "20" },
  },
});
const rates = values.rate.map(Number);
const openLoopSeconds = Number(values.seconds);
const organizationCount = Number(values.organizations);
const requestsPerPhase = Number(values.requests);
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);

type Source = "api" | "bench";
interface Sent {
  text: string;
  ms: number;
}

/**
 * Counts the statements this process sends to PostgreSQL by where they come from: "api" inside an HTTP
 * request of `server` (marked by `mark`), "worker" anything else (the worker, the listeners), except the
 * benchmark's own ("bench"). While `trace` is set, the API's statements are kept with their times.
 */
function countStatements() {
  const source = new AsyncLocalStorage<Source>();
  const counts = { api: 0, worker: 0 };
  let trace: Sent[] | null = null;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const from = source.getStore();
    if (from === "bench") return query.apply(this, args);
    if (from !== "api") {
      counts.worker += 1;
      return query.apply(this, args);
    }
    counts.api += 1;
    const result = query.apply(this, args);
    const traced = trace;
    if (traced && result instanceof Promise) {
      const first = args[0] as string | { text?: string };
      const entry = {
        text: typeof first === "string" ? first : (first?.text ?? ""),
        ms: performance.now(),
      };
      traced.push(entry);
      const done = () => {
        entry.ms = performance.now() - entry.ms;
      };
      result.then(done, done);
    }
    return result;
  };
  return {
    read: () => ({ ...counts }),
    /** Serves every request of `server` inside the "api" context. */
    mark: (server: import("node:http").Server) => serveRequestsIn(server, source, () => "api"),
    bench: <Result>(run: () => Promise<Result>) => source.run("bench", run),
    async traced(run: () => Promise<unknown>): Promise<Sent[]> {
      const sent: Sent[] = [];
      trace = sent;
      try {
        await run();
      } finally {
        trace = null;
      }
      return sent;
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main() {
  const abono = await startBenchServer({ worker: true });
  const statements = countStatements();
  const httpServer = abono.server.app?.server;
  if (!httpServer) throw new Error("the bench server has no HTTP server");
  statements.mark(httpServer);
  const { call } = abono;
  const bare = Fastify({ logger: false });
  bare.post("/change", async (request) => ({ ok: true, body: request.body }));
  const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });
  const client = fork(new URL("./plan-change-client.ts", import.meta.url), {
    stdio: "inherit",
  });
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
    let organizations = Array.from({ length: organizationCount }, (_, index) => ({
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

    /** Until the worker has run every job that is due (the events the phase's changes published). */
    const settleWorker = () =>
      statements.bench(async () => {
        const deadline = Date.now() + 120_000;
        for (;;) {
          const { rows } = await abono.server.connection.db.execute<{ pending: number }>(
            sql`select count(*)::int as pending from graphile_worker._private_jobs
                 where run_at <= now() and (attempts = 0 or locked_at is not null)`,
          );
          if ((rows[0]?.pending ?? 0) === 0 || Date.now() > deadline) return;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      });

    if (values.profile) {
      await settleWorker();
      const organization = organizations[0];
      if (!organization) throw new Error("no organization");
      for (const kind of ["preview-change", "change"] as const) {
        const planId = organization.planId === "plus" ? "premium" : "plus";
        let status = 0;
        const started = performance.now();
        const sent = await statements.traced(async () => {
          const response = await fetch(
            `${abono.url}/v1/organizations/${organization.id}/subscription/${kind}`,
            {
              method: "POST",
              headers: {
                authorization: `Bearer ${benchRootKey}`,
                "content-type": "application/json",
              },
              body: JSON.stringify({ planId, interval: "month" }),
            },
          );
          status = response.status;
          await response.text();
        });
        const elapsed = performance.now() - started;
        if (kind === "change") organization.planId = planId;
        const inStatements = sent.reduce((sum, entry) => sum + entry.ms, 0);
        console.log(
          `\n${kind} ${organization.id} → ${planId}: ${status}, ${elapsed.toFixed(1)} ms, ${sent.length} statements taking ${inStatements.toFixed(1)} ms`,
        );
        for (const [index, entry] of sent.entries()) {
          console.log(
            `${String(index + 1).padStart(4)} ${entry.ms.toFixed(2).padStart(7)} ms  ${kindOf(entry.text).padEnd(42)} ${entry.text.replace(/\s+/g, " ").slice(0, 90)}`,
          );
        }
      }
      await settleWorker();
    }

    type Kind = ClientPhase["kind"];
    const send = (phase: ClientPhase) =>
      new Promise<ClientResult>((resolve, reject) => {
        client.once(
          "message",
          (message: { ok: boolean; result?: ClientResult; error?: string }) => {
            if (message.ok && message.result) resolve(message.result);
            else reject(new Error(message.error ?? "the load generator failed"));
          },
        );
        client.send(phase);
      });

    const phase = async (name: string, kind: Kind, rate?: number) => {
      const before = loadAverage();
      const statementsBefore = statements.read();
      const result = await send({
        kind,
        requests: rate === undefined ? requestsPerPhase : Math.round(rate * openLoopSeconds),
        concurrency,
        rate,
        bareUrl,
        abonoUrl: abono.url,
        rootKey: benchRootKey,
        organizations,
      });
      organizations = result.organizations;
      const loadAfter = loadAverage();
      if (kind !== "bare") await settleWorker();
      const statementsAfter = statements.read();
      const latencies = [...result.latencies].sort((a, b) => a - b);
      const per = (count: number) => (kind === "bare" ? "" : (count / latencies.length).toFixed(1));
      console.log(
        `${name.padEnd(34)}${String(latencies.length).padStart(8)}${(latencies.length / result.seconds).toFixed(1).padStart(10)}${percentile(latencies, 0.5).toFixed(1).padStart(10)}${percentile(latencies, 0.99).toFixed(1).padStart(10)}${per(statementsAfter.api - statementsBefore.api).padStart(8)}${per(statementsAfter.worker - statementsBefore.worker).padStart(8)}   load ${before} → ${loadAfter}`,
      );
    };

    console.log(machineLine());
    console.log(
      `${organizationCount} organizations, ${requestsPerPhase} requests per phase, ${concurrency} clients in a separate process; sandbox provider; worker in the server's process`,
    );
    if (rates.length > 0) {
      console.log(
        `then requests arriving at ${rates.join(", ")} per second for ${openLoopSeconds} s each (latency from the time each was due)`,
      );
    }
    await phase("warm-up: preview (not measured)", "preview");
    await phase("warm-up: change (not measured)", "change");
    console.log(
      `\n${"phase".padEnd(34)}${"requests".padStart(8)}${"per s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"api".padStart(8)}${"worker".padStart(8)}`,
    );
    for (let run = 1; run <= runs; run++) {
      await phase(`run ${run}: bare Fastify route`, "bare");
      await phase(`run ${run}: preview-change`, "preview");
      await phase(`run ${run}: change`, "change");
    }
    for (const rate of rates) {
      await phase(`at ${rate}/s: bare Fastify route`, "bare", rate);
      await phase(`at ${rate}/s: preview-change`, "preview", rate);
      await phase(`at ${rate}/s: change`, "change", rate);
    }
    console.log(
      "\napi, worker: statements per request, begin/commit included. api: sent while serving the request; worker: the rest of the server's process meanwhile (the worker processing the events the requests published, after their answers, and its polling)",
    );
  } finally {
    client.kill();
    await bare.close();
    await abono.close();
  }
}

await main();
