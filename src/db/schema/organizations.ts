import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

import type { PostalAddress } from "./billing-details.ts";
import type { FeatureValues } from "./catalog.ts";
import { taxRates } from "./taxes.ts";
import { testClocks } from "./test-clocks.ts";

/** Numbers organizations in creation order; the 6-digit form names the tenant schema (`tenant_000042`). */
export const organizationNumberSequence = pgSequence("organization_number_seq", { startWith: 1 });

export const organizationStatuses = ["active", "suspended", "deleted"] as const;
export const provisioningStatuses = ["provisioning", "active", "failed"] as const;

/**
 * The organization (a customer tenant, an "ecosystem"). The row exists from the first moment of
 * provisioning and records its progress; a `deleted` organization keeps its row and billing history.
 */
export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    number: bigint("number", { mode: "number" })
      .notNull()
      .unique()
      .default(sql`nextval('organization_number_seq')`),
    name: text("name").notNull(),
    currency: text("currency"),
    billingAnchor: text("billing_anchor", { enum: ["anniversary", "first_of_month"] }).notNull(),
    status: text("status", { enum: organizationStatuses }).notNull(),
    testClockId: text("test_clock_id").references(() => testClocks.id),
    identityGroup: text("identity_group").notNull().unique(),
    tenantSchema: text("tenant_schema").unique(),
    locale: text("locale", { enum: ["en", "es"] })
      .notNull()
      .default("en"),
    /**
     * Billing details (docs/organizations.md "Billing details"), printed on invoices: the legal name,
     * postal address (its country chooses the default tax rate), tax id, billing email, tax exemption
     * and an explicit tax rate that replaces the country's default.
     */
    billingLegalName: text("billing_legal_name"),
    billingAddress: jsonb("billing_address").$type<PostalAddress>(),
    billingEmail: text("billing_email"),
    taxId: text("tax_id"),
    taxIdType: text("tax_id_type"),
    taxExempt: text("tax_exempt", { enum: ["none", "exempt", "reverse"] })
      .notNull()
      .default("none"),
    taxRateId: text("tax_rate_id").references(() => taxRates.id),
    ownerUserId: text("owner_user_id"),
    ownerEmail: text("owner_email"),
    provisioningStatus: text("provisioning_status", { enum: provisioningStatuses }).notNull(),
    provisioningFailedStep: text("provisioning_failed_step"),
    provisioningError: text("provisioning_error"),
    provisioningStartedAt: timestamp("provisioning_started_at", { withTimezone: true }).notNull(),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    check("organizations_status", sql`${table.status} in ('active', 'suspended', 'deleted')`),
    check(
      "organizations_tax_exempt",
      sql`${table.taxExempt} in ('none', 'exempt', 'reverse') and (${table.taxExempt} <> 'reverse' or ${table.taxId} is not null)`,
    ),
    index("organizations_test_clock_id_idx").on(table.testClockId),
    // The backoffice's organization search (docs/backoffice.md "Organizations"): id prefix (LIKE 'x%' in any
    // collation), name and owner email fragments (ILIKE '%x%' through pg_trgm), and the status filter.
    index("organizations_id_prefix_idx").on(table.id.op("text_pattern_ops")),
    index("organizations_name_trgm_idx").using("gin", table.name.op("gin_trgm_ops")),
    index("organizations_owner_email_trgm_idx").using("gin", table.ownerEmail.op("gin_trgm_ops")),
    index("organizations_status_idx").on(table.status, table.id),
  ],
);

/** One row per provisioning step and organization: what ran, what was undone, what failed. */
export const provisioningSteps = pgTable(
  "provisioning_steps",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    step: text("step").notNull(),
    position: integer("position").notNull(),
    status: text("status", { enum: ["done", "skipped", "failed", "compensated"] }).notNull(),
    error: text("error"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.step] })],
);

/** The public view of an organization (`GET /v1/public/organizations/:orgId`), kept in step with its status. */
export const organizationPublicView = pgTable("organization_public_view", {
  organizationId: text("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  name: text("name").notNull(),
  status: text("status", { enum: organizationStatuses }).notNull(),
  isActive: boolean("is_active").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

export const organizationMembers = pgTable(
  "organization_members",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    userId: text("user_id").notNull(),
    email: text("email"),
    roles: text("roles").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.userId] }),
    index("organization_members_user_id_idx").on(table.userId),
    check("organization_members_roles", sql`cardinality(${table.roles}) > 0`),
  ],
);

/** The organization as a billing customer (the "store" record). */
export const billingCustomers = pgTable("billing_customers", {
  organizationId: text("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  id: text("id").notNull().unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
});

/**
 * What the organization is entitled to: plan (at a version) and status. Provisioning grants the free plan;
 * subscriptions and root overrides change it.
 */
export const organizationEntitlements = pgTable(
  "organization_entitlements",
  {
    organizationId: text("organization_id")
      .primaryKey()
      .references(() => organizations.id),
    planId: text("plan_id").notNull(),
    planVersion: integer("plan_version"),
    status: text("status", { enum: ["trialing", "active", "past_due", "canceled"] }).notNull(),
    trialEndsAt: timestamp("trial_ends_at", { withTimezone: true }),
    /** While `past_due`, access continues until here (the grace period). */
    graceEndsAt: timestamp("grace_ends_at", { withTimezone: true }),
    source: text("source", { enum: ["free", "subscription", "manual", "store"] }).notNull(),
    /**
     * Set only when root entitled the organization to a plan the catalog does not have (a manual override):
     * the feature values that stay in force, snapshotted from the previous plan so its limits are preserved.
     */
    manualFeatures: jsonb("manual_features").$type<FeatureValues>(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  // The backoffice list's plan filter, in organization id order.
  (table) => [
    index("organization_entitlements_plan_id_idx").on(table.planId, table.organizationId),
  ],
);

/** The built-in identity directory: groups and their members, in PostgreSQL. */
export const identityGroups = pgTable("identity_groups", {
  name: text("name").primaryKey(),
  description: text("description"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
});

export const identityGroupMembers = pgTable(
  "identity_group_members",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => identityGroups.name, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.groupName, table.userId] })],
);
