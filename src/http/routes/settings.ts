import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { taxIdTypes } from "../../db/schema/index.ts";
import {
  type IssuerSettingsView,
  issuerFields,
  readIssuerSettings,
  updateIssuerSettings,
} from "../../invoicing/issuer.ts";
import type { RouteModule } from "../app-types.ts";
import {
  exampleAddress,
  postalAddressInput,
  taxIdInput,
} from "../schemas/billing-details-schemas.ts";
import { issuerSchema } from "../schemas/billing-schemas.ts";

const issuerSettingsSchema = issuerSchema
  .extend({
    logoPath: z
      .string()
      .nullable()
      .describe("A PNG or JPEG file on the server, drawn on every PDF."),
    overridden: z
      .array(z.enum(issuerFields))
      .describe(
        "The fields this record sets; the others come from the `ABONO_ISSUER_*` variables.",
      ),
    updatedAt: z.date().nullable(),
    updatedBy: z.string().nullable(),
  })
  .describe("The issuer new invoices are finalized with.");

function issuerSettingsResponse(view: IssuerSettingsView): z.infer<typeof issuerSettingsSchema> {
  return {
    ...view.issuer,
    overridden: view.overridden,
    updatedAt: view.updatedAt,
    updatedBy: view.updatedBy,
  };
}

/** Installation settings root edits: the invoices' issuer (docs/billing.md "Invoices an accountant accepts"). */
export const settingsRoutes: RouteModule = (app, { db, clock, config }) => {
  app.get(
    "/v1/settings/issuer",
    {
      config: { access: access.root },
      schema: {
        tags: ["root"],
        summary: "The invoices' issuer",
        description:
          "The legal name, address, tax id, email and logo new invoices are issued with: each field root set here (`overridden`), else its `ABONO_ISSUER_*` variable. Root only.",
        response: { 200: issuerSettingsSchema },
      },
    },
    async () =>
      issuerSettingsResponse(await readIssuerSettings({ executor: db, defaults: config.issuer })),
  );

  app.patch(
    "/v1/settings/issuer",
    {
      config: { access: access.root },
      schema: {
        tags: ["root"],
        summary: "Set the invoices' issuer",
        description:
          "Each field given replaces its `ABONO_ISSUER_*` variable for invoices finalized from now on; `null` goes back to the variable. `logoPath` must be a PNG or JPEG file of at most 2 MB that the service can read. Issued invoices keep the issuer they were issued with. Root only; audited as `settings.issuer_updated`.",
        body: z
          .strictObject({
            legalName: z.string().trim().min(1).max(200).nullable().optional(),
            address: postalAddressInput.nullable().optional(),
            taxId: taxIdInput.nullable().optional(),
            taxIdType: z.enum(taxIdTypes).nullable().optional(),
            email: z.email().max(320).nullable().optional(),
            logoPath: z
              .string()
              .regex(
                /\.(png|jpe?g)$/i,
                "must be the path of a PNG or JPEG file (.png, .jpg, .jpeg)",
              )
              .max(1000)
              .nullable()
              .optional(),
          })
          .refine((body) => Object.values(body).some((value) => value !== undefined), {
            message: `send at least one of ${issuerFields.join(", ")}`,
          })
          .meta({
            examples: [
              {
                legalName: "Abono Software S.R.L.",
                address: exampleAddress,
                taxIdType: "ar_cuit",
                taxId: "30-71234567-1",
                logoPath: "/etc/abono/logo.png",
              },
            ],
          }),
        response: { 200: issuerSettingsSchema },
      },
    },
    async (request) =>
      issuerSettingsResponse(
        await updateIssuerSettings({
          db,
          defaults: config.issuer,
          changes: request.body,
          actor: request.principal?.id ?? "unknown",
          now: clock(),
        }),
      ),
  );
};
