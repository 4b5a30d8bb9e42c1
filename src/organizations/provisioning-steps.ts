import { and, eq } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import {
  billingCustomers,
  organizationEntitlements,
  organizationMembers,
  organizationPublicView,
} from "../db/schema/index.ts";
import type { IdentityDirectory } from "../identity/identity-directory.ts";
import { newId } from "../ids.ts";
import type { OrganizationRecord } from "./organization-record.ts";
import { requireFreePlan } from "./require-free-plan.ts";
import { createTenantSchema, dropTenantSchema } from "./tenant-schema.ts";

export interface ProvisioningContext {
  db: Database;
  directory: IdentityDirectory;
  config: Config;
  now: Date;
  organization: OrganizationRecord;
}

/**
 * What a step's `run` did: `done` (it made what it makes) or `skipped` (the installation does not use it,
 * e.g. the tenant schema while tenant schemas are off). Recorded as the step's status.
 */
export type StepResult = "done" | "skipped";

/**
 * One step of provisioning: `run` makes something exist, `compensate` makes it not exist. Both are
 * idempotent, so a retry may run them again whatever state a crash left behind.
 */
export interface ProvisioningStep {
  name: string;
  run(context: ProvisioningContext): Promise<StepResult>;
  compensate(context: ProvisioningContext): Promise<void>;
}

const billingCustomer: ProvisioningStep = {
  name: "billing_customer",
  async run({ db, organization, now }) {
    await db
      .insert(billingCustomers)
      .values({ organizationId: organization.id, id: newId("cus", now.getTime()), createdAt: now })
      .onConflictDoNothing();
    return "done";
  },
  async compensate({ db, organization }) {
    await db.delete(billingCustomers).where(eq(billingCustomers.organizationId, organization.id));
  },
};

const coreRecord: ProvisioningStep = {
  name: "core_record",
  async run({ db, organization, now }) {
    await db.transaction(async (tx) => {
      await tx
        .insert(organizationPublicView)
        .values({
          organizationId: organization.id,
          name: organization.name,
          status: organization.status,
          isActive: organization.status === "active",
          updatedAt: now,
        })
        .onConflictDoNothing();
      if (organization.ownerUserId) {
        await tx
          .insert(organizationMembers)
          .values({
            organizationId: organization.id,
            userId: organization.ownerUserId,
            email: organization.ownerEmail,
            roles: ["owner", "billing_admin"],
            createdAt: now,
          })
          .onConflictDoNothing();
      }
    });
    return "done";
  },
  async compensate({ db, organization }) {
    await db.transaction(async (tx) => {
      await tx
        .delete(organizationMembers)
        .where(eq(organizationMembers.organizationId, organization.id));
      await tx
        .delete(organizationPublicView)
        .where(eq(organizationPublicView.organizationId, organization.id));
    });
  },
};

const freeEntitlement: ProvisioningStep = {
  name: "free_entitlement",
  async run({ db, organization, config, now }) {
    const plan = await requireFreePlan({ executor: db, freePlanId: config.freePlanId });
    await db
      .insert(organizationEntitlements)
      .values({
        organizationId: organization.id,
        planId: plan.id,
        planVersion: plan.currentVersion,
        status: "active",
        trialEndsAt: null,
        source: "free",
        updatedAt: now,
      })
      .onConflictDoNothing();
    return "done";
  },
  async compensate({ db, organization }) {
    await db
      .delete(organizationEntitlements)
      .where(
        and(
          eq(organizationEntitlements.organizationId, organization.id),
          eq(organizationEntitlements.source, "free"),
        ),
      );
  },
};

/**
 * The organization's group, and the creator in it and in the configured admin group. Compensation removes
 * the creator from the organization's group and deletes that group; the admin group is shared with other
 * organizations, so its memberships stay.
 */
const identityGroups: ProvisioningStep = {
  name: "identity_groups",
  async run({ directory, organization, config }) {
    await directory.createGroup({
      groupName: organization.identityGroup,
      description: `Members of ${organization.name} (${organization.id})`,
    });
    const owner = organization.ownerUserId;
    if (!owner) return "done";
    if (config.identity.adminGroup) {
      await directory.addUserToGroup({ userId: owner, groupName: config.identity.adminGroup });
    }
    await directory.addUserToGroup({ userId: owner, groupName: organization.identityGroup });
    return "done";
  },
  async compensate({ directory, organization }) {
    if (organization.ownerUserId) {
      await directory.removeUserFromGroup({
        userId: organization.ownerUserId,
        groupName: organization.identityGroup,
      });
    }
    await directory.deleteGroup({ groupName: organization.identityGroup });
  },
};

const tenantSchema: ProvisioningStep = {
  name: "tenant_schema",
  async run({ db, organization, config }) {
    // Tenant schemas off (ABONO_TENANT_SCHEMAS), or the organization was recorded without one.
    if (!config.tenantTemplateSchema || !organization.tenantSchema) return "skipped";
    await createTenantSchema({
      db,
      template: config.tenantTemplateSchema,
      schema: organization.tenantSchema,
    });
    return "done";
  },
  async compensate({ db, organization }) {
    if (organization.tenantSchema)
      await dropTenantSchema({ db, schema: organization.tenantSchema });
  },
};

/** The pipeline, in order. */
export const provisioningSteps: readonly ProvisioningStep[] = [
  billingCustomer,
  coreRecord,
  freeEntitlement,
  identityGroups,
  tenantSchema,
];
