/**
 * Plan changes over HTTP (`POST /v1/organizations/:orgId/subscription/change`, alternating Plus and
 * Premium: an upgrade charged on a sandbox card, then a downgrade credited) with no webhook endpoint, then
 * with 5 endpoints subscribed to every event type (4 receivers answering 204 at once, 1 that never
 * answers, so each of its deliveries waits for the 10 s timeout), then with the hanging one alone; each
 * run measures the three in turn, after an unmeasured warm-up. The worker runs in the server's process
 * as `abono serve` runs it, so deliveries compete with the API for the same event loop, pool and
 * database; with `--worker-process` it runs apart, as `abono worker`, beside an API process without a
 * worker (same machine, same database). Prints p50, p99 and the rate of each phase, and what the receivers got.
 *
 *   npm run bench:webhooks -- [--changes 400] [--organizations 40] [--concurrency 4] [--runs 2]
 *     [--worker-process]
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    changes: { type: "string", default: "400" },
    organizations: { type: "string", default: "40" },
    concurrency: { type: "string", default: "4" },
    runs: { type: "string", default: "2" },
    "worker-process": { type: "boolean", default: false },
  },
});
const changesPerPhase = Number(values.changes);
const organizationCount = Number(values.organizations);
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);
const workerApart = values["worker-process"];

/** `abono worker` on the server's database, in its own process; resolves once it runs. */
async function startWorkerProcess(databaseUrl: string) {
  const child = spawn(
    process.execPath,
    [new URL("../bin/abono.js", import.meta.url).pathname, "worker"],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ABONO_TEST_MODE: "true",
        // Info, to see it start (its line "Abono worker is running"); what follows is discarded.
        ABONO_LOG_LEVEL: "info",
        ABONO_ROOT_API_KEY: benchRootKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  let running = false;
  await new Promise<void>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      if (running) return;
      output += chunk;
      if (output.includes("Abono worker is running")) {
        running = true;
        resolve();
      }
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("exit", (code) => reject(new Error(`abono worker exited (${code}): ${output}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A receiver on 127.0.0.1 that answers 204 at once, or (`hang`) never answers. */
async function startReceiver({ hang }: { hang: boolean }) {
  const state = { requests: 0, open: 0, maxOpen: 0 };
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      state.requests += 1;
      if (!hang) {
        response.writeHead(204).end();
        return;
      }
      held.add(response);
      state.open = held.size;
      state.maxOpen = Math.max(state.maxOpen, held.size);
      response.on("close", () => {
        held.delete(response);
        state.open = held.size;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of held) response.destroy();
        server.close(() => resolve());
      }),
  };
}

const percentile = (sorted: number[], share: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;

async function main() {
  const abono = await startBenchServer({ worker: !workerApart });
  const worker = workerApart
    ? await startWorkerProcess(abono.server.connection.pool.options.connectionString ?? "")
    : null;
  const { call } = abono;
  const receivers = [
    ...(await Promise.all(Array.from({ length: 4 }, () => startReceiver({ hang: false })))),
    await startReceiver({ hang: true }),
  ];
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
      id: `webhooks-${index}`,
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

    /** One plan change, timed from the request to the end of its answer. */
    const change = async (organization: (typeof organizations)[number]) => {
      const planId = organization.planId === "plus" ? "premium" : "plus";
      const started = performance.now();
      const response = await fetch(
        `${abono.url}/v1/organizations/${organization.id}/subscription/change`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${benchRootKey}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ planId, interval: "month" }),
        },
      );
      const text = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200) throw new Error(`plan change: ${response.status} ${text}`);
      organization.planId = planId;
      return elapsed;
    };

    /** `changesPerPhase` plan changes, `concurrency` at a time, each client on its own organizations. */
    const phase = async (name: string) => {
      const before = loadAverage();
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, client) => {
          const mine = organizations.filter((_, index) => index % concurrency === client);
          for (let index = client; index < changesPerPhase; index += concurrency) {
            const organization = mine[Math.floor(index / concurrency) % mine.length];
            if (organization) latencies.push(await change(organization));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(34)}${String(latencies.length).padStart(8)}${(latencies.length / seconds).toFixed(1).padStart(10)}${percentile(latencies, 0.5).toFixed(1).padStart(10)}${percentile(latencies, 0.99).toFixed(1).padStart(10)}   load ${before} → ${loadAverage()}`,
      );
    };

    console.log(machineLine());
    console.log(
      `${organizationCount} organizations, ${changesPerPhase} plan changes per phase, ${concurrency} clients; worker ${workerApart ? "in its own process (abono worker)" : "in the server's process"} (ABONO_WEBHOOK_CONCURRENCY 8, timeout 10 s)`,
    );
    // Warm up: every path once per organization, then an unmeasured phase.
    for (const organization of organizations) await change(organization);
    await phase("warm-up (not measured)");
    console.log(
      `\n${"phase".padEnd(34)}${"changes".padStart(8)}${"per s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`,
    );
    const disable = async (ids: string[]) => {
      for (const id of ids) {
        await call("POST", `/v1/webhook-endpoints/${id}/disable`, { reason: "phase over" });
      }
    };
    for (let run = 1; run <= runs; run++) {
      await phase(`run ${run}: no endpoint`);
      // New endpoints each run: they take only the events from now on (no backlog).
      const endpoints: string[] = [];
      for (const receiver of receivers) {
        const created = await call<{ id: string }>("POST", "/v1/webhook-endpoints", {
          url: receiver.url,
          events: ["*"],
        });
        endpoints.push(created.id);
      }
      const before = receivers.map((receiver) => receiver.state.requests);
      await phase(`run ${run}: 5 endpoints, 1 hanging`);
      const during = receivers.map(
        (receiver, index) => receiver.state.requests - (before[index] ?? 0),
      );
      // The 4 healthy ones disabled: what the hanging one alone costs.
      await disable(endpoints.slice(0, 4));
      await phase(`run ${run}: 1 hanging endpoint only`);
      await disable(endpoints.slice(4));
      console.log(
        `${"".padEnd(34)}(during the 5-endpoint phase the healthy receivers got ${during.slice(0, 4).join(", ")} requests, the hanging one ${during[4]})`,
      );
    }

    const { rows } = await abono.server.connection.pool.query<{ status: string; count: number }>(
      `select d.status, count(*)::int as count from webhook_deliveries d
        group by d.status order by d.status`,
    );
    console.log(
      `\nthe hanging receiver held at most ${receivers[4]?.state.maxOpen ?? 0} requests open at once (one endpoint at most 4; a disabled one's run out their timeout); deliveries at the end: ${rows.map((row) => `${row.count} ${row.status}`).join(", ")} (disabled endpoints' pending ones wait)`,
    );
  } finally {
    await worker?.stop();
    for (const receiver of receivers) await receiver.close();
    await abono.close();
  }
}

await main();
