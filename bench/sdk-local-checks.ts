/**
 * The SDK's local entitlement checks (`abono.entitlements.local()`): checks per second in one process beside
 * an empty function call measured in the same run, and the time from a root override sent to the server
 * until the local snapshot shows it, p50/p99 over `--changes` changes. The latency is measured from before
 * the request is sent (an upper bound of commit → snapshot: it includes the HTTP request that commits).
 * The server, PostgreSQL and the SDK share this machine.
 *
 *   npm run bench:sdk -- [--organizations 100] [--checks 5000000] [--changes 1000]
 */
import { parseArgs } from "node:util";
import { createAbono } from "../packages/client/src/index.ts";
import { seedDemo } from "../src/seeds/seed-demo.ts";
import { benchRootKey, startBenchServer } from "./bench-server.ts";
import { loadAverage, machineLine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    organizations: { type: "string", default: "100" },
    checks: { type: "string", default: "5000000" },
    changes: { type: "string", default: "1000" },
  },
});
const organizationCount = Number(values.organizations);
const checkCount = Number(values.checks);
const changeCount = Number(values.changes);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function main() {
  const server = await startBenchServer();
  try {
    await seedDemo({ db: server.server.connection.db, now: new Date() });
    const organizations: string[] = [];
    for (let index = 0; index < organizationCount; index++) {
      await server.call("POST", "/v1/organizations", { id: `sdk-${index}`, name: `SDK ${index}` });
      organizations.push(`sdk-${index}`);
    }
    const abono = createAbono({ baseUrl: server.url, apiKey: benchRootKey });
    const local = abono.entitlements.local({ organizations: "all" });
    await local.ready();
    const features = ["encounters", "active_preventives", "preventive_maintenance"];
    for (const id of organizations)
      for (const feature of features)
        if (!local.check(id, feature)) throw new Error(`no local answer for ${id} ${feature}`);

    // Checks per second, beside an empty function call.
    let sink = 0;
    const empty = (organizationId: string, feature: string) =>
      organizationId.length + feature.length;
    const time = (run: (index: number) => void) => {
      const started = process.hrtime.bigint();
      for (let index = 0; index < checkCount; index++) run(index);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    const call = (index: number) => {
      sink += empty(
        organizations[index % organizationCount] as string,
        features[index % 3] as string,
      );
    };
    const check = (index: number) => {
      const answer = local.check(
        organizations[index % organizationCount] as string,
        features[index % 3] as string,
      );
      if (answer?.allowed) sink += 1;
    };
    time(call);
    time(check);
    const emptySeconds = time(call);
    const checkSeconds = time(check);

    // Change → snapshot latency over root overrides.
    const latencies: number[] = [];
    const target = organizations[0] as string;
    for (let index = 0; index < changeCount; index++) {
      const value = 1000 + (index % 2 === 0 ? index : -index);
      const seen = new Promise<number>((resolve) => {
        const stop = local.onChange((organizationId) => {
          if (organizationId === target && local.check(target, "encounters")?.limit === value) {
            stop();
            resolve(performance.now());
          }
        });
      });
      const sent = performance.now();
      await server.call(
        "PUT",
        `/v1/root/organizations/${target}/entitlement-overrides/encounters`,
        {
          value,
          reason: "bench",
        },
      );
      latencies.push((await seen) - sent);
    }
    latencies.sort((a, b) => a - b);
    local.close();

    console.log(machineLine());
    console.log(`load average before/after: ${loadAverage()}`);
    console.log(`${organizationCount} organizations, ${checkCount} calls each`);
    console.log(
      `empty function call     ${(checkCount / emptySeconds).toFixed(0).padStart(12)} /s   (baseline)`,
    );
    console.log(
      `local check (SDK)        ${(checkCount / checkSeconds).toFixed(0).padStart(12)} /s`,
    );
    console.log(
      `change → local snapshot  p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms over ${changeCount} root overrides (from before the request is sent)`,
    );
    if (sink < 0) console.log(sink);
  } finally {
    await server.close();
  }
}

await main();
