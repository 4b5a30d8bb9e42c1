import type { FastifyReply } from "fastify";
import { z } from "zod";
import { invoicePdfFile } from "../invoicing/invoice-pdf-file.ts";
import type { Invoice } from "../invoicing/invoices.ts";
import type { AppDependencies } from "./app-types.ts";

/** An invoice's or credit note's PDF, served inline with its number as the file name. */
export async function sendInvoicePdf({
  dependencies,
  invoice,
  reply,
}: {
  dependencies: Pick<AppDependencies, "db" | "config" | "logger">;
  invoice: Invoice;
  reply: FastifyReply;
}): Promise<FastifyReply> {
  const pdf = await invoicePdfFile({
    executor: dependencies.db,
    invoice,
    issuerDefaults: dependencies.config.issuer,
    logger: dependencies.logger,
  });
  return (
    reply
      .type("application/pdf")
      .header("content-disposition", `inline; filename="${pdf.filename}"`)
      // The 200 schema only documents the PDF: Fastify sends a Buffer as is, never through a serializer.
      .send(pdf.content as never)
  );
}

/** The 200 answer of a PDF route, for its OpenAPI schema. */
export const pdfResponse = {
  description: "The PDF document.",
  content: {
    "application/pdf": { schema: z.string().meta({ format: "binary" }) },
  },
};
