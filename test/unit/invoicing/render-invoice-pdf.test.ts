import PDFDocument from "pdfkit";
import { describe, expect, it } from "vitest";
import type {
  InvoiceDocument,
  InvoiceDocumentLine,
} from "../../../src/invoicing/invoice-document.ts";
import { renderInvoicePdf } from "../../../src/invoicing/render-invoice-pdf.ts";
import type { TaxSummaryEntry } from "../../../src/invoicing/tax-summary.ts";
import { formatMoney } from "../../../src/money/index.ts";
import { countPixels, hasPdftoppm, rasterizePdf } from "../../helpers/pdf-image.ts";
import { type PdfText, type PdfTextSegment, readPdfText } from "../../helpers/pdf-text.ts";
import { testLogoPng } from "../../helpers/png.ts";

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
    documentType: "invoice",
    number: "ABN-000042",
    corrects: [],
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
      line({
        description: "Asientos adicionales × 3",
        quantity: 3n,
        unitAmount: 7819n,
        amount: 23457n,
      }),
      line({
        description: "Tiempo no utilizado de Plan Básico",
        unitAmount: 10000n,
        amount: -5000n,
        proration: true,
        periodStart: day("2026-01-20"),
      }),
    ],
    subtotal: 118457n,
    discount: 10000n,
    taxes: [],
    total: 108457n,
    balanceApplied: 2500n,
    creditedToBalance: 0n,
    amountDue: 105957n,
    amountPaid: 105957n,
    amountRefunded: 0n,
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
    expect(text).toMatch(/^Abono Factura Suscripción {2}· {2}Pagada /);
    expect(text).toContain("Número de factura ABN-000042");
    expect(text).toContain("Fecha 16 ene 2026");
    expect(text).toContain("Período 16 ene 2026 – 16 feb 2026");
    expect(text).toContain("Fecha de pago 17 ene 2026");
    expect(text).toContain("Facturado a Compañía Ñandú S.A. Cliente cus_01JXYZ");
    // No line is taxed: no tax column.
    expect(text).toContain("Descripción Cant. Precio unitario Importe");
    expect(text).not.toContain("Impuesto");
    expect(text).toContain(`Plan Profesional (mensual) 1 ${usd(100000n)} ${usd(100000n)}`);
    expect(text).toContain(`Asientos adicionales × 3 3 ${usd(7819n)} ${usd(23457n)}`);
    expect(text).toContain(
      `Tiempo no utilizado de Plan Básico 1 ${usd(10000n)} ${usd(-5000n)} 20 ene 2026 – 16 feb 2026  ·  Prorrateo`,
    );

    expect(text).toContain(`Subtotal 1184,57${noBreakSpace}US$`);
    expect(text).toContain(`Descuento -100,00${noBreakSpace}US$`);
    expect(text).toContain(`Total ${money(document, document.total)}`);
    expect(text).toContain(`Saldo a favor aplicado ${money(document, -document.balanceApplied)}`);
    expect(text).toContain(`Importe a pagar ${money(document, document.amountDue)}`);
    expect(text).toContain(`Importe pagado ${money(document, document.amountPaid)}`);
    expect(text).not.toContain("Abonado a su saldo a favor");
  });

  it("shows the issuer's and the customer's legal names, addresses, tax ids and emails", async () => {
    const document = taxedInvoice();
    const { text } = await render(document);
    expect(text).toMatch(
      /^Abono Software S\.R\.L\. Av\. Corrientes 1234, piso 5 C1043 Buenos Aires, CABA Argentina CUIT 30-71234567-1 facturacion@abono\.example Factura /,
    );
    expect(text).toContain(
      "Facturado a Compañía Ñandú S.A. Ñandú  ·  Cliente nandu Calle 50 N° 742 Oficina 3 B1900 La Plata, Buenos Aires Argentina CUIT 20-12345678-6 pagos@nandu.example",
    );
    const english = await render({ ...document, locale: "en" });
    expect(english.text).toContain("C1043 Buenos Aires, CABA Argentina CUIT 30-71234567-1");
    expect(english.text).toContain("Billed to Compañía Ñandú S.A. Ñandú  ·  Customer nandu");
  });

  it("gives each taxed line its rate, and the base and tax of each rate above the total", async () => {
    const document = taxedInvoice();
    const { text } = await render(document);
    expect(text).toContain("Descripción Cant. Precio unitario Impuesto Importe");
    expect(text).toContain(
      `Plan Profesional (mensual) 1 ${ars(1000000n)} 21${noBreakSpace}% ${ars(1000000n)}`,
    );
    expect(text).toContain(
      `Asientos adicionales × 3 3 ${ars(150000n)} 21${noBreakSpace}% ${ars(450000n)}`,
    );
    expect(text).toContain(
      [
        `Subtotal ${ars(1450000n)}`,
        `Descuento ${ars(-145000n)}`,
        `Base imponible (IVA 21${noBreakSpace}%) ${ars(1305000n)}`,
        `IVA 21${noBreakSpace}% ${ars(274050n)}`,
        `Total ${ars(1579050n)}`,
        `Importe a pagar ${ars(1579050n)}`,
        `Importe pagado ${ars(1579050n)}`,
      ].join(" "),
    );
    const english = await render({ ...document, locale: "en" });
    expect(english.text).toContain("Description Qty Unit price Tax Amount");
    expect(english.text).toContain("Taxable base (IVA 21%) ARS");
  });

  it("says the subtotal includes the tax when every rate is inclusive", async () => {
    const document = inclusiveInvoice();
    const { text } = await render(document);
    expect(text).toContain(
      `Subtotal (impuestos incluidos) ${ars(1210000n)} Base imponible (IVA 21${noBreakSpace}%) ${ars(1000000n)} IVA 21${noBreakSpace}% ${ars(210000n)} Total ${ars(1210000n)}`,
    );
  });

  it("writes the reverse-charge legend, or the exemption, under the totals", async () => {
    const untaxed = { taxes: [], lines: [line({ taxPercentage: null })], payments: [] };
    const reverse = await render(taxedInvoice({ ...untaxed, reverseCharge: true }));
    expect(reverse.text).toContain("Inversión del sujeto pasivo.");
    expect(reverse.text).not.toContain("IVA");
    const english = await render(taxedInvoice({ ...untaxed, reverseCharge: true, locale: "en" }));
    expect(english.text).toContain("Reverse charge: the customer accounts for the VAT.");
    const exempt = await render(taxedInvoice({ ...untaxed, taxExempt: true }));
    expect(exempt.text).toContain("Operación exenta de impuestos.");
    expect(exempt.text).not.toContain("Inversión del sujeto pasivo");
  });

  it("says how a paid invoice was paid: method, provider, reference, date and amount", async () => {
    const { text } = await render(taxedInvoice());
    expect(text).toContain(
      `Pago: Visa •••• 4242 (Stripe)  ·  Ref. pi_3PqRsTuVwXyZ  ·  17 ene 2026  ·  ${ars(1579050n)}`,
    );
    const checkout = await render(
      taxedInvoice({
        locale: "en",
        payments: [
          {
            provider: "mercadopago",
            method: null,
            reference: "1234567890",
            amount: 1579050n,
            paidAt: day("2026-01-17"),
          },
        ],
      }),
    );
    expect(checkout.text).toContain("Payment: Mercado Pago  ·  Ref. 1234567890  ·  Jan 17, 2026");
  });

  it("decodes the accents, the euro sign and the no-break space pdfkit writes in WinAnsi", async () => {
    const document = invoice({
      status: "void",
      currency: "EUR",
      lines: [
        line({
          description: "Período de prueba — «Plan» “Pro”",
          amount: 123456n,
          unitAmount: 123456n,
        }),
      ],
      subtotal: 123456n,
      discount: 0n,
      total: 123456n,
      balanceApplied: 0n,
      amountDue: 123456n,
      amountPaid: 0n,
    });
    const { text } = await render(document);
    expect(text).toContain("Anulada");
    expect(text).toContain(
      `Período de prueba — «Plan» “Pro” 1 1234,56${noBreakSpace}€ 1234,56${noBreakSpace}€`,
    );
    expect(text).toContain(`Importe a pagar 1234,56${noBreakSpace}€`);
  });

  it("renders an English invoice", async () => {
    const document = invoice({ locale: "en", status: "open", kind: "one_off", paidAt: null });
    const { text, title } = await render(document);
    expect(title).toBe("Invoice ABN-000042");
    expect(text).toMatch(/^Abono Invoice One-off purchase {2}· {2}Open /);
    expect(text).toContain("Invoice number ABN-000042");
    expect(text).toContain("Date Jan 16, 2026");
    expect(text).toContain("Period Jan 16, 2026 – Feb 16, 2026");
    expect(text).toContain("Billed to Compañía Ñandú S.A. Customer cus_01JXYZ");
    expect(text).toContain("Description Qty Unit price Amount");
    expect(text).toContain("Plan Profesional (mensual) 1 $1,000.00 $1,000.00");
    expect(text).toContain("Jan 20, 2026 – Feb 16, 2026  ·  Proration");
    expect(text).toContain("Subtotal $1,184.57");
    expect(text).toContain("Discount -$100.00");
    expect(text).toContain("Total $1,084.57");
    expect(text).toContain("Credit balance applied -$25.00");
    expect(text).toContain("Amount due $1,059.57");
    expect(text).toContain("Amount paid $1,059.57");
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
      total: 118457n,
      balanceApplied: 0n,
      amountDue: 118457n,
      amountPaid: 0n,
      paidAt: null,
    });
    const { text } = await render(document);
    expect(text).toContain(`Total ${money(document, 118457n)}`);
    expect(text).toContain(`Importe a pagar ${money(document, 118457n)}`);
    for (const absent of [
      "Descuento",
      "Saldo a favor aplicado",
      "Abonado a su saldo a favor",
      "Importe pagado",
      "Fecha de pago",
      "Base imponible",
      "Pago:",
    ]) {
      expect(text).not.toContain(absent);
    }
  });

  it("shows a credit invoice's negative total and the amount credited to the balance", async () => {
    const document = creditInvoice();
    const { text } = await render(document);
    expect(text).toContain("Liquidación de servicios");
    expect(text).toContain(`Total -25,00${noBreakSpace}US$`);
    expect(text).toContain(`Abonado a su saldo a favor 25,00${noBreakSpace}US$`);
    expect(text).toContain(`Importe a pagar 0,00${noBreakSpace}US$`);
    expect(text).toContain(
      `Tiempo no utilizado de Plan Profesional 1 ${usd(100000n)} -40,00${noBreakSpace}US$`,
    );
  });

  it("shows CLP amounts without decimals", async () => {
    const document = invoice({
      currency: "CLP",
      lines: [
        line({ amount: 1234567n, unitAmount: 1234567n }),
        line({ description: "Ajuste", amount: 5000n, unitAmount: 5000n }),
      ],
      subtotal: 1239567n,
      discount: 0n,
      total: 1239567n,
      balanceApplied: 0n,
      amountDue: 1239567n,
      amountPaid: 1239567n,
    });
    const { text } = await render(document);
    expect(text).toContain(
      `Plan Profesional (mensual) 1 1.234.567${noBreakSpace}CLP 1.234.567${noBreakSpace}CLP`,
    );
    expect(text).toContain(`Ajuste 1 5000${noBreakSpace}CLP 5000${noBreakSpace}CLP`);
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
        unitAmount: 1000n,
        quantity: BigInt(index + 1),
        proration: index % 5 === 0,
        periodStart: index % 2 === 0 ? day("2026-01-16") : null,
        taxPercentage: "21",
      }),
    );
    const document = taxedInvoice({ lines, currency: "USD" });
    const pdf = await render(document);

    expect(pdf.pageCount).toBeGreaterThan(1);
    expect(new Set(pdf.segments.map((segment) => segment.page)).size).toBe(pdf.pageCount);
    for (const documentLine of lines) {
      expect(pdf.text).toContain(
        `${documentLine.description} ${documentLine.quantity} ${money(document, 1000n)} 21${noBreakSpace}% ${money(document, documentLine.amount)}`,
      );
    }
    expect(pdf.segments.filter((segment) => segment.text === "Descripción").length).toBeGreaterThan(
      1,
    );
    expect(pdf.text).toContain(`Importe a pagar ${money(document, document.amountDue)}`);
    expect(pdf.text).toContain("Pago: Visa");
    expectNoOverlap(pdf.segments);
  });

  it("cuts a description longer than a page short instead of breaking the layout", async () => {
    const document = invoice({
      lines: [line({ description: "palabra ".repeat(2000), amount: 700n }), line()],
    });
    const pdf = await render(document);
    expect(pdf.pageCount).toBe(1);
    expect(pdf.text).toContain("…");
    expect(pdf.text).toContain(`Plan Profesional (mensual) 1 ${usd(100000n)} ${usd(100000n)}`);
    expectNoOverlap(pdf.segments);
  });

  it("keeps a full issuer and customer, taxes, legend and payment inside the page without overlaps", async () => {
    const pdf = await render(taxedInvoice({ reverseCharge: true }));
    expect(pdf.pageCount).toBe(1);
    expectNoOverlap(pdf.segments);
  });

  it("writes characters the standard fonts lack as their closest WinAnsi form", async () => {
    const document = invoice({
      customer: customer({ reference: "cus_02", name: "Łukasz Żółć 北京\u0301" }),
      lines: [line({ description: "Plan\tPro\u200b ✓ 5\u202f000 − 2" })],
    });
    const { text } = await render(document);
    expect(text).toContain("Facturado a Lukasz Zólc ?? Cliente cus_02");
    expect(text).toContain("Plan Pro ? 5\u00a0000 - 2");
  });
});

