import { z } from "zod";
import { type AuditLogRow, listAuditLogs } from "../../audit/list-audit-logs.ts";
import { verifyAuditChain } from "../../audit/verify-audit-chain.ts";
import { access } from "../../auth/principal.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { instantInput } from "../schemas/instant-input.ts";

const auditLogSchema = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.string().describe("An API key id (`key_…`), a user (`user:<sub>`) or `system:<job>`."),
  organizationId: z.string().nullable(),
  reason: z.string().nullable(),
  before: z.unknown().describe("The state before the change (JSON), or null."),
  after: z.unknown().describe("The state after the change (JSON), or null."),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  requestId: z
    .string()
    .nullable()
    .describe("Abono's id of the HTTP request that made it (answered in `x-request-id`)."),
  clientRequestId: z
    .string()
    .nullable()
    .describe(
      "The caller's own `X-Request-Id` on that request, when it was 1–128 characters of `A–Z a–z 0–9 . _ : / @ + = -` and not shaped like Abono's ids; else null.",
    ),
  createdAt: z.date(),
});

const chainVerificationSchema = z.union([
  z.object({
    ok: z.literal(true),
    count: z.number().int(),
    head: z
      .object({ seq: z.string(), hash: z.string(), auditId: z.string() })
      .nullable()
      .describe("The newest link; null while the trail is empty."),
  }),
  z.object({
    ok: z.literal(false),
    verified: z.number().int().describe("Links verified before the broken one."),
    problem: z.object({
      kind: z.enum([
        "modified",
        "missing",
        "deleted",
        "broken_link",
        "unchained",
        "unknown_format",
        "anchor_mismatch",
      ]),
      seq: z.string().nullable(),
      auditId: z.string().nullable(),
      message: z.string(),
    }),
  }),
]);

const instant = (name: string) =>
  instantInput(`${name} must be an ISO 8601 date-time`)
    .transform((value) => new Date(value))
    .optional();

const filterQuery = listQuery.extend({
  action: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(200).optional(),
  since: instant("since"),
  until: instant("until"),
});

const auditLogResponse = (row: AuditLogRow): z.infer<typeof auditLogSchema> => ({
  id: row.id,
  action: row.action,
  actor: row.actor,
  organizationId: row.organizationId,
  reason: row.reason,
  before: row.before ?? null,
  after: row.after ?? null,
  metadata: (row.metadata as Record<string, unknown> | null) ?? null,
  requestId: row.requestId,
  clientRequestId: row.clientRequestId,
  createdAt: row.createdAt,
});

const description =
  "Newest first. The trail is append-only: the database refuses any UPDATE, DELETE or TRUNCATE of it. Filters: `action` (e.g. `root.organization_plan_set`), `actor`, `since` (inclusive) and `until` (exclusive) as ISO 8601 date-times.";

/** The audit trail (docs/root-and-audit.md "The audit trail"): root reads all of it; an organization's admins read theirs. */
export const auditLogRoutes: RouteModule = (app, { db, readDb, pool }) => {
  app.get(
    "/v1/audit-logs",
    {
      config: { access: access.root },
      schema: {
        tags: ["audit"],
        summary: "The audit trail",
        description,
        querystring: filterQuery.extend({ organizationId: z.string().min(1).max(100).optional() }),
        response: { 200: listResponse(auditLogSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const rows = await listAuditLogs({ executor: readDb, filter, limit: limit + 1, cursor });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(auditLogResponse) };
    },
  );

  app.get(
    "/v1/organizations/:orgId/audit-logs",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags: ["audit"],
        summary: "The organization's audit trail",
        description: `Every entry about this organization, root's actions included. ${description}`,
        params: z.object({ orgId: z.string() }),
        querystring: filterQuery,
        response: { 200: listResponse(auditLogSchema) },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      await getOrganizationRecord({ db, organizationId });
      const { limit, cursor, ...filter } = request.query;
      const rows = await listAuditLogs({
        executor: readDb,
        filter: { ...filter, organizationId },
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(auditLogResponse) };
    },
  );

  app.get(
    "/v1/audit-logs/verify",
    {
      config: { access: access.root },
      schema: {
        tags: ["audit"],
        summary: "Verify the audit trail's hash chain",
        description:
          "Recomputes the whole hash chain (as `abono audit verify`) and answers what it found: `ok` with the number of entries and the head link to record outside the database, or the first broken link. `anchorSeq` and `anchorHash` (together) check that a head recorded earlier is still in the chain. The time grows with the trail (about a second per 100,000 entries).",
        querystring: z
          .object({
            anchorSeq: z
              .string()
              .regex(/^[1-9]\d{0,18}$/, "anchorSeq must be a link number")
              .optional(),
            anchorHash: z
              .string()
              .regex(/^[0-9a-f]{64}$/, "anchorHash must be a SHA-256 hash in lower-case hex")
              .optional(),
          })
          .refine((query) => (query.anchorSeq === undefined) === (query.anchorHash === undefined), {
            message: "anchorSeq and anchorHash go together",
          }),
        response: { 200: chainVerificationSchema },
      },
    },
    async (request) => {
      const { anchorSeq, anchorHash } = request.query;
      const anchor =
        anchorSeq !== undefined && anchorHash !== undefined
          ? { seq: anchorSeq, hash: anchorHash }
          : undefined;
      return verifyAuditChain({ pool, anchor });
    },
  );
};
