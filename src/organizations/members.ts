import { and, asc, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { OrganizationRole } from "../auth/principal.ts";
import type { Database } from "../db/database.ts";
import { organizationMembers, organizations } from "../db/schema/index.ts";
import { invalidState, notFound } from "../errors.ts";
import type { IdentityDirectory } from "../identity/identity-directory.ts";
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
  const organization = await getOrganizationRecord({ db, organizationId });
  const member = await db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [existing] = await tx
      .select()
      .from(organizationMembers)
      .where(
        and(
          eq(organizationMembers.organizationId, organizationId),
          eq(organizationMembers.userId, userId),
        ),
      );
    if (existing?.roles.includes("owner") && !roles.includes("owner")) {
      await assertAnotherOwner(tx, organizationId, userId);
    }
    const [saved] = await tx
      .insert(organizationMembers)
      .values({ organizationId, userId, email, roles: [...new Set(roles)], createdAt: now })
      .onConflictDoUpdate({
        target: [organizationMembers.organizationId, organizationMembers.userId],
        set: { roles: [...new Set(roles)], ...(email === null ? {} : { email }) },
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
    return saved;
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
  const organization = await getOrganizationRecord({ db, organizationId });
  await db.transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const [existing] = await tx
      .select()
      .from(organizationMembers)
      .where(
        and(
          eq(organizationMembers.organizationId, organizationId),
          eq(organizationMembers.userId, userId),
        ),
      );
    if (!existing) throw notFound("Member", userId);
    if (existing.roles.includes("owner")) await assertAnotherOwner(tx, organizationId, userId);
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
    await tx
      .delete(organizationMembers)
      .where(
        and(
          eq(organizationMembers.organizationId, organizationId),
          eq(organizationMembers.userId, userId),
        ),
      );
  });
  await directory.removeUserFromGroup({ userId, groupName: organization.identityGroup });
}

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** Serializes membership changes of one organization, so two removals cannot leave it without an owner. */
async function lockOrganization(tx: Transaction, organizationId: string) {
  await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .for("update");
}

async function assertAnotherOwner(tx: Transaction, organizationId: string, userId: string) {
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
