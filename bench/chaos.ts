/**
 * The three-process test at length: `npm run bench:chaos [seconds]` (default 120) runs
 * test/scaling/three-processes.test.ts with that much mixed load while one process is killed and started
 * again every few seconds, then checks the same invariants and prints the requests, resends and kills.
 */
import { spawnSync } from "node:child_process";

const seconds = Number(process.argv[2] ?? 120);
const result = spawnSync(
  "npx",
  ["vitest", "run", "test/scaling/three-processes.test.ts", "--reporter=verbose"],
  {
    stdio: "inherit",
    env: { ...process.env, ABONO_CHAOS_LOAD_MS: String(seconds * 1000) },
  },
);
process.exit(result.status ?? 1);
