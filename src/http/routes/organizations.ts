import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { forbidden } from "../../errors.ts";
import { taxCustomerOf } from "../../organizations/billing-details.ts";
import { listMembers, removeMember, setMember } from "../../organizations/members.ts";
import type { OrganizationRecord } from "../../organizations/organization-record.ts";
import {
  createOrganization,
  getOrganizationRecord,
  getPublicOrganization,
  listOrganizations,
  listProvisioningSteps,
  retryProvisioning,
  updateOrganization,
} from "../../organizations/organizations.ts";
import { readBillingProviders } from "../../payments/provider-trace.ts";
import type { ManualTrace } from "../../root/manual-trace.ts";
import { type AppliedTaxRate, resolveTaxRates } from "../../taxes/resolve-tax-rates.ts";
import type { AppDependencies, RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  billingDetailsResponse,
  billingDetailsSchema,
} from "../schemas/billing-details-schemas.ts";
import { currencyInput } from "../schemas/catalog-schemas.ts";

const organizationId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{1,62}$/,
    "must be 2–63 lower-case letters, digits, '-' or '_' (e.g. acme-prod), or left out to get a generated org_… id",
  );

const statusSchema = z.enum(["active", "suspended", "deleted"]);

const manualTraceSchema = z
  .object({
    actor: z.string(),
    at: z.string(),
    changes: z.object({
      planId: z.string().optional(),
      entitlementStatus: z.string().optional(),
      organizationStatus: z.string().optional(),
    }),
    reason: z.string(),
    planCatalogFound: z.boolean().nullable(),
    auditLogId: z.string(),
    requestId: z.string().nullable(),
  })
  .describe("The last manual change root made (`billingProviders.manual`): who, when, what, why.");

export const organizationSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  name: z.string(),
  currency: z.string().nullable(),
  billingAnchor: z.enum(["anniversary", "first_of_month"]),
  locale: z.enum(["en", "es"]),
  status: statusSchema,
  isActive: z.boolean(),
  testClockId: z.string().nullable(),
  identityGroup: z.string(),
  tenantSchema: z.string().nullable(),
  owner: z.object({ userId: z.string(), email: z.string().nullable() }).nullable(),
  provisioning: z.object({
    status: z.enum(["provisioning", "active", "failed"]),
    failedStep: z.string().nullable(),
    error: z.string().nullable(),
    steps: z.array(
      z.object({
        step: z.string(),
        status: z
          .enum(["done", "skipped", "failed", "compensated"])
          .describe(
            "`done`: the step made what it makes; `skipped`: this installation does not use the step (e.g. `tenant_schema` while `ABONO_TENANT_SCHEMAS` is off); `failed`: it failed (see `error`); `compensated`: undone after a later step failed.",
          ),
        error: z.string().nullable(),
        updatedAt: z.date(),
      }),
    ),
  }),
  billingDetails: billingDetailsSchema,
  billingProviders: z
    .object({ manual: manualTraceSchema.optional() })
    .catchall(z.record(z.string(), z.unknown()))
    .describe(
      "The organization's records at billing providers: `manual` is root's trace; `stripe`, `mercadopago`, `paypal` what the provider last did (payment, checkout, plan).",
    ),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const memberSchema = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.enum(["owner", "billing_admin", "member"])),
  createdAt: z.date(),
});

const roleList = z
  .array(z.enum(["owner", "billing_admin", "member"]))
  .min(1, "give at least one role: owner, billing_admin or member");

export async function organizationResponse(
  dependencies: Pick<AppDependencies, "db">,
  organization: OrganizationRecord,
): Promise<z.infer<typeof organizationSchema>> {
  const [response] = await organizationResponses(dependencies, [organization]);
  if (!response) throw new Error("no response for the organization");
  return response;
}

/** Responses for several organizations, with their steps and billing providers read once for all. */
async function organizationResponses(
  { db }: Pick<AppDependencies, "db">,
  organizations: OrganizationRecord[],
): Promise<z.infer<typeof organizationSchema>[]> {
  const organizationIds = organizations.map((organization) => organization.id);
  const allSteps = await listProvisioningSteps({ db, organizationIds });
  const providersOf = await readBillingProviders({ executor: db, organizationIds });
  const taxRatesOf = await resolveTaxRates({
    executor: db,
    customers: organizations.map(taxCustomerOf),
  });
  return organizations.map((organization) =>
    organizationBody({
      organization,
      steps: allSteps.filter((step) => step.organizationId === organization.id),
      billingProviders: providersOf.get(organization.id) ?? {},
      appliedTaxRate: taxRatesOf.get(organization.id) ?? null,
    }),
  );
}

