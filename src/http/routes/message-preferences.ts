import { z } from "zod";
import { access } from "../../auth/principal.ts";
import {
  getMessagePreferences,
  setMessagePreferences,
} from "../../notifications/message-preferences.ts";
import type { RouteModule } from "../app-types.ts";

const preferences = z.object({
  organizationId: z.string(),
  nonEssentialEmails: z
    .boolean()
    .describe(
      "Emails about usage at 80 % and 100 % of a limit. Receipts, failed payments, a trial or subscription ending and credit notes always go.",
    ),
});
const params = z.object({ orgId: z.string() });
const billingRoles = access.organization("owner", "billing_admin");

/** What an organization is emailed about besides the essential messages. */
export const messagePreferenceRoutes: RouteModule = (app, { db, clock }) => {
  app.get(
    "/v1/organizations/:orgId/message-preferences",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["notifications"],
        summary: "Message preferences",
        description:
          "Whether the organization gets the non-essential emails (usage thresholds). Its owners and billing admins, and root.",
        params,
        response: { 200: preferences },
      },
    },
    async (request) => getMessagePreferences({ db, organizationId: request.params.orgId }),
  );

  app.put(
    "/v1/organizations/:orgId/message-preferences",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["notifications"],
        summary: "Set message preferences",
        description:
          "Opts the organization out of (or back into) the non-essential emails. In-app notifications are kept either way. Its owners and billing admins, and root.",
        params,
        body: z.object({ nonEssentialEmails: z.boolean() }),
        response: { 200: preferences },
      },
    },
    async (request) =>
      setMessagePreferences({
        db,
        organizationId: request.params.orgId,
        nonEssentialEmails: request.body.nonEssentialEmails,
        now: clock(),
      }),
  );
};
