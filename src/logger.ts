import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger({ level }: { level: string }): Logger {
  return pino({ level, base: { service: "abono" } });
}
