import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { listPaymentEvents, unverifiedBodyExcerptBytes } from "../../payments/payment-events.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";

const paymentEventSchema = z.object({
  id: z.string(),
  provider: z.string(),
  providerEventId: z.string().nullable(),
  eventType: z.string().nullable(),
  verified: z.boolean(),
  verificationError: z.string().nullable(),
  outcome: z.string().nullable(),
  checkoutId: z.string().nullable(),
  paymentId: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  query: z.record(z.string(), z.string()),
  body: z
    .string()
    .describe("The body as received; of an unverified request, its first 2 KiB only."),
  bodySha256: z.string().nullable().describe("SHA-256 (hex) of the whole body as received."),
  bodyBytes: z.number().int().nullable().describe("Size of the whole body as received, in bytes."),
  bodyTruncated: z.boolean().describe("Whether `body` holds only the first bytes of the body."),
  receivedAt: z.date(),
  processedAt: z.date().nullable(),
});

/** `GET /v1/payment-events` (root): every provider request received, verified or not, newest first. */
export const paymentEventRoutes: RouteModule = (app, { readDb }) => {
  app.get(
    "/v1/payment-events",
    {
      config: { access: access.root },
      schema: {
        tags: ["payments"],
        summary: "Inbound provider events (root)",
        description:
          "Every webhook request as received (body, headers without credentials, query), with its verification result and what Abono did with it.",
        querystring: listQuery.extend({
          provider: z.string().min(1).max(40).optional(),
          verified: z.enum(["true", "false"]).optional(),
        }),
        response: { 200: listResponse(paymentEventSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, provider, verified } = request.query;
      const rows = await listPaymentEvents({
        db: readDb,
        provider,
        verified: verified === undefined ? undefined : verified === "true",
        limit,
        cursor,
      });
      return toPage(
        rows.map((row) => ({
          ...row,
          bodyTruncated:
            !row.verified && row.bodyBytes !== null && row.bodyBytes > unverifiedBodyExcerptBytes,
        })),
        limit,
      );
    },
  );
};
