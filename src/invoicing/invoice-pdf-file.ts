import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { organizations } from "../db/schema/index.ts";
import type { Invoice } from "./invoices.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";

/** An invoice as a PDF file in its own locale, named by its number (the API's download, email attachments). */
export async function invoicePdfFile({
  executor,
  invoice,
  issuerName,
}: {
  executor: Executor;
  invoice: Invoice;
  issuerName: string;
}): Promise<{ filename: string; content: Buffer }> {
  const [organization] = await executor
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, invoice.organizationId));
  const content = await renderInvoicePdf({
    document: {
      ...invoice,
      locale: invoice.locale === "es" ? "es" : "en",
      issuerName,
      customer: { id: invoice.organizationId, name: organization?.name ?? invoice.organizationId },
      lines: invoice.lines,
    },
  });
  return { filename: `${invoice.number ?? invoice.id}.pdf`, content };
}