function organizationBody({
  organization,
  steps,
  billingProviders,
  appliedTaxRate,
}: {
  organization: OrganizationRecord;
  steps: Awaited<ReturnType<typeof listProvisioningSteps>>;
  billingProviders: Record<string, Record<string, unknown>>;
  appliedTaxRate: AppliedTaxRate | null;
}): z.infer<typeof organizationSchema> {
  // Root's manual trace is one of the records: `manual` (`writeManualTrace`).
  const { manual, ...providers } = billingProviders;
  return {
    id: organization.id,
    number: organization.number,
    name: organization.name,
    currency: organization.currency,
    billingAnchor: organization.billingAnchor,
    locale: organization.locale,
    status: organization.status,
    isActive: organization.status === "active" && organization.provisioningStatus === "active",
    testClockId: organization.testClockId,
    identityGroup: organization.identityGroup,
    tenantSchema: organization.tenantSchema,
    owner: organization.ownerUserId
      ? { userId: organization.ownerUserId, email: organization.ownerEmail }
      : null,
    provisioning: {
      status: organization.provisioningStatus,
      failedStep: organization.provisioningFailedStep,
      error: organization.provisioningError,
      steps: steps.map(({ step, status, error, updatedAt }) => ({
        step,
        status,
        error,
        updatedAt,
      })),
    },
    billingDetails: billingDetailsResponse({ organization, appliedTaxRate }),
    billingProviders: {
      ...providers,
      ...(manual ? { manual: { ...(manual as unknown as ManualTrace) } } : {}),
    },
    createdAt: organization.createdAt,
    updatedAt: organization.updatedAt,
  };
}

const orgParams = z.object({ orgId: z.string() });

