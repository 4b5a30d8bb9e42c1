import { and, asc, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { OrganizationRole } from "../auth/principal.ts";
import type { Database, Transaction } from "../db/database.ts";
import { organizationMembers } from "../db/schema/index.ts";
import { invalidState, notFound } from "../errors.ts";
import type { IdentityDirectory } from "../identity/identity-directory.ts";
import { lockOrganizationRow } from "./lock-organization.ts";
import { getOrganizationRecord } from "./organizations.ts";

export type Member = typeof organizationMembers.$inferSelect;

export async function listMembers({
  db,
  organizationId,
}: {
  db: Database;
  organizationId: string;
}) {
  await getOrganizationRecord({ db, organizationId });
  return db
    .select()
    .from(organizationMembers)
    .where(eq(organizationMembers.organizationId, organizationId))
    .orderBy(asc(organizationMembers.createdAt), asc(organizationMembers.userId));
}

/**
 * Adds a member or sets an existing member's roles, and puts the user in the organization's identity
 * group so tokens issued afterwards carry it.
 */
export async function setMember({
  db,
  directory,
  organizationId,
  userId,
  email,
  roles,
  actor,
  now,
}: {
  db: Database;
  directory: IdentityDirectory;
  organizationId: string;
  userId: string;
  email: string | null;
  roles: OrganizationRole[];
  actor: string;
  now: Date;
}): Promise<Member> {
  const { organization, member } = await db.transaction(async (tx) => {
    // Serializes membership changes of one organization, so two removals cannot leave it without an owner.
    const organization = await lockOrganizationRow({ tx, organizationId });
    const existing = await findMember({ tx, organizationId, userId });
    if (existing?.roles.includes("owner") && !roles.includes("owner")) {
      await assertAnotherOwner({ tx, organizationId, userId });
    }
    const distinctRoles = [...new Set(roles)];
    const [saved] = await tx
      .insert(organizationMembers)
      .values({ organizationId, userId, email, roles: distinctRoles, createdAt: now })
      .onConflictDoUpdate({
        target: [organizationMembers.organizationId, organizationMembers.userId],
        set: { roles: distinctRoles, ...(email === null ? {} : { email }) },
      })
      .returning();
    if (!saved) throw new Error("member upsert returned no row");
    await recordAudit({
      executor: tx,
      entry: {
        action: "organization.member_set",
        actor,
        organizationId,
        before: existing ? { userId, roles: existing.roles } : null,
        after: { userId, roles: saved.roles, email: saved.email },
      },
      now,
    });
    return { organization, member: saved };
  });
  await directory.addUserToGroup({ userId, groupName: organization.identityGroup });
  return member;
}

export async function removeMember({
  db,
  directory,
  organizationId,
  userId,
  actor,
  now,
}: {
  db: Database;
  directory: IdentityDirectory;
  organizationId: string;
  userId: string;
  actor: string;
  now: Date;
}): Promise<void> {
  const organization = await db.transaction(async (tx) => {
    const organization = await lockOrganizationRow({ tx, organizationId });
    const existing = await findMember({ tx, organizationId, userId });
    if (!existing) throw notFound("Member", userId);
    if (existing.roles.includes("owner")) await assertAnotherOwner({ tx, organizationId, userId });
    await recordAudit({
      executor: tx,
      entry: {
        action: "organization.member_removed",
        actor,
        organizationId,
        before: { userId, roles: existing.roles },
        after: null,
      },
      now,
    });
    await tx.delete(organizationMembers).where(memberKey({ organizationId, userId }));
    return organization;
  });
  await directory.removeUserFromGroup({ userId, groupName: organization.identityGroup });
}

function memberKey({ organizationId, userId }: { organizationId: string; userId: string }) {
  return and(
    eq(organizationMembers.organizationId, organizationId),
    eq(organizationMembers.userId, userId),
  );
}

async function findMember({
  tx,
  organizationId,
  userId,
}: {
  tx: Transaction;
  organizationId: string;
  userId: string;
}): Promise<Member | undefined> {
  const [member] = await tx
    .select()
    .from(organizationMembers)
    .where(memberKey({ organizationId, userId }));
  return member;
}

async function assertAnotherOwner({
  tx,
  organizationId,
  userId,
}: {
  tx: Transaction;
  organizationId: string;
  userId: string;
}) {
  const [row] = await tx
    .select({ owners: sql<number>`count(*)::int` })
    .from(organizationMembers)
    .where(
      and(
        eq(organizationMembers.organizationId, organizationId),
        sql`'owner' = any(${organizationMembers.roles})`,
        sql`${organizationMembers.userId} <> ${userId}`,
      ),
    );
  if ((row?.owners ?? 0) === 0) {
    throw invalidState("An organization keeps at least one owner; make someone else owner first.");
  }
}

/**
 * The roles a signed-in user holds through Abono: memberships recorded here, and `member` of every
 * organization whose identity group the token carries.
 */
export async function membershipRoles({
  db,
  subject,
  groups,
}: {
  db: Database;
  subject: string;
  groups: readonly string[];
}): Promise<Map<string, Set<OrganizationRole>>> {
  const { rows } = await db.execute<{ organization_id: string; roles: OrganizationRole[] }>(sql`
    select organization_id, roles from organization_members where user_id = ${subject}
    union all
    select id, array['member']::text[] from organizations
     where identity_group = any(${sql.param([...groups])}::text[]) and provisioning_status = 'active'`);
  const result = new Map<string, Set<OrganizationRole>>();
  for (const row of rows) {
    const held = result.get(row.organization_id) ?? new Set<OrganizationRole>();
    for (const role of row.roles) held.add(role);
    result.set(row.organization_id, held);
  }
  return result;
}
