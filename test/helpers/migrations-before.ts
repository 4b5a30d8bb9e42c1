import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";

const drizzleFolder = path.resolve(import.meta.dirname, "../../drizzle");

/**
 * A temporary migrations folder holding every migration before the one whose tag ends with `tagSuffix`,
 * to build a database as it stood before that migration. `remove` deletes the folder.
 */
export async function migrationsBefore(
  tagSuffix: string,
): Promise<{ folder: string; remove(): Promise<void> }> {
  const journal = JSON.parse(
    await fs.readFile(path.join(drizzleFolder, "meta/_journal.json"), "utf8"),
  ) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((entry) => entry.tag.endsWith(tagSuffix));
  expect(index, `a migration tagged …${tagSuffix}`).toBeGreaterThan(0);
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "abono-migrations-"));
  await fs.mkdir(path.join(folder, "meta"));
  await fs.writeFile(
    path.join(folder, "meta/_journal.json"),
    JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }),
  );
  for (const entry of journal.entries.slice(0, index)) {
    await fs.copyFile(
      path.join(drizzleFolder, `${entry.tag}.sql`),
      path.join(folder, `${entry.tag}.sql`),
    );
  }
  return { folder, remove: () => fs.rm(folder, { recursive: true, force: true }) };
}
