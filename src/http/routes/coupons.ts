import { z } from "zod";
import { previewArchive } from "../../admin/archive-preview.ts";
import { access } from "../../auth/principal.ts";
import type { Coupon } from "../../catalog/catalog-types.ts";
import { createCoupon, getCoupon, listCoupons, setCouponArchived } from "../../catalog/coupons.ts";
import { toMinor, toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";
import { registerArchiveRoutes } from "../archive-routes.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  catalogKey,
  currencyInput,
  includeArchivedQuery,
  showsArchived,
} from "../schemas/catalog-schemas.ts";

const couponSchema = z.object({
  code: z.string(),
  name: z.string().nullable(),
  percentOff: z.number().int().nullable(),
  amountOff: z.number().int().nullable(),
  currency: z.string().nullable(),
  duration: z.enum(["once", "repeating", "forever"]),
  durationInMonths: z.number().int().nullable(),
  maxRedemptions: z.number().int().nullable(),
  timesRedeemed: z.number().int(),
  expiresAt: z.date().nullable(),
  planIds: z.array(z.string()).nullable(),
  archived: z.boolean(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
});

const couponResponse = (coupon: Coupon): z.infer<typeof couponSchema> => ({
  ...coupon,
  amountOff: coupon.amountOff === null ? null : toNumber(coupon.amountOff),
  archived: coupon.archivedAt !== null,
});

/** Coupons: percentage or fixed-amount discounts on subscription invoices (root only). */
export const couponRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/coupons",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Create a coupon",
        description:
          "`percentOff` (1–100) or `amountOff` with a currency; `once`, `repeating` (for `durationInMonths`) or `forever`; optional `maxRedemptions`, `expiresAt` and allowed `planIds`. Codes are unique without regard to case. Root only.",
        body: z
          .object({
            code: catalogKey,
            name: z.string().trim().min(1).max(200).optional(),
            percentOff: z
              .number()
              .int()
              .min(1, "must be 1–100")
              .max(100, "must be 1–100")
              .optional(),
            amountOff: z
              .number()
              .int("must be a whole number of minor units")
              .positive("must be positive")
              .max(Number.MAX_SAFE_INTEGER)
              .optional(),
            currency: currencyInput.optional(),
            duration: z.enum(["once", "repeating", "forever"]),
            durationInMonths: z.number().int().min(1).max(120).optional(),
            maxRedemptions: z
              .number()
              .int()
              .positive()
              .max(2_147_483_647, "must be at most 2147483647")
              .optional(),
            expiresAt: z.iso.datetime({ offset: true }).optional(),
            planIds: z.array(catalogKey).min(1).max(100).optional(),
          })
          .meta({
            examples: [
              {
                code: "FOUNDERS",
                name: "Founders",
                percentOff: 20,
                duration: "forever",
                maxRedemptions: 100,
              },
            ],
          }),
        response: { 201: couponSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const coupon = await createCoupon({
        db,
        input: {
          code: body.code,
          name: body.name ?? null,
          percentOff: body.percentOff ?? null,
          amountOff: body.amountOff === undefined ? null : toMinor(body.amountOff),
          currency: body.currency ?? null,
          duration: body.duration,
          durationInMonths: body.durationInMonths ?? null,
          maxRedemptions: body.maxRedemptions ?? null,
          expiresAt: body.expiresAt === undefined ? null : new Date(body.expiresAt),
          planIds: body.planIds ?? null,
        },
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(couponResponse(coupon));
    },
  );

  app.get(
    "/v1/coupons",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "List coupons",
        description:
          "Every coupon with how often it was redeemed (`timesRedeemed`) (archived ones too with `includeArchived=true`). Root only.",
        querystring: listQuery.extend(includeArchivedQuery.shape),
        response: { 200: listResponse(couponSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listCoupons({
        db,
        includeArchived: showsArchived(request),
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit, (coupon) => coupon.code);
      return { ...page, data: page.data.map(couponResponse) };
    },
  );

  app.get(
    "/v1/coupons/:couponCode",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Get a coupon",
        description: "One coupon by its code, found without regard to case. Root only.",
        params: z.object({ couponCode: z.string() }),
        response: { 200: couponSchema },
      },
    },
    async (request) => couponResponse(await getCoupon({ db, code: request.params.couponCode })),
  );

  registerArchiveRoutes({
    app,
    path: "/v1/coupons/:couponCode",
    noun: "coupon",
    response: couponSchema,
    preview: (id) => previewArchive({ db, kind: "coupon", id }),
    setArchived: async ({ id, archived, actor }) =>
      couponResponse(await setCouponArchived({ db, code: id, archived, actor, now: clock() })),
  });
};
