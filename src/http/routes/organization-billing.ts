import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { taxExemptions, taxIdTypes } from "../../db/schema/index.ts";
import { updateBillingDetails } from "../../organizations/billing-details.ts";
import { changeBillingCurrency } from "../../organizations/change-billing-currency.ts";
import type { RouteModule } from "../app-types.ts";
import { postalAddressInput, taxIdInput } from "../schemas/billing-details-schemas.ts";
import { currencyInput } from "../schemas/catalog-schemas.ts";
import { organizationResponse, organizationSchema } from "./organizations.ts";

const orgParams = z.object({ orgId: z.string() });

/** An organization's billing details and billing currency: docs/organizations.md. */
export const organizationBillingRoutes: RouteModule = (app, dependencies) => {
  const { db, clock } = dependencies;

  app.patch(
    "/v1/organizations/:orgId/billing-details",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags: ["organizations"],
        summary: "Set the organization's billing details",
        description:
          'What invoices are issued to (legal name, postal address, tax id and its type, billing email) and what decides their tax: the address\'s country picks that country\'s default tax rate, `taxRateId` gives a rate explicitly instead, `taxExempt` exempts (`exempt`) or applies the reverse charge (`reverse`, which needs the tax id: no tax, and the invoice carries the legend "Inversión del sujeto pasivo" / "Reverse charge"). Fields left out stay as they are; `null` clears one. Tax ids are checked for form and check digit (CUIT, RUT, NIT, NIF), not against the tax authority. Invoices already issued keep the details they were issued with. Owners, billing admins and root; audited as `organization.billing_details_updated`. Answers the organization.',
        params: orgParams,
        body: z
          .strictObject({
            legalName: z.string().trim().min(1).max(200).nullable().optional(),
            address: postalAddressInput.nullable().optional(),
            email: z.email().max(320).nullable().optional(),
            taxId: taxIdInput.nullable().optional(),
            taxIdType: z.enum(taxIdTypes).nullable().optional(),
            taxExempt: z.enum(taxExemptions).optional(),
            taxRateId: z.string().min(1).max(64).nullable().optional(),
          })
          .refine((body) => Object.values(body).some((value) => value !== undefined), {
            message:
              "send at least one of legalName, address, email, taxId, taxIdType, taxExempt, taxRateId",
          })
          .meta({
            examples: [
              {
                legalName: "Compañía Ñandú S.A.",
                address: {
                  line1: "Calle 50 N° 742",
                  line2: "Oficina 3",
                  city: "La Plata",
                  region: "Buenos Aires",
                  postalCode: "B1900",
                  country: "AR",
                },
                email: "pagos@nandu.example",
                taxIdType: "ar_cuit",
                taxId: "30-71234567-1",
              },
              {
                legalName: "Hidalgo Tecnología S.L.",
                taxIdType: "eu_vat",
                taxId: "ESB12345674",
                taxExempt: "reverse",
              },
            ],
          }),
        response: { 200: organizationSchema },
      },
    },
    async (request) =>
      organizationResponse(
        dependencies,
        await updateBillingDetails({
          db,
          organizationId: request.params.orgId,
          changes: request.body,
          actor: request.principal?.id ?? "unknown",
          systemNow: clock(),
        }),
      ),
  );

  app.patch(
    "/v1/organizations/:orgId/billing-currency",
    {
      config: { access: access.root, errors: ["invalid_state"] },
      schema: {
        tags: ["organizations"],
        summary: "Change the organization's billing currency",
        description:
          "An organization is billed in one currency at a time (fixed by the first thing it pays for). Root may switch it when nothing is open in the current one: no live subscription, a zero credit balance, no open invoice, no add-on item waiting to be invoiced, no open checkout. Otherwise 409 `invalid_state` lists what is open (`details.open`) and how to close each. The same currency again changes nothing. Invoices already issued keep their currency. Root only; audited as `organization.billing_currency_changed` with the reason.",
        params: orgParams,
        body: z
          .strictObject({
            currency: currencyInput,
            reason: z
              .string({ error: "reason is required: say why the currency changes" })
              .trim()
              .min(1, "reason is required: say why the currency changes")
              .max(2000),
          })
          .meta({
            examples: [
              { currency: "EUR", reason: "Customer moved its billing entity to Spain (OPS-4521)" },
            ],
          }),
        response: { 200: organizationSchema },
      },
    },
    async (request) =>
      organizationResponse(
        dependencies,
        await changeBillingCurrency({
          db,
          organizationId: request.params.orgId,
          currency: request.body.currency,
          reason: request.body.reason,
          actor: request.principal?.id ?? "unknown",
          systemNow: clock(),
        }),
      ),
  );
};
