import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rejectionCodes } from "../../src/entitlements/ingest-usage-batch.ts";
import { errorStatus } from "../../src/errors.ts";

const page = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

/** The rows of the markdown table that follows `heading`: each row's cells, backticks removed. */
function tableAfter(heading: string): string[][] {
  const section = page.split(heading)[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll("`", "")),
    );
}

describe("docs/errors.md follows the server's codes", () => {
  it("lists every error code with its HTTP status, a meaning and what to do, and no other code", () => {
    const expected: Record<string, number> = { ...errorStatus };
    const rows = tableAfter("## Codes");
    const documented = Object.fromEntries(rows.map(([code, status]) => [code, Number(status)]));
    expect(documented).toEqual(expected);
    for (const [code, , meaning, action] of rows) {
      expect(meaning, code).toMatch(/\w{3,}/);
      expect(action, code).toMatch(/\w{3,}/);
    }
  });

  it("lists every per-event code of a usage batch with its meaning", () => {
    const rows = tableAfter("## Per-event codes");
    expect(rows.map(([code]) => code).sort()).toEqual([...rejectionCodes].sort());
    for (const [code, meaning] of rows) expect(meaning, code).toMatch(/\w{3,}/);
  });
});