describe("renderInvoicePdf, looked at as pictures (pdftoppm)", () => {
  const variants: [string, InvoiceDocument][] = [
    ["es-subscription-paid", invoice()],
    ["es-taxed-exclusive-logo-paid", taxedInvoice()],
    ["es-taxed-inclusive", inclusiveInvoice({ amountPaid: 0n, status: "open", paidAt: null })],
    [
      "en-reverse-charge",
      taxedInvoice({
        locale: "en",
        currency: "EUR",
        lines: [line({ taxPercentage: null })],
        taxes: [],
        subtotal: 100000n,
        discount: 0n,
        total: 100000n,
        amountDue: 100000n,
        amountPaid: 100000n,
        reverseCharge: true,
        customer: customer({
          name: "Hidalgo Tecnología S.L.",
          reference: "hidalgo",
          address: {
            line1: "Calle de Alcalá 48",
            line2: null,
            city: "Madrid",
            region: null,
            postalCode: "28014",
            country: "ES",
          },
          taxId: "ESB12345674",
          taxIdType: "eu_vat",
          email: "facturas@hidalgo.example",
        }),
        payments: [
          {
            provider: "sandbox",
            method: "Sandbox card (always succeeds)",
            reference: "sbx_01JQ",
            amount: 100000n,
            paidAt: day("2026-01-17"),
          },
        ],
      }),
    ],
    ["es-credit-settlement", creditInvoice()],
    ["en-draft-open", invoice({ number: null, status: "draft", paidAt: null, locale: "en" })],
  ];

  it.each(variants)("%s: a page with the text inside the margins", async (name, document) => {
    if (!(await hasPdftoppm())) return;
    const [page, ...more] = await rasterizePdf({ pdf: await renderInvoicePdf({ document }), name });
    expect(more).toHaveLength(0);
    if (!page) throw new Error("no page");
    // A4 is 595.28 × 841.89 points: 596 × 842 pixels at 72 dpi.
    expect([page.width, page.height]).toEqual([596, 842]);
    const ink = (pixel: [number, number, number]) => pixel.some((channel) => channel < 200);
    const whole = { left: 0, top: 0, right: page.width, bottom: page.height };
    expect(countPixels(page, whole, ink)).toBeGreaterThan(3000);
    // Nothing is drawn in the 40-point band along any edge (the margins are 50).
    for (const band of [
      { left: 0, top: 0, right: 40, bottom: page.height },
      { left: page.width - 40, top: 0, right: page.width, bottom: page.height },
      { left: 0, top: 0, right: page.width, bottom: 40 },
      { left: 0, top: page.height - 40, right: page.width, bottom: page.height },
    ]) {
      expect(countPixels(page, band, ink)).toBe(0);
    }
  });

  it("draws the issuer's logo at the top left, and nothing there without one", async () => {
    if (!(await hasPdftoppm())) return;
    const teal = ([red, green, blue]: [number, number, number]) =>
      red < 40 && green > 100 && green < 160 && blue > 100 && blue < 160;
    const logoBox = { left: 50, top: 50, right: 200, bottom: 106 };
    const [withLogo] = await rasterizePdf({
      pdf: await renderInvoicePdf({ document: taxedInvoice() }),
      name: "logo-check-with",
    });
    const [without] = await rasterizePdf({
      pdf: await renderInvoicePdf({
        document: taxedInvoice({ issuer: { ...taxedInvoice().issuer, logo: null } }),
      }),
      name: "logo-check-without",
    });
    if (!withLogo || !without) throw new Error("no page");
    expect(countPixels(withLogo, logoBox, teal)).toBeGreaterThan(500);
    expect(countPixels(without, whole(without), teal)).toBe(0);
  });
});

