import type { Executor } from "../db/database.ts";
import type { InvoiceIssuerDetails } from "../db/schema/index.ts";
import type { Logger } from "../logger.ts";
import { buildInvoiceDocument } from "./build-invoice-document.ts";
import type { Invoice } from "./invoices.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";

/** An invoice as a PDF file in its own locale, named by its number (the API's download, email attachments). */
export async function invoicePdfFile({
  executor,
  invoice,
  issuerDefaults,
  logger,
}: {
  executor: Executor;
  invoice: Invoice;
  issuerDefaults: InvoiceIssuerDetails;
  logger: Logger;
}): Promise<{ filename: string; content: Buffer }> {
  const content = await renderInvoicePdf({
    document: await buildInvoiceDocument({ executor, invoice, issuerDefaults, logger }),
  });
  return { filename: `${invoice.number ?? invoice.id}.pdf`, content };
}
