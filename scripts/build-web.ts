import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Builds the billing portal (web/) into web/dist unless the build there was made from the same sources.
 * Runs after `npm ci` (prepare), before `npm start` (prestart) and before the tests (global setup), so a
 * fresh clone serves the portal with nothing else to run, and an unchanged tree costs one hash, not a build.
 */
const repository = path.resolve(import.meta.dirname, "..");
const webDir = path.join(repository, "web");
const distDir = path.join(webDir, "dist");
const stampFile = path.join(distDir, ".build-stamp");

/**
 * Files whose content decides the build: the app's sources, the workspace packages it bundles from their
 * sources (@abono/client, @abono/react) and the locked dependency versions.
 */
async function buildInputs(): Promise<string[]> {
  const files: string[] = [path.join(repository, "package-lock.json")];
  const walk = async (directory: string) => {
    for (const entry of await fs.readdir(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "dist" && entry.name !== "node_modules") await walk(full);
      } else if (!entry.name.endsWith(".gen.ts")) {
        files.push(full);
      }
    }
  };
  await walk(webDir);
  for (const name of ["client", "react"])
    await walk(path.join(repository, "packages", name, "src"));
  return files.sort();
}

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await buildInputs()) {
    hash.update(path.relative(repository, file));
    hash.update("\0");
    hash.update(await fs.readFile(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Builds web/ when web/dist is missing or stale; answers whether it built. */
export async function ensureWebBuild({ log = console.log }: { log?: (line: string) => void } = {}) {
  const hash = await sourceHash();
  const built = await fs.readFile(stampFile, "utf8").catch(() => null);
  if (built === hash) return false;
  log("Building the billing portal (web/ → web/dist)…");
  const { build } = await import("vite");
  // React's production build whatever NODE_ENV the caller has (vitest's global setup runs with "test",
  // which would make Vite and the React plugin build for development).
  const callerEnvironment = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      configFile: path.join(webDir, "vite.config.ts"),
      mode: "production",
      logLevel: "warn",
    });
  } finally {
    if (callerEnvironment === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = callerEnvironment;
  }
  await fs.writeFile(stampFile, hash);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await ensureWebBuild();
}
