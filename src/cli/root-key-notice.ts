import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.ts";

/**
 * Shows the root API key generated at first start to the person at the terminal, and to nobody else:
 * printed only when stdout is a terminal; otherwise (a log file, Docker, systemd) written to a file only
 * the owner can read (0600), whose path is logged instead of the secret.
 */
export async function announceGeneratedRootKey({
  secret,
  dataDir,
  logger,
  stdout = process.stdout,
}: {
  secret: string;
  dataDir: string;
  logger: Logger;
  stdout?: { isTTY?: boolean; write(text: string): unknown };
}): Promise<{ printed: true } | { printed: false; file: string }> {
  if (stdout.isTTY) {
    stdout.write(
      `${[
        "",
        "  A root API key was generated. It is shown only this once; store it now:",
        "",
        `    ${secret}`,
        "",
        "  Use it as `Authorization: Bearer <key>`. Set ABONO_ROOT_API_KEY to choose your own.",
        "",
      ].join("\n")}\n`,
    );
    return { printed: true };
  }
  const file = path.join(dataDir, "root-api-key");
  await fs.mkdir(dataDir, { recursive: true });
  // Created anew with 0600, so no earlier, wider permissions carry over.
  await fs.rm(file, { force: true });
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  logger.warn(
    { file },
    `A root API key was generated. Standard output is not a terminal, so it was not printed: it is in ${file} (readable only by this user). Store it elsewhere and delete the file.`,
  );
  return { printed: false, file };
}
