import { z } from "zod";

const earliest = Date.parse("0001-01-01T00:00:00.000Z");
const latest = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * An ISO 8601 date-time with an offset (the API's timestamps), in years 0001–9999 once in UTC: a date outside
 * them (`0000-01-01T00:00:00Z`, `9999-12-31T23:00:00-14:00`) has no ISO form PostgreSQL accepts.
 * `error` replaces zod's message for a value that is not an ISO date-time at all.
 */
export function instantInput(error?: string) {
  return z.iso.datetime({ offset: true, ...(error === undefined ? {} : { error }) }).refine(
    (value) => {
      const time = Date.parse(value);
      // Not a date at all: the format check above has said so already.
      return Number.isNaN(time) || (time >= earliest && time <= latest);
    },
    { error: "must be a date-time between the years 0001 and 9999 (UTC)" },
  );
}
