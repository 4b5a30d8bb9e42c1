import os from "node:os";

/** The machine a benchmark ran on: cores, CPU model, memory and Node version. */
export function machineLine(): string {
  return `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.floor(os.totalmem() / 2 ** 30)} GiB; node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, to print beside each run. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}
