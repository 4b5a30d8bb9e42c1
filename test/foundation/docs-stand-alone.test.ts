import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;
const thisFile = new URL(import.meta.url).pathname;

/** Every text file of the repository's own code and docs (not dependencies, build output or data). */
function repositoryFiles(): string[] {
  const files: string[] = ["README.md", "CHANGELOG.md", "BENCHMARKS.md", "package.json"]
    .map((name) => join(root, name))
    .filter((path) => existsSync(path));
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js|md|json|sql)$/.test(name) && path !== thisFile) files.push(path);
    }
  };
  for (const directory of ["src", "test", "docs", "bench", "bin", "drizzle"]) {
    if (existsSync(join(root, directory))) walk(join(root, directory));
  }
  return files;
}

describe("the repository explains itself", () => {
  const files = repositoryFiles().map((path) => ({
    path: relative(root, path),
    text: readFileSync(path, "utf8"),
  }));

  it("cites no document that is not in it (design notes, product seeds, ../shared)", () => {
    const outside =
      /\bAPI\.md\b|BILLING-RULES|ARCHITECTURE\.md|\bSTYLE\.md|\bseed 0\d\d\b|\.\.\/shared\/|\/work\/shared/i;
    const citing = files
      .filter(({ text }) => outside.test(text))
      .map(({ path, text }) => `${path}: ${text.match(outside)?.[0]}`);
    expect(citing).toEqual([]);
  });

  it("points only at docs that exist", () => {
    const missing = files.flatMap(({ path, text }) =>
      [...text.matchAll(/\bdocs\/([\w-]+\.md)/g)]
        .map((match) => match[1] ?? "")
        .filter((name) => !existsSync(join(root, "docs", name)))
        .map((name) => `${path}: docs/${name}`),
    );
    expect(missing).toEqual([]);
  });
});
