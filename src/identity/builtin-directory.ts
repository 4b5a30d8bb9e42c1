import { and, eq } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { identityGroupMembers, identityGroups } from "../db/schema/index.ts";
import type { IdentityDirectory } from "./identity-directory.ts";

/** Groups and memberships in Abono's own PostgreSQL, for teams without an external identity provider. */
export function createBuiltinDirectory({
  db,
  clock,
}: {
  db: Database;
  clock: () => Date;
}): IdentityDirectory {
  return {
    name: "builtin",
    async createGroup({ groupName, description }) {
      const inserted = await db
        .insert(identityGroups)
        .values({ name: groupName, description, createdAt: clock() })
        .onConflictDoNothing()
        .returning({ name: identityGroups.name });
      return { created: inserted.length > 0 };
    },
    async deleteGroup({ groupName }) {
      await db.delete(identityGroups).where(eq(identityGroups.name, groupName));
    },
    async addUserToGroup({ userId, groupName }) {
      await db
        .insert(identityGroups)
        .values({ name: groupName, description: null, createdAt: clock() })
        .onConflictDoNothing();
      await db
        .insert(identityGroupMembers)
        .values({ groupName, userId, createdAt: clock() })
        .onConflictDoNothing();
    },
    async removeUserFromGroup({ userId, groupName }) {
      await db
        .delete(identityGroupMembers)
        .where(
          and(
            eq(identityGroupMembers.groupName, groupName),
            eq(identityGroupMembers.userId, userId),
          ),
        );
    },
  };
}
