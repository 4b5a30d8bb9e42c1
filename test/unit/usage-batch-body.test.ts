import { validatorCompiler } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { usageBatchBody, usageBatchValidator } from "../../src/http/schemas/usage-batch-body.ts";

const route = { schema: usageBatchBody, method: "POST", url: "/v1/usage/batch", httpPart: "body" };
const validate = usageBatchValidator(route);
const zodOnly = validatorCompiler(route);
type Result = { value?: unknown; error?: { message: string } };

const event = { organizationId: "org", feature: "encounters", quantity: 2, eventId: "e1" };
const bodies: Record<string, unknown> = {
  plain: { events: [event] },
  "quantity defaulted": { events: [{ ...event, quantity: undefined }, event] },
  "with a timestamp": { events: [{ ...event, timestamp: "2026-03-01T10:00:00+02:00" }] },
  "a bad timestamp": { events: [{ ...event, timestamp: "yesterday" }] },
  "a timestamp in year 0": { events: [{ ...event, timestamp: "0000-01-01T00:00:00Z" }] },
  "an extra key (stripped)": { events: [{ ...event, note: "x" }] },
  "an extra top-level key": { events: [event], dryRun: true },
  "no events": { events: [] },
  "too many events": { events: Array.from({ length: 10_001 }, () => event) },
  "10,000 events": { events: Array.from({ length: 10_000 }, () => event) },
  "an empty event id": { events: [{ ...event, eventId: "" }] },
  "a long feature key": { events: [{ ...event, feature: "f".repeat(65) }] },
  "a long organization id": { events: [{ ...event, organizationId: "o".repeat(101) }] },
  "a fractional quantity": { events: [{ ...event, quantity: 1.5 }] },
  "a quantity too large": { events: [{ ...event, quantity: 1_000_001 }] },
  "a negative quantity": { events: [{ ...event, quantity: -1_000_000 }] },
  "a string quantity": { events: [{ ...event, quantity: "2" }] },
  "a null quantity": { events: [{ ...event, quantity: null }] },
  "a number as event id": { events: [{ ...event, eventId: 7 }] },
  "an event that is an array": { events: [[event]] },
  "events not an array": { events: event },
  "no body": null,
};

describe("the batch body validator", () => {
  it.each(Object.entries(bodies))("answers exactly like zod for %s", (_name, body) => {
    const expected = zodOnly(structuredClone(body)) as Result;
    const result = validate(structuredClone(body)) as Result;
    expect(result.value).toEqual(expected.value);
    expect(result.error?.message).toEqual(expected.error?.message);
    expect(Boolean(result.error)).toBe(Boolean(expected.error));
  });
});
