import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { createBuiltinDirectory } from "./builtin-directory.ts";
import { createCognitoDirectory } from "./cognito-directory.ts";
import type { IdentityDirectory } from "./identity-directory.ts";

/** The configured identity directory (ABONO_IDENTITY_DIRECTORY). */
export function createIdentityDirectory({
  config,
  db,
  clock,
}: {
  config: Config;
  db: Database;
  clock: () => Date;
}): IdentityDirectory {
  return config.identity.directory === "cognito"
    ? createCognitoDirectory(config.identity)
    : createBuiltinDirectory({ db, clock });
}
