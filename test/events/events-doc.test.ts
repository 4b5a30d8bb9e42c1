import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../../src/events/event-catalog.ts";

const doc = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");

describe("docs/events.md", () => {
  it("lists every event type of the catalog in its table, and no other", () => {
    const section = doc.slice(doc.indexOf("## The catalog"), doc.indexOf("## Reading the log"));
    const listed = [...section.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((match) => match[1]);
    expect(listed).toEqual(eventTypes);
  });
});
