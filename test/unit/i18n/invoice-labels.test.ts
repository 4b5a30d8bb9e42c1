import { describe, expect, it } from "vitest";
import { invoiceLabels, type Locale } from "../../../src/i18n/invoice-labels.ts";

describe("invoiceLabels", () => {
  const texts = {
    en: {
      locale: "en",
      title: "Invoice",
      invoiceNumber: "Invoice number",
      draft: "Draft",
      date: "Date",
      paidOn: "Paid on",
      billedTo: "Billed to",
      period: "Period",
      description: "Description",
      amount: "Amount",
      subtotal: "Subtotal",
      discount: "Discount",
      total: "Total",
      balanceApplied: "Credit balance applied",
      creditedToBalance: "Credited to your balance",
      amountDue: "Amount due",
      amountPaid: "Amount paid",
      proration: "Proration",
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
      draft: "Borrador",
      date: "Fecha",
      paidOn: "Fecha de pago",
      billedTo: "Facturado a",
      period: "Período",
      description: "Descripción",
      amount: "Importe",
      subtotal: "Subtotal",
      discount: "Descuento",
      total: "Total",
      balanceApplied: "Saldo a favor aplicado",
      creditedToBalance: "Abonado a su saldo a favor",
      amountDue: "Importe a pagar",
      amountPaid: "Importe pagado",
      proration: "Prorrateo",
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
    const { formatDate, ...labels } = invoiceLabels(locale);
    expect(typeof formatDate).toBe("function");
    expect(labels).toEqual(texts[locale]);
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
