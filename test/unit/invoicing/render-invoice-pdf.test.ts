import PDFDocument from "pdfkit";
import { describe, expect, it } from "vitest";
import type {
  InvoiceDocument,
  InvoiceDocumentLine,
} from "../../../src/invoicing/invoice-document.ts";
import { renderInvoicePdf } from "../../../src/invoicing/render-invoice-pdf.ts";
import { formatMoney } from "../../../src/money/index.ts";
import { type PdfText, type PdfTextSegment, readPdfText } from "../../helpers/pdf-text.ts";

/** ICU puts a no-break space between the number and the currency in "es". */
const noBreakSpace = "\u00a0";
const day = (isoDate: string) => new Date(`${isoDate}T00:00:00.000Z`);

function line(overrides: Partial<InvoiceDocumentLine> = {}): InvoiceDocumentLine {
  return {
    description: "Plan Profesional (mensual)",
    quantity: 1n,
    unitAmount: 100000n,
    amount: 100000n,
    proration: false,
    taxPercentage: null,
    periodStart: day("2026-01-16"),
    periodEnd: day("2026-02-16"),
    ...overrides,
  };
}

function customer(
  overrides: Partial<InvoiceDocument["customer"]> = {},
): InvoiceDocument["customer"] {
  return {
    name: "Compañía Ñandú S.A.",
    tradeName: null,
    reference: "cus_01JXYZ",
    address: null,
    taxId: null,
    taxIdType: null,
    email: null,
    ...overrides,
  };
}

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    id: "inv_01JABCDEF",
    number: "ABN-000042",
    kind: "subscription",
    status: "paid",
    currency: "USD",
    locale: "es",
    issuer: {
      name: "Abono",
      address: null,
      taxId: null,
      taxIdType: null,
      email: null,
      logo: null,
    },
    customer: customer({ name: "Compañía Ñandú S.A." }),
    lines: [
      line(),
      line({ description: "Asientos adicionales × 3", amount: 23456n }),
      line({
        description: "Tiempo no utilizado de Plan Básico",
        amount: -5000n,
        proration: true,
        periodStart: day("2026-01-20"),
      }),
    ],
    subtotal: 118456n,
    discount: 10000n,
    taxes: [],
    total: 108456n,
    balanceApplied: 2500n,
    creditedToBalance: 0n,
    amountDue: 105956n,
    amountPaid: 105956n,
    reverseCharge: false,
    taxExempt: false,
    payments: [],
    periodStart: day("2026-01-16"),
    periodEnd: day("2026-02-16"),
    createdAt: day("2026-01-16"),
    paidAt: day("2026-01-17"),
    ...overrides,
  };
}

async function render(document: InvoiceDocument): Promise<PdfText> {
  return readPdfText({ pdf: await renderInvoicePdf({ document, compress: false }) });
}

function money(document: InvoiceDocument, amount: bigint): string {
  return formatMoney({ amount, currency: document.currency, locale: document.locale });
}