/** Organizations ("ecosystems"): creation with provisioning, status, public view and members. */
export const organizationRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, config, logger, directory } = dependencies;
  const services = { db, config, logger, directory };

  app.post(
    "/v1/organizations",
    {
      config: { access: access.authenticated, errors: ["not_found", "invalid_state"] },
      schema: {
        tags: ["organizations"],
        summary: "Create an organization",
        description:
          "Provisions it before answering: billing customer, core record and public view, the free plan's entitlement, identity groups and (when enabled) its tenant schema. A signed-in user becomes its owner and billing_admin. If a step fails, everything done is undone and the answer is 500 with the failed step; sending the same request again retries.",
        body: z.object({
          id: organizationId.optional(),
          name: z.string().trim().min(1).max(200),
          currency: currencyInput.optional(),
          billingAnchor: z.enum(["anniversary", "first_of_month"]).default("anniversary"),
          locale: z.enum(["en", "es"]).default("en"),
          testClockId: z.string().optional(),
          owner: z
            .object({ userId: z.string().min(1).max(200), email: z.email().optional() })
            .optional(),
        }),
        response: { 201: organizationSchema },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      const body = request.body;
      if (!principal || (!principal.root && principal.kind !== "user")) {
        throw forbidden("Organizations are created by root or by a signed-in user (JWT).");
      }
      let owner = body.owner
        ? { userId: body.owner.userId, email: body.owner.email ?? null }
        : undefined;
      if (!principal.root) {
        if (owner && owner.userId !== principal.subject) {
          throw forbidden(
            "A user creates organizations for themselves: leave out owner, or name yourself.",
          );
        }
        owner = { userId: principal.subject ?? "", email: owner?.email ?? principal.email };
      }
      const organization = await createOrganization({
        services,
        input: {
          id: body.id,
          name: body.name,
          currency: body.currency,
          billingAnchor: body.billingAnchor,
          locale: body.locale,
          testClockId: body.testClockId,
          owner,
        },
        createdBy: principal.id,
        now: clock(),
      });
      return reply.code(201).send(await organizationResponse(dependencies, organization));
    },
  );

  app.get(
    "/v1/organizations",
    {
      config: { access: access.root },
      schema: {
        tags: ["organizations"],
        summary: "List organizations",
        description:
          "Every organization with its provisioning steps and billing providers, by id. Root only. `q` finds organizations by id (exact or prefix), name or owner email (contains, any case), or a billing provider's reference (a customer id, exact).",
        querystring: listQuery.extend({
          q: z.string().trim().min(1).max(200).optional().describe("Search text."),
        }),
        response: { 200: listResponse(organizationSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, q } = request.query;
      const rows = await listOrganizations({ db, limit: limit + 1, cursor, search: q });
      const page = toPage(rows, limit);
      return {
        ...page,
        data: await organizationResponses(dependencies, page.data),
      };
    },
  );

  app.get(
    "/v1/organizations/:orgId",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["organizations"],
        summary: "Get an organization",
        description:
          "The organization with its status, locale, provisioning steps and billing providers. Its members and root.",
        params: orgParams,
        response: { 200: organizationSchema },
      },
    },
    async (request) =>
      organizationResponse(
        dependencies,
        await getOrganizationRecord({ db, organizationId: request.params.orgId }),
      ),
  );

  app.patch(
    "/v1/organizations/:orgId",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags: ["organizations"],
        summary: "Rename an organization or change its status",
        description:
          "Owners and billing admins rename and set the locale (en, es) of invoices; only root changes `status` (active, suspended, deleted). The public view follows in the same transaction.",
        params: orgParams,
        body: z
          .object({
            name: z.string().trim().min(1).max(200).optional(),
            locale: z.enum(["en", "es"]).optional(),
            status: statusSchema.optional(),
          })
          .refine((body) => Object.values(body).some((value) => value !== undefined), {
            message: "send name, locale or status",
          }),
        response: { 200: organizationSchema },
      },
    },
    async (request) => {
      if (request.body.status !== undefined && !request.principal?.root) {
        throw forbidden("Only root changes an organization's status.");
      }
      const updated = await updateOrganization({
        db,
        organizationId: request.params.orgId,
        changes: request.body,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return organizationResponse(dependencies, updated);
    },
  );

  app.delete(
    "/v1/organizations/:orgId",
    {
      config: { access: access.root },
      schema: {
        tags: ["organizations"],
        summary: "Delete an organization",
        description:
          "Marks it `deleted`: nothing is allowed any more, its billing history is kept.",
        params: orgParams,
        response: { 200: organizationSchema },
      },
    },
    async (request) =>
      organizationResponse(
        dependencies,
        await updateOrganization({
          db,
          organizationId: request.params.orgId,
          changes: { status: "deleted" },
          actor: request.principal?.id ?? "unknown",
          systemNow: clock(),
        }),
      ),
  );

  app.post(
    "/v1/organizations/:orgId/provisioning/retry",
    {
      config: { access: access.organization("owner"), errors: ["invalid_state"] },
      schema: {
        tags: ["organizations"],
        summary: "Retry a failed provisioning",
        description:
          "Runs the organization's provisioning again after a step failed (identity group, tenant schema…); its steps are shown in the answer. The organization's owners and root.",
        params: orgParams,
        response: { 200: organizationSchema },
      },
    },
    async (request) =>
      organizationResponse(
        dependencies,
        await retryProvisioning({ services, organizationId: request.params.orgId, now: clock() }),
      ),
  );

  app.get(
    "/v1/public/organizations/:orgId",
    {
      config: { access: access.public },
      schema: {
        tags: ["organizations"],
        summary: "The public view of an organization",
        description:
          "What anyone may know without credentials: id, name, status and whether it is active.",
        params: orgParams,
        response: {
          200: z.object({
            id: z.string(),
            name: z.string(),
            status: statusSchema,
            isActive: z.boolean(),
          }),
        },
      },
    },
    async (request) => getPublicOrganization({ db, organizationId: request.params.orgId }),
  );

  app.get(
    "/v1/organizations/:orgId/members",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["organizations"],
        summary: "List members",
        description:
          "The organization's members with their roles (`owner`, `billing_admin`, `member`). Its members and root.",
        params: orgParams,
        response: {
          200: z.object({
            data: z.array(memberSchema),
            hasMore: z.boolean(),
            nextCursor: z.null(),
          }),
        },
      },
    },
    async (request) => {
      const members = await listMembers({ db, organizationId: request.params.orgId });
      return {
        data: members.map(({ userId, email, roles, createdAt }) => ({
          userId,
          email,
          roles: roles as z.infer<typeof roleList>,
          createdAt,
        })),
        hasMore: false,
        nextCursor: null,
      };
    },
  );

  app.put(
    "/v1/organizations/:orgId/members/:userId",
    {
      config: { access: access.organization("owner"), errors: ["invalid_state"] },
      schema: {
        tags: ["organizations"],
        summary: "Add a member or set a member's roles",
        description:
          "Adds the user to the organization, or replaces their roles, and adds them to the organization's group in the identity directory. The organization's owners and root.",
        params: z.object({ orgId: z.string(), userId: z.string().min(1).max(200) }),
        body: z.object({ email: z.email().optional(), roles: roleList }),
        response: { 200: memberSchema },
      },
    },
    async (request) => {
      const member = await setMember({
        db,
        directory,
        organizationId: request.params.orgId,
        userId: request.params.userId,
        email: request.body.email ?? null,
        roles: request.body.roles,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return { ...member, roles: member.roles as z.infer<typeof roleList> };
    },
  );

  app.delete(
    "/v1/organizations/:orgId/members/:userId",
    {
      config: { access: access.organization("owner"), errors: ["invalid_state"] },
      schema: {
        tags: ["organizations"],
        summary: "Remove a member",
        description:
          "Removes the user from the organization. The last owner cannot be removed (409 `invalid_state`). The organization's owners and root.",
        params: z.object({ orgId: z.string(), userId: z.string() }),
        response: { 200: z.object({ removed: z.literal(true) }) },
      },
    },
    async (request) => {
      await removeMember({
        db,
        directory,
        organizationId: request.params.orgId,
        userId: request.params.userId,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return { removed: true as const };
    },
  );
};
