import { canActForOrganization } from "../auth/principal.ts";
import type { DocumentType } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { getInvoice, type Invoice } from "../invoicing/invoices.ts";
import type { AppDependencies } from "./app-types.ts";

/**
 * An invoice or credit note the caller may see (billing roles of its organization, or root); 404
 * otherwise, as for an unknown id. With `documentType`, a document of the other type is 404 too.
 */
export async function visibleInvoice({
  dependencies,
  principal,
  invoiceId,
  documentType,
}: {
  dependencies: Pick<AppDependencies, "db">;
  principal: Parameters<typeof canActForOrganization>[0]["principal"] | null;
  invoiceId: string;
  documentType?: DocumentType;
}): Promise<Invoice> {
  const what = documentType === "credit_note" ? "Credit note" : "Invoice";
  // An unknown id answers 404; one the caller may not see answers the same.
  const invoice = await getInvoice({ executor: dependencies.db, invoiceId }).catch(() => {
    throw notFound(what, invoiceId);
  });
  if (
    !principal ||
    (documentType !== undefined && invoice.documentType !== documentType) ||
    !canActForOrganization({
      principal,
      organizationId: invoice.organizationId,
      roles: ["owner", "billing_admin"],
    })
  ) {
    throw notFound(what, invoiceId);
  }
  return invoice;
}