function whole(page: { width: number; height: number }) {
  return { left: 0, top: 0, right: page.width, bottom: page.height };
}

function usd(amount: bigint): string {
  return formatMoney({ amount, currency: "USD", locale: "es" });
}

function ars(amount: bigint): string {
  return formatMoney({ amount, currency: "ARS", locale: "es" });
}

/** A settlement that credits 25.00: −40.00 unused, +15.00 remaining. */
function creditInvoice(): InvoiceDocument {
  return invoice({
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
}

/** One line of 12.100,00 ARS with 21% IVA inside: 12100 × 21/121 = 2100 of tax on a base of 10000. */
function inclusiveInvoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return taxedInvoice({
    lines: [line({ amount: 1210000n, unitAmount: 1210000n, taxPercentage: "21" })],
    subtotal: 1210000n,
    discount: 0n,
    taxes: [taxEntry({ inclusive: true, netAmount: 1000000n, amount: 210000n })],
    total: 1210000n,
    amountDue: 1210000n,
    amountPaid: 1210000n,
    payments: [],
    ...overrides,
  });
}

function taxEntry(overrides: Partial<TaxSummaryEntry> = {}): TaxSummaryEntry {
  return {
    taxRateId: "ar-iva-21",
    name: "IVA",
    percentage: "21",
    inclusive: false,
    netAmount: 1305000n,
    amount: 274050n,
    ...overrides,
  };
}

/**
 * An ARS invoice at 21% IVA, tax added, from an issuer with a logo, address and CUIT to a customer with
 * all its billing details, paid by card: 10000 + 3 × 1500 = 14500, less 10% = 13050 taxable, IVA
 * 2740.50, total 15790.50.
 */
function taxedInvoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return invoice({
    currency: "ARS",
    issuer: {
      name: "Abono Software S.R.L.",
      address: {
        line1: "Av. Corrientes 1234, piso 5",
        line2: null,
        city: "Buenos Aires",
        region: "CABA",
        postalCode: "C1043",
        country: "AR",
      },
      taxId: "30-71234567-1",
      taxIdType: "ar_cuit",
      email: "facturacion@abono.example",
      logo: testLogoPng(),
    },
    customer: customer({
      tradeName: "Ñandú",
      reference: "nandu",
      address: {
        line1: "Calle 50 N° 742",
        line2: "Oficina 3",
        city: "La Plata",
        region: "Buenos Aires",
        postalCode: "B1900",
        country: "AR",
      },
      taxId: "20-12345678-6",
      taxIdType: "ar_cuit",
      email: "pagos@nandu.example",
    }),
    lines: [
      line({ amount: 1000000n, unitAmount: 1000000n, taxPercentage: "21" }),
      line({
        description: "Asientos adicionales × 3",
        quantity: 3n,
        unitAmount: 150000n,
        amount: 450000n,
        taxPercentage: "21",
      }),
    ],
    subtotal: 1450000n,
    discount: 145000n,
    taxes: [taxEntry()],
    total: 1579050n,
    balanceApplied: 0n,
    amountDue: 1579050n,
    amountPaid: 1579050n,
    payments: [
      {
        provider: "stripe",
        method: "Visa •••• 4242",
        reference: "pi_3PqRsTuVwXyZ",
        amount: 1579050n,
        paidAt: day("2026-01-17"),
      },
    ],
    ...overrides,
  });
}

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
