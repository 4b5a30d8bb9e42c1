import { z } from "zod";
import { toNumber } from "../money/index.ts";

/**
 * Field types of event payloads: what domain code passes in (bigint amounts, Dates) and what the event
 * carries on the wire (integers, ISO 8601 strings), so one zod schema types the call, converts the data
 * and documents the JSON (`z.toJSONSchema` with `io: "output"`).
 */

/** An amount in the currency's minor unit (or a count): a bigint or an integer in, an integer out. */
export const integerField = z.codec(z.union([z.bigint(), z.int()]), z.int(), {
  decode: (value) => (typeof value === "bigint" ? toNumber(value) : value),
  encode: (value) => BigInt(value),
});

/** An instant: a Date in, an ISO 8601 UTC string out (`2026-01-15T09:30:00.000Z`). */
export const instantField = z.codec(
  z.union([z.date(), z.iso.datetime()]),
  z.string().meta({ format: "date-time", examples: ["2026-01-15T09:30:00.000Z"] }),
  {
    decode: (value) => (typeof value === "string" ? value : value.toISOString()),
    encode: (value) => new Date(value),
  },
);

export const currencyField = z
  .string()
  .meta({ description: "ISO 4217 code, upper case", examples: ["USD"] });

export const intervalField = z.enum(["month", "year"]);
