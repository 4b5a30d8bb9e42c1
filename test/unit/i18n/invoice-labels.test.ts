import { describe, expect, it } from "vitest";
import { invoiceLabels, type Locale } from "../../../src/i18n/invoice-labels.ts";

const providerNames = {
  stripe: "Stripe",
  mercadopago: "Mercado Pago",
  paypal: "PayPal",
  sandbox: "Sandbox",
  manual: "Manual",
};

describe("invoiceLabels", () => {
  const texts = {
    en: {
      locale: "en",
      title: "Invoice",
      invoiceNumber: "Invoice number",
      creditNoteTitle: "Credit note",
      creditNoteNumber: "Credit note number",
      corrects: "Corrects invoice",
      issued: "Issued",
      refundedToPaymentMethod: "Refunded to your payment method",
      draft: "Draft",
      date: "Date",
      paidOn: "Paid on",
      billedTo: "Billed to",
      period: "Period",
      description: "Description",
      quantity: "Qty",
      unitPrice: "Unit price",
      tax: "Tax",
      amount: "Amount",
      subtotal: "Subtotal",
      subtotalTaxIncluded: "Subtotal (tax included)",
      discount: "Discount",
      total: "Total",
      balanceApplied: "Credit balance applied",
      creditedToBalance: "Credited to your balance",
      amountDue: "Amount due",
      amountPaid: "Amount paid",
      proration: "Proration",
      reverseCharge: "Reverse charge: the customer accounts for the VAT.",
      taxExempt: "Tax exempt.",
      customerReference: "Customer",
      payment: "Payment",
      paymentReference: "Ref.",
      providerNames,
      statusNames: {
        draft: "Draft",
        open: "Open",
        paid: "Paid",
        void: "Void",
        uncollectible: "Uncollectible",
      },
      kindNames: {
        subscription: "Subscription",
        one_off: "One-off purchase",
        settlement: "Settlement",
      },
    },
    es: {
      locale: "es",
      title: "Factura",
      invoiceNumber: "Número de factura",
      creditNoteTitle: "Nota de crédito",
      creditNoteNumber: "Número de nota de crédito",
      corrects: "Corrige la factura",
      issued: "Emitida",
      refundedToPaymentMethod: "Devuelto a su medio de pago",
      draft: "Borrador",
      date: "Fecha",
      paidOn: "Fecha de pago",
      billedTo: "Facturado a",
      period: "Período",
      description: "Descripción",
      quantity: "Cant.",
      unitPrice: "Precio unitario",
      tax: "Impuesto",
      amount: "Importe",
      subtotal: "Subtotal",
      subtotalTaxIncluded: "Subtotal (impuestos incluidos)",
      discount: "Descuento",
      total: "Total",
      balanceApplied: "Saldo a favor aplicado",
      creditedToBalance: "Abonado a su saldo a favor",
      amountDue: "Importe a pagar",
      amountPaid: "Importe pagado",
      proration: "Prorrateo",
      reverseCharge: "Inversión del sujeto pasivo.",
      taxExempt: "Operación exenta de impuestos.",
      customerReference: "Cliente",
      payment: "Pago",
      paymentReference: "Ref.",
      providerNames,
      statusNames: {
        draft: "Borrador",
        open: "Pendiente",
        paid: "Pagada",
        void: "Anulada",
        uncollectible: "Incobrable",
      },
      kindNames: {
        subscription: "Suscripción",
        one_off: "Compra única",
        settlement: "Liquidación de servicios",
      },
    },
  } as const;

  it.each(["en", "es"] as const)("has every %s text", (locale) => {
    const { formatDate, taxBase, taxLine, formatTaxId, formatPercentage, countryName, ...labels } =
      invoiceLabels(locale);
    for (const formatter of [
      formatDate,
      taxBase,
      taxLine,
      formatTaxId,
      formatPercentage,
      countryName,
    ]) {
      expect(typeof formatter).toBe("function");
    }
    expect(labels).toEqual(texts[locale]);
  });

  it.each([
    ["en", "Taxable base (IVA 21%)", "IVA 10.5%", "VAT number ESB12345674", "Tax ID 123", "Spain"],
    [
      "es",
      "Base imponible (IVA 21\u00a0%)",
      "IVA 10,5\u00a0%",
      "NIF-IVA ESB12345674",
      "Identificación fiscal 123",
      "España",
    ],
  ] as const)("writes %s taxes, tax ids and countries", (locale, base, line, vat, other, spain) => {
    const labels = invoiceLabels(locale);
    const rate = (percentage: string) => ({
      name: "IVA",
      percentage: labels.formatPercentage(percentage),
    });
    expect(labels.taxBase(rate("21"))).toBe(base);
    expect(labels.taxLine(rate("10.5"))).toBe(line);
    expect(labels.formatTaxId({ type: "eu_vat", value: "ESB12345674" })).toBe(vat);
    expect(labels.formatTaxId({ type: null, value: "123" })).toBe(other);
    expect(labels.formatTaxId({ type: "ar_cuit", value: "30-71234567-1" })).toBe(
      "CUIT 30-71234567-1",
    );
    expect(labels.countryName("ES")).toBe(spain);
  });

  it("gives both locales the same keys, none empty", () => {
    const english = invoiceLabels("en");
    const spanish = invoiceLabels("es");
    expect(Object.keys(spanish).sort()).toEqual(Object.keys(english).sort());
    for (const labels of [english, spanish]) {
      for (const value of Object.values(labels)) {
        if (typeof value === "string") expect(value).not.toBe("");
      }
    }
  });

  it("cannot be changed by a caller", () => {
    const labels = invoiceLabels("es");
    expect(Object.isFrozen(labels)).toBe(true);
    expect(Object.isFrozen(labels.statusNames)).toBe(true);
    expect(Object.isFrozen(labels.kindNames)).toBe(true);
  });

  it("refuses a locale it has no texts for", () => {
    expect(() => invoiceLabels("fr" as Locale)).toThrow(/use "en" or "es"/);
    expect(() => invoiceLabels("toString" as Locale)).toThrow(/use "en" or "es"/);
  });
});

describe("formatDate", () => {
  it.each([
    ["en", "2026-01-16T00:00:00.000Z", "Jan 16, 2026"],
    ["es", "2026-01-16T00:00:00.000Z", "16 ene 2026"],
    ["en", "2026-09-05T12:00:00.000Z", "Sep 5, 2026"],
    ["es", "2026-09-05T12:00:00.000Z", "5 sept 2026"],
    ["es", "2026-05-31T00:00:00.000Z", "31 may 2026"],
    ["en", "2026-12-31T23:59:59.999Z", "Dec 31, 2026"],
  ] as const)("%s %s is %j", (locale, instant, expected) => {
    expect(invoiceLabels(locale).formatDate(new Date(instant))).toBe(expected);
  });

  it("uses the UTC calendar date, whatever the process time zone", () => {
    expect(invoiceLabels("en").formatDate(new Date("2026-01-16T00:30:00+01:00"))).toBe(
      "Jan 15, 2026",
    );
    expect(invoiceLabels("es").formatDate(new Date("2026-01-15T23:30:00-03:00"))).toBe(
      "16 ene 2026",
    );
  });
});
