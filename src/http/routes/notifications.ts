import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { emails, notifications } from "../../db/schema/index.ts";
import { AbonoError } from "../../errors.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";

const notificationSchema = z.object({
  id: z.string(),
  audience: z.enum(["admin", "user"]),
  organizationId: z.string().nullable(),
  userId: z.string().nullable(),
  kind: z.string(),
  locale: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.unknown(),
  createdAt: z.date(),
  readAt: z.date().nullable(),
});

const emailSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  template: z.string(),
  locale: z.string(),
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  status: z.enum(["queued", "sent", "failed"]),
  attachments: z
    .array(z.object({ kind: z.literal("invoice_pdf"), invoiceId: z.string() }))
    .nullable()
    .describe("Files sent with the email (an invoice's PDF), rendered when it was sent"),
  error: z.string().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});

/** In-app notifications (operators and organizations) and, in test mode, the local mailbox. */
export const notificationRoutes: RouteModule = (app, { db, config }) => {
  app.get(
    "/v1/notifications",
    {
      config: { access: access.root },
      schema: {
        tags: ["notifications"],
        summary: "Notifications for the platform's operators (root)",
        description:
          "Notifications meant for the platform's operators (payments received, payments that could not be applied…), newest first. Root only.",
        querystring: listQuery,
        response: { 200: listResponse(notificationSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return toPage(
        await listNotifications([eq(notifications.audience, "admin")], limit, cursor),
        limit,
      );
    },
  );

  app.get(
    "/v1/organizations/:orgId/notifications",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["notifications"],
        summary: "Notifications for the organization's users",
        description:
          "Notifications meant for the organization's users (a payment completed…), newest first. Its members and root.",
        params: z.object({ orgId: z.string() }),
        querystring: listQuery,
        response: { 200: listResponse(notificationSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return toPage(
        await listNotifications(
          [
            eq(notifications.audience, "user"),
            eq(notifications.organizationId, request.params.orgId),
          ],
          limit,
          cursor,
        ),
        limit,
      );
    },
  );

  app.get(
    "/v1/mailbox",
    {
      config: { access: access.root },
      schema: {
        tags: ["notifications"],
        summary: "Emails sent (test mode only)",
        description:
          "The local mailbox: every email Abono rendered and delivered, newest first. Only in test mode; with `ABONO_SMTP_URL` set, emails also went out over SMTP.",
        querystring: listQuery.extend({
          to: z.string().min(1).max(320).optional(),
          organizationId: z.string().min(1).max(100).optional(),
        }),
        response: { 200: listResponse(emailSchema) },
      },
    },
    async (request) => {
      if (!config.testMode) {
        throw new AbonoError(
          "not_found",
          "The mailbox exists only in test mode (ABONO_TEST_MODE).",
        );
      }
      const { limit, cursor, to, organizationId } = request.query;
      const conditions: SQL[] = [];
      if (to !== undefined) conditions.push(eq(emails.to, to));
      if (organizationId !== undefined) conditions.push(eq(emails.organizationId, organizationId));
      if (cursor !== undefined) conditions.push(lt(emails.id, cursor));
      const rows = await db
        .select()
        .from(emails)
        .where(and(...conditions))
        .orderBy(desc(emails.id))
        .limit(limit + 1);
      return toPage(rows, limit);
    },
  );

  async function listNotifications(conditions: SQL[], limit: number, cursor: string | undefined) {
    if (cursor !== undefined) conditions.push(lt(notifications.id, cursor));
    return db
      .select()
      .from(notifications)
      .where(and(...conditions))
      .orderBy(desc(notifications.id))
      .limit(limit + 1);
  }
};