describe("renderInvoicePdf", () => {
  it("writes a PDF, compressed by default, and the same bytes for the same document", async () => {
    const document = invoice();
    const compressed = await renderInvoicePdf({ document });
    const again = await renderInvoicePdf({ document });
    const plain = await renderInvoicePdf({ document, compress: false });
    expect(compressed.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(plain.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(compressed.toString("latin1")).toContain("/FlateDecode");
    expect(compressed.length).toBeLessThan(plain.length);
    expect(again.equals(compressed)).toBe(true);
  });

  it("renders a Spanish invoice with its number, customer, lines and totals", async () => {
    const document = invoice();
    const { text, title, pageCount } = await render(document);

    expect(pageCount).toBe(1);
    expect(title).toBe("Factura ABN-000042");
    expect(text).toMatch(/^Factura Pagada Suscripción Abono /);
    expect(text).toContain("Número de factura ABN-000042");
    expect(text).toContain("Fecha 16 ene 2026");
    expect(text).toContain("Período 16 ene 2026 – 16 feb 2026");
    expect(text).toContain("Fecha de pago 17 ene 2026");
    expect(text).toContain("Facturado a Compañía Ñandú S.A. cus_01JXYZ");
    expect(text).toContain("Descripción Importe");
    for (const documentLine of document.lines) {
      expect(text).toContain(`${documentLine.description} ${money(document, documentLine.amount)}`);
    }
    expect(text).toContain("20 ene 2026 – 16 feb 2026  ·  Prorrateo");

    expect(text).toContain(`Subtotal 1184,56${noBreakSpace}US$`);
    expect(text).toContain(`Descuento -100,00${noBreakSpace}US$`);
    expect(text).toContain(`Total ${money(document, document.total)}`);
    expect(text).toContain(`Saldo a favor aplicado ${money(document, -document.balanceApplied)}`);
    expect(text).toContain(`Importe a pagar ${money(document, document.amountDue)}`);
    expect(text).toContain(`Importe pagado ${money(document, document.amountPaid)}`);
    expect(text).not.toContain("Abonado a su saldo a favor");
  });

  it("decodes the accents, the euro sign and the no-break space pdfkit writes in WinAnsi", async () => {
    const document = invoice({
      status: "void",
      currency: "EUR",
      lines: [line({ description: "Período de prueba — «Plan» “Pro”", amount: 123456n })],
      subtotal: 123456n,
      discount: 0n,
      total: 123456n,
      balanceApplied: 0n,
      amountDue: 123456n,
      amountPaid: 0n,
    });
    const { text } = await render(document);
    expect(text).toContain("Anulada");
    expect(text).toContain(`Período de prueba — «Plan» “Pro” 1234,56${noBreakSpace}€`);
    expect(text).toContain(`Importe a pagar 1234,56${noBreakSpace}€`);
  });

  it("renders an English invoice", async () => {
    const document = invoice({ locale: "en", status: "open", kind: "one_off", paidAt: null });
    const { text, title } = await render(document);
    expect(title).toBe("Invoice ABN-000042");
    expect(text).toMatch(/^Invoice Open One-off purchase Abono /);
    expect(text).toContain("Invoice number ABN-000042");
    expect(text).toContain("Date Jan 16, 2026");
    expect(text).toContain("Period Jan 16, 2026 – Feb 16, 2026");
    expect(text).toContain("Billed to");
    expect(text).toContain("Description Amount");
    expect(text).toContain("Plan Profesional (mensual) $1,000.00");
    expect(text).toContain("Jan 20, 2026 – Feb 16, 2026  ·  Proration");
    expect(text).toContain("Subtotal $1,184.56");
    expect(text).toContain("Discount -$100.00");
    expect(text).toContain("Total $1,084.56");
    expect(text).toContain("Credit balance applied -$25.00");
    expect(text).toContain("Amount due $1,059.56");
    expect(text).toContain("Amount paid $1,059.56");
    expect(text).not.toContain("Paid on");
  });

  it("shows Draft instead of a number while the invoice is a draft", async () => {
    const spanish = await render(invoice({ number: null, status: "draft", paidAt: null }));
    expect(spanish.text).toContain("Número de factura Borrador");
    expect(spanish.text).not.toContain("ABN-");
    expect(spanish.title).toBe("Factura Borrador");

    const english = await render(
      invoice({ number: null, status: "draft", paidAt: null, locale: "en" }),
    );
    expect(english.text).toContain("Invoice number Draft");
    expect(english.text).not.toContain("ABN-");
    expect(english.title).toBe("Invoice Draft");
  });

  it("leaves out the totals rows that are zero", async () => {
    const document = invoice({
      status: "open",
      discount: 0n,
      total: 118456n,
      balanceApplied: 0n,
      amountDue: 118456n,
      amountPaid: 0n,
      paidAt: null,
    });
    const { text } = await render(document);
    expect(text).toContain(`Total ${money(document, 118456n)}`);
    expect(text).toContain(`Importe a pagar ${money(document, 118456n)}`);
    for (const absent of [
      "Descuento",
      "Saldo a favor aplicado",
      "Abonado a su saldo a favor",
      "Importe pagado",
      "Fecha de pago",
    ]) {
      expect(text).not.toContain(absent);
    }
  });

  it("shows a credit invoice's negative total and the amount credited to the balance", async () => {
    const document = invoice({
      kind: "settlement",
      status: "paid",
      lines: [
        line({ description: "Tiempo no utilizado de Plan Profesional", amount: -4000n }),
        line({ description: "Tiempo restante de Plan Básico", amount: 1500n, proration: true }),
      ],
      subtotal: -2500n,
      discount: 0n,
      total: -2500n,
      balanceApplied: 0n,
      creditedToBalance: 2500n,
      amountDue: 0n,
      amountPaid: 0n,
    });
    const { text } = await render(document);
    expect(text).toContain("Liquidación de servicios");
    expect(text).toContain(`Total -25,00${noBreakSpace}US$`);
    expect(text).toContain(`Abonado a su saldo a favor 25,00${noBreakSpace}US$`);
    expect(text).toContain(`Importe a pagar 0,00${noBreakSpace}US$`);
    expect(text).toContain(`Tiempo no utilizado de Plan Profesional -40,00${noBreakSpace}US$`);
  });

  it("shows CLP amounts without decimals", async () => {
    const document = invoice({
      currency: "CLP",
      lines: [line({ amount: 1234567n }), line({ description: "Ajuste", amount: 5000n })],
      subtotal: 1239567n,
      discount: 0n,
      total: 1239567n,
      balanceApplied: 0n,
      amountDue: 1239567n,
      amountPaid: 1239567n,
    });
    const { text } = await render(document);
    expect(text).toContain(`Plan Profesional (mensual) 1.234.567${noBreakSpace}CLP`);
    expect(text).toContain(`Ajuste 5000${noBreakSpace}CLP`);
    expect(text).toContain(`Importe a pagar 1.239.567${noBreakSpace}CLP`);
    expect(text).not.toMatch(new RegExp(`,\\d+${noBreakSpace}CLP`));

    const english = await render({ ...document, locale: "en" });
    expect(english.text).toContain(`Amount due CLP${noBreakSpace}1,239,567`);
    expect(english.text).not.toMatch(/CLP\u00a0[\d,]+\.\d/);
  });

  it("flows many lines onto further pages without overlapping text", async () => {
    const longDescription =
      "Tiempo no utilizado de Plan Empresarial con soporte prioritario, " +
      "almacenamiento ampliado y una descripción lo bastante larga para ocupar varias líneas";
    const lines = Array.from({ length: 60 }, (_, index) =>
      line({
        description:
          index % 7 === 3 ? `${longDescription} (${index + 1})` : `Concepto ${index + 1}`,
        amount: BigInt(index + 1) * 1000n,
        proration: index % 5 === 0,
        periodStart: index % 2 === 0 ? day("2026-01-16") : null,
      }),
    );
    const document = invoice({ lines });
    const pdf = await render(document);

    expect(pdf.pageCount).toBeGreaterThan(1);
    expect(new Set(pdf.segments.map((segment) => segment.page)).size).toBe(pdf.pageCount);
    for (const documentLine of lines) {
      expect(pdf.text).toContain(
        `${documentLine.description} ${money(document, documentLine.amount)}`,
      );
    }
    expect(pdf.segments.filter((segment) => segment.text === "Descripción").length).toBeGreaterThan(
      1,
    );
    expect(pdf.text).toContain(`Importe a pagar ${money(document, document.amountDue)}`);
    expectNoOverlap(pdf.segments);
  });

  it("cuts a description longer than a page short instead of breaking the layout", async () => {
    const document = invoice({
      lines: [line({ description: "palabra ".repeat(2000), amount: 700n }), line()],
    });
    const pdf = await render(document);
    expect(pdf.pageCount).toBe(1);
    expect(pdf.text).toContain("…");
    expect(pdf.text).toContain(`Plan Profesional (mensual) ${money(document, 100000n)}`);
    expectNoOverlap(pdf.segments);
  });

  it("writes characters the standard fonts lack as their closest WinAnsi form", async () => {
    const document = invoice({
      customer: customer({ reference: "cus_02", name: "Łukasz Żółć 北京\u0301" }),
      lines: [line({ description: "Plan\tPro\u200b ✓ 5\u202f000 − 2" })],
    });
    const { text } = await render(document);
    expect(text).toContain("Facturado a Lukasz Zólc ?? cus_02");
    expect(text).toContain("Plan Pro ? 5\u00a0000 - 2");
  });
});

/** Helvetica's glyphs stand from 0.207 em below the baseline to 0.718 em above it. */
function expectNoOverlap(segments: PdfTextSegment[]): void {
  const measure = new PDFDocument({ size: "A4" });
  const boxes = segments
    .filter((segment) => segment.text.trim() !== "")
    .map((segment) => {
      const width = measure
        .font(segment.font)
        .fontSize(segment.fontSize)
        .widthOfString(segment.text);
      return {
        segment,
        left: segment.x,
        right: segment.x + width,
        bottom: segment.y - 0.207 * segment.fontSize,
        top: segment.y + 0.718 * segment.fontSize,
      };
    });
  // A page whose text was not found would pass every check below.
  expect(boxes.length).toBeGreaterThan(10);
  const tolerance = 0.5;
  for (const box of boxes) {
    expect(box.left, box.segment.text).toBeGreaterThanOrEqual(50 - tolerance);
    expect(box.right, box.segment.text).toBeLessThanOrEqual(595.28 - 50 + tolerance);
    expect(box.bottom, box.segment.text).toBeGreaterThanOrEqual(50 - tolerance);
    expect(box.top, box.segment.text).toBeLessThanOrEqual(841.89 - 50 + tolerance);
  }
  for (const [index, box] of boxes.entries()) {
    for (const other of boxes.slice(index + 1)) {
      const overlaps =
        box.segment.page === other.segment.page &&
        box.left < other.right - tolerance &&
        other.left < box.right - tolerance &&
        box.bottom < other.top - tolerance &&
        other.bottom < box.top - tolerance;
      if (overlaps) {
        expect.fail(
          `"${box.segment.text}" overlaps "${other.segment.text}" on page ${box.segment.page}`,
        );
      }
    }
  }
}
