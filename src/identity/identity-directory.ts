/**
 * Where users and their groups live. Provisioning creates each organization's group and adds its creator
 * to it (and to the configured admin group); JWT auth reads the same group names back from tokens.
 * Implementations: `builtin-directory.ts` (PostgreSQL) and `cognito-directory.ts` (Amazon Cognito).
 * Every method is idempotent, so a provisioning retry can call it again.
 */
export interface IdentityDirectory {
  readonly name: "builtin" | "cognito";
  /** Creates the group; `created: false` when it already existed. */
  createGroup(args: { groupName: string; description: string }): Promise<{ created: boolean }>;
  deleteGroup(args: { groupName: string }): Promise<void>;
  addUserToGroup(args: { userId: string; groupName: string }): Promise<void>;
  removeUserFromGroup(args: { userId: string; groupName: string }): Promise<void>;
}

export class IdentityDirectoryError extends Error {
  constructor(
    message: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "IdentityDirectoryError";
  }
}
