import { describe, expect, it } from "vitest";
import { invoiceLabels, type Locale } from "../../../src/i18n/invoice-labels.ts";

describe("invoiceLabels", () => {
  it("has the English texts", () => {
    const labels = invoiceLabels("en");
    expect(labels.locale).toBe("en");
    expect(labels.title).toBe("Invoice");
    expect(labels.invoiceNumber).toBe("Invoice number");
    expect(labels.draft).toBe("Draft");
    expect(labels.billedTo).toBe("Billed to");
    expect(labels.balanceApplied).toBe("Credit balance applied");
    expect(labels.creditedToBalance).toBe("Credited to your balance");
    expect(labels.amountDue).toBe("Amount due");
    expect(labels.amountPaid).toBe("Amount paid");
    expect(labels.proration).toBe("Proration");
    expect(labels.statusNames).toEqual({
      draft: "Draft",
      open: "Open",
      paid: "Paid",
      void: "Void",
      uncollectible: "Uncollectible",
    });
    expect(labels.kindNames).toEqual({
      subscription: "Subscription",
      one_off: "One-off purchase",
      settlement: "Settlement",
    });
  });

  it("has the Spanish texts", () => {
    const labels = invoiceLabels("es");
    expect(labels.locale).toBe("es");
    expect(labels.title).toBe("Factura");
    expect(labels.invoiceNumber).toBe("Número de factura");
    expect(labels.draft).toBe("Borrador");
    expect(labels.date).toBe("Fecha");
    expect(labels.billedTo).toBe("Facturado a");
    expect(labels.period).toBe("Período");
    expect(labels.description).toBe("Descripción");
    expect(labels.amount).toBe("Importe");
    expect(labels.discount).toBe("Descuento");
    expect(labels.balanceApplied).toBe("Saldo a favor aplicado");
    expect(labels.creditedToBalance).toBe("Abonado a su saldo a favor");
    expect(labels.amountDue).toBe("Importe a pagar");
    expect(labels.amountPaid).toBe("Importe pagado");
    expect(labels.proration).toBe("Prorrateo");
    expect(labels.statusNames).toEqual({
      draft: "Borrador",
      open: "Pendiente",
      paid: "Pagada",
      void: "Anulada",
      uncollectible: "Incobrable",
    });
    expect(labels.kindNames).toEqual({
      subscription: "Suscripción",
      one_off: "Compra única",
      settlement: "Liquidación de servicios",
    });
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
