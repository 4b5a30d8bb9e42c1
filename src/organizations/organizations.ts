import { and, asc, eq, gt, ilike, inArray, like, lt, or, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { isUniqueViolation } from "../db/is-unique-violation.ts";
import {
  organizationBillingProviders,
  organizationEntitlements,
  organizationPublicView,
  type organizationStatuses,
  organizations,
  provisioningSteps as stepRecords,
  testClocks,
} from "../db/schema/index.ts";
import { AbonoError, conflict, invalidEntry, invalidState, notFound } from "../errors.ts";
import type { IdentityDirectory } from "../identity/identity-directory.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../logger.ts";
import { isSupportedCurrency } from "../money/index.ts";
import type { BillingAnchor } from "../time/index.ts";
import { identityGroupNameFor, tenantSchemaNameFor } from "./identity-group-name.ts";
import { lockOrganization } from "./lock-organization.ts";
import type { OrganizationRecord } from "./organization-record.ts";
import { provisioningSteps } from "./provisioning-steps.ts";
import { publishOrganizationChanges } from "./publish-organization-changes.ts";
import { requireFreePlan } from "./require-free-plan.ts";
import { runProvisioning } from "./run-provisioning.ts";
import { syncPublicView } from "./sync-public-view.ts";

export type OrganizationStatus = (typeof organizationStatuses)[number];

/** A provisioning left `provisioning` this long is taken to have died with its process and may be retried. */
const provisioningLeaseMs = 5 * 60 * 1000;

export interface CreateOrganizationInput {
  id: string | undefined;
  name: string;
  currency: string | undefined;
  billingAnchor: BillingAnchor;
  locale: "en" | "es";
  testClockId: string | undefined;
  owner: { userId: string; email: string | null } | undefined;
}

export interface OrganizationServices {
  db: Database;
  directory: IdentityDirectory;
  config: Config;
  logger: Logger;
}

/**
 * Creates and provisions an organization before answering. Sending the same request again for an
 * organization whose provisioning failed (or died) runs the provisioning again: that is the retry.
 */
export async function createOrganization({
  services,
  input,
  createdBy,
  now,
}: {
  services: OrganizationServices;
  input: CreateOrganizationInput;
  createdBy: string;
  now: Date;
}): Promise<OrganizationRecord> {
  const { db, config } = services;
  const problems: string[] = [];
  if (input.currency !== undefined && !isSupportedCurrency(input.currency)) {
    problems.push(
      `currency: "${input.currency}" is not an ISO 4217 currency with a known number of decimals; use a code such as USD, EUR or CLP`,
    );
  }
  if (input.testClockId !== undefined) {
    if (!config.testMode) {
      problems.push("testClockId: test clocks exist only in test mode (ABONO_TEST_MODE=true)");
    } else {
      const [clock] = await db
        .select()
        .from(testClocks)
        .where(eq(testClocks.id, input.testClockId));
      if (!clock) problems.push(`testClockId: no test clock "${input.testClockId}"`);
    }
  }
  if (problems.length > 0) {
    throw invalidEntry("The organization", problems);
  }

  // Checked before anything is created; the provisioning step checks again.
  await requireFreePlan({ executor: db, freePlanId: config.freePlanId });
  const id = input.id ?? newId("org", now.getTime());
  const organization = await insertOrClaim({ db, id, input, createdBy, now, config });
  return provision({ services, organization, now });
}

/** Runs the provisioning of an organization whose provisioning failed (or died) again. */
export async function retryProvisioning({
  services,
  organizationId,
  now,
}: {
  services: OrganizationServices;
  organizationId: string;
  now: Date;
}): Promise<OrganizationRecord> {
  const organization = await claimForRetry({
    db: services.db,
    id: organizationId,
    now,
    provisioned: () =>
      invalidState(
        `Organization ${organizationId} is provisioned already; there is nothing to retry.`,
        { organizationId },
      ),
  });
  return provision({ services, organization, now });
}

async function provision({
  services,
  organization,
  now,
}: {
  services: OrganizationServices;
  organization: OrganizationRecord;
  now: Date;
}): Promise<OrganizationRecord> {
  const outcome = await runProvisioning({
    steps: provisioningSteps,
    context: { ...services, organization, now },
    logger: services.logger,
  });
  if (!outcome.ok) {
    // A step refused for a reason the caller can act on (the free plan missing) keeps its own 4xx code.
    const code =
      outcome.cause instanceof AbonoError && outcome.cause.status < 500
        ? outcome.cause.code
        : "internal_error";
    throw new AbonoError(
      code,
      `Provisioning of organization ${organization.id} failed at step ${outcome.failedStep}: ${outcome.error} Everything it had done was undone; send the same request again (or POST /v1/organizations/${organization.id}/provisioning/retry) to retry.`,
      { organizationId: organization.id, failedStep: outcome.failedStep },
    );
  }
  return getOrganizationRecord({ db: services.db, organizationId: organization.id });
}

async function insertOrClaim({
  db,
  id,
  input,
  createdBy,
  now,
  config,
}: {
  db: Database;
  id: string;
  input: CreateOrganizationInput;
  createdBy: string;
  now: Date;
  config: Config;
}): Promise<OrganizationRecord> {
  const { rows } = await db.execute<{ number: string }>(
    sql`select nextval('organization_number_seq')::text as number`,
  );
  const number = Number(rows[0]?.number);
  const baseGroup = identityGroupNameFor({ name: input.name });
  for (const identityGroup of [baseGroup, `${baseGroup}-${number}`]) {
    const [taken] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.identityGroup, identityGroup));
    if (taken && taken.id !== id) continue;
    let inserted: OrganizationRecord | undefined;
    try {
      [inserted] = await db
        .insert(organizations)
        .values({
          id,
          number,
          name: input.name,
          currency: input.currency ?? null,
          billingAnchor: input.billingAnchor,
          locale: input.locale,
          status: "active",
          testClockId: input.testClockId ?? null,
          identityGroup,
          tenantSchema: config.tenantTemplateSchema ? tenantSchemaNameFor({ number }) : null,
          ownerUserId: input.owner?.userId ?? null,
          ownerEmail: input.owner?.email ?? null,
          provisioningStatus: "provisioning",
          provisioningStartedAt: now,
          createdBy,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing({ target: organizations.id })
        .returning();
    } catch (error) {
      // Another organization with the same name took the group between our check and insert.
      if (isUniqueViolation(error, "organizations_identity_group_unique")) continue;
      throw error;
    }
    if (inserted) return inserted;
    return claimForRetry({
      db,
      id,
      now,
      provisioned: () =>
        conflict(`Organization ${id} already exists; choose another id.`, { organizationId: id }),
    });
  }
  throw conflict(`Another organization holds the identity group ${baseGroup}; try again.`);
}

/**
 * Claims an organization whose provisioning failed (or died) to run it again. One being provisioned right
 * now answers 409; one provisioned already answers the caller's `provisioned` error.
 */
async function claimForRetry({
  db,
  id,
  now,
  provisioned,
}: {
  db: Database;
  id: string;
  now: Date;
  provisioned: () => AbonoError;
}): Promise<OrganizationRecord> {
  const [claimed] = await db
    .update(organizations)
    .set({ provisioningStatus: "provisioning", provisioningStartedAt: now, updatedAt: now })
    .where(
      and(
        eq(organizations.id, id),
        or(
          eq(organizations.provisioningStatus, "failed"),
          and(
            eq(organizations.provisioningStatus, "provisioning"),
            lt(organizations.provisioningStartedAt, new Date(now.getTime() - provisioningLeaseMs)),
          ),
        ),
      ),
    )
    .returning();
  if (claimed) return claimed;
  const existing = await getOrganizationRecord({ db, organizationId: id });
  if (existing.provisioningStatus === "provisioning") {
    throw conflict(
      `Organization ${id} is being provisioned right now; read it again in a few seconds.`,
    );
  }
  throw provisioned();
}

export async function getOrganizationRecord({
  db,
  organizationId,
}: {
  db: Database;
  organizationId: string;
}): Promise<OrganizationRecord> {
  const [organization] = await db
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw notFound("Organization", organizationId);
  return organization;
}

/** The provisioning steps of several organizations, in step order, in one query. */
export async function listProvisioningSteps({
  db,
  organizationIds,
}: {
  db: Database;
  organizationIds: string[];
}) {
  return db
    .select()
    .from(stepRecords)
    .where(inArray(stepRecords.organizationId, organizationIds))
    .orderBy(asc(stepRecords.organizationId), asc(stepRecords.position));
}

export async function listOrganizations(
  options: Parameters<typeof organizationListQuery>[0],
): Promise<OrganizationRecord[]> {
  return organizationListQuery(options);
}

/** The query `listOrganizations` runs, unexecuted (its plan is tested: docs/backoffice.md "Search at scale"). */
export function organizationListQuery({
  db,
  limit,
  cursor,
  search,
  status,
  planId,
  provider,
}: {
  db: Database;
  limit: number;
  cursor: string | undefined;
  /**
   * Finds organizations by id (exact or prefix), name or owner email (contains, any case; text shorter than
   * 3 characters: starts with), or a billing provider's reference for it (a customer id: an exact top-level
   * value in `billingProviders`). Every branch is index-backed (docs/backoffice.md "Search at scale").
   */
  search?: string | undefined;
  /** Only organizations with this status. */
  status?: OrganizationStatus | undefined;
  /** Only organizations entitled to this plan. */
  planId?: string | undefined;
  /** Only organizations this billing provider has a record of. */
  provider?: string | undefined;
}) {
  return db
    .select()
    .from(organizations)
    .where(
      and(
        cursor === undefined ? undefined : gt(organizations.id, cursor),
        search === undefined ? undefined : searchCondition(search),
        status === undefined ? undefined : eq(organizations.status, status),
        planId === undefined
          ? undefined
          : sql`${organizations.id} in (select e.organization_id from ${organizationEntitlements} e
              where e.plan_id = ${planId})`,
        provider === undefined
          ? undefined
          : sql`${organizations.id} in (select p.organization_id from ${organizationBillingProviders} p
              where p.provider = ${provider})`,
      ),
    )
    .orderBy(asc(organizations.id))
    .limit(limit);
}

/**
 * The search as one OR the planner can answer with a BitmapOr over the indexes (id prefix by
 * `text_pattern_ops`, fragments by pg_trgm GIN, provider references by the GIN index on their records,
 * turned into ids first) or, for a common fragment, by walking the primary key in order.
 */
function searchCondition(search: string) {
  const literal = escapeLike(search);
  // pg_trgm needs 3 characters to narrow a fragment down; a shorter one matches only at the start.
  const pattern = search.length >= 3 ? `%${literal}%` : `${literal}%`;
  return or(
    like(organizations.id, `${literal}%`),
    ilike(organizations.name, pattern),
    ilike(organizations.ownerEmail, pattern),
    sql`${organizations.id} = any(array(select p.organization_id from ${organizationBillingProviders} p
      where p.data @@ ('$.* == ' || to_json(${search}::text)::text)::jsonpath))`,
  );
}

/** `text` matched literally inside a LIKE pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * Renames an organization or changes its status, keeping the public view in step in the same
 * transaction. A `deleted` organization keeps its rows and billing history. A status change is audited.
 */
export async function updateOrganization({
  db,
  organizationId,
  changes,
  actor,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  changes: {
    name?: string | undefined;
    locale?: "en" | "es" | undefined;
    status?: OrganizationStatus | undefined;
  };
  actor: string;
  systemNow: Date;
}): Promise<OrganizationRecord> {
  return db.transaction(async (tx) => {
    const { organization: before, now } = await lockOrganization({
      tx,
      organizationId,
      systemNow,
    });
    const [updated] = await tx
      .update(organizations)
      .set({
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.status === undefined ? {} : { status: changes.status }),
        ...(changes.locale === undefined ? {} : { locale: changes.locale }),
        updatedAt: now,
      })
      .where(eq(organizations.id, organizationId))
      .returning();
    if (!updated) throw notFound("Organization", organizationId);
    await syncPublicView({ executor: tx, organization: updated, now });
    await publishOrganizationChanges({ executor: tx, before, after: updated, now });
    if (updated.status !== before.status) {
      await recordAudit({
        executor: tx,
        entry: {
          action: "organization.status_changed",
          actor,
          organizationId,
          before: { status: before.status, isActive: before.status === "active" },
          after: { status: updated.status, isActive: updated.status === "active" },
        },
        now,
      });
    }
    return updated;
  });
}

export async function getPublicOrganization({
  db,
  organizationId,
}: {
  db: Database;
  organizationId: string;
}) {
  const [view] = await db
    .select()
    .from(organizationPublicView)
    .where(eq(organizationPublicView.organizationId, organizationId));
  if (!view) throw notFound("Organization", organizationId);
  return { id: view.organizationId, name: view.name, status: view.status, isActive: view.isActive };
}
