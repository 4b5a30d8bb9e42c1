import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { hasPdftoppm, rasterizePdf } from "../helpers/pdf-image.ts";
import { inflatePdf, readPdfText } from "../helpers/pdf-text.ts";

/**
 * 21% IVA end to end over HTTP (docs/billing.md "Taxes"), every amount worked out by hand below.
 *
 * Catalog: Básico 10.000,00 ARS / 10,00 € a month, Pro 25.000,00 ARS / 25,00 € a month (minor units:
 * 1000000 ARS, 1000 EUR; 2500000 ARS, 2500 EUR). Rates: `ar-iva-21`, IVA 21% added to prices
 * (Argentina's default); `es-iva-21`, IVA 21% included in prices (Spain's default). Organizations live on
 * test clocks from 1 January 2026, so every period is known: January has 31 days, so 12:00 on 16 January
 * is exactly half of it (f = 1339200 s / 2678400 s = 1/2); February 2026 has 28, so 00:00 on 15 February
 * is half of it too.
 */
let app: TestApp;
const noBreakSpace = "\u00a0";

beforeAll(async () => {
  app = await startTestApp({
    environment: {
      ABONO_ISSUER_NAME: "Abono Software S.R.L.",
      ABONO_ISSUER_ADDRESS_LINE1: "Av. Corrientes 1234, piso 5",
      ABONO_ISSUER_CITY: "Buenos Aires",
      ABONO_ISSUER_REGION: "CABA",
      ABONO_ISSUER_POSTAL_CODE: "C1043",
      ABONO_ISSUER_COUNTRY: "AR",
      ABONO_ISSUER_TAX_ID: "30-71234567-1",
      ABONO_ISSUER_TAX_ID_TYPE: "ar_cuit",
      ABONO_ISSUER_EMAIL: "facturacion@abono.example",
    },
  });
  await createBillingCatalog(app);
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response.body)}`);
  };
  for (const [id, name, ars, eur] of [
    ["basico", "Básico", 1000000, 1000],
    ["pro", "Pro", 2500000, 2500],
  ] as const) {
    await post("/v1/plans", {
      id,
      name,
      prices: [
        { interval: "month", currency: "ARS", unitAmount: ars },
        { interval: "month", currency: "EUR", unitAmount: eur },
      ],
      features: { encounters: 100, seats: 3 },
    });
  }
  await post("/v1/packs", {
    id: "encuentros-100",
    name: "100 encuentros",
    feature: "encounters",
    quantity: 100,
    price: { currency: "ARS", unitAmount: 150000 },
  });
  await post("/v1/coupons", { code: "BIENVENIDA", percentOff: 10, duration: "once" });
  await post("/v1/coupons", { code: "SOCIO25", percentOff: 25, duration: "forever" });
  await post("/v1/tax-rates", { id: "ar-iva-21", name: "IVA", percentage: "21", country: "AR" });
  await post("/v1/tax-rates", {
    id: "es-iva-21",
    name: "IVA",
    percentage: "21",
    country: "ES",
    inclusive: true,
  });
});
afterAll(() => app.close());

interface Line {
  amount: number;
  taxAmount: number;
  taxableAmount: number;
  taxPercentage: string | null;
  taxInclusive: boolean | null;
}
const column = (lines: Line[], key: keyof Line) => lines.map((line) => line[key]);

async function argentineOrganization() {
  const org = await createBillingOrganization(app, {
    start: "2026-01-01T00:00:00Z",
    currency: "ARS",
    locale: "es",
  });
  const details = await app.request("PATCH", org.path("/billing-details"), {
    body: {
      legalName: "Compañía Ñandú S.A.",
      address: {
        line1: "Calle 50 N° 742",
        line2: "Oficina 3",
        city: "La Plata",
        region: "Buenos Aires",
        postalCode: "B1900",
        country: "AR",
      },
      email: "pagos@nandu.example",
      taxIdType: "ar_cuit",
      taxId: "20-12345678-6",
    },
  });
  expect(details.status).toBe(200);
  return org;
}

async function spanishOrganization(extra: Record<string, unknown> = {}) {
  const org = await createBillingOrganization(app, {
    start: "2026-01-01T00:00:00Z",
    currency: "EUR",
    locale: "es",
  });
  const details = await app.request("PATCH", org.path("/billing-details"), {
    body: {
      legalName: "Hidalgo Tecnología S.L.",
      address: { line1: "Calle de Alcalá 48", city: "Madrid", postalCode: "28014", country: "ES" },
      taxIdType: "es_nif",
      taxId: "B12345674",
      ...extra,
    },
  });
  expect(details.status).toBe(200);
  return org;
}

async function chargedFor(invoiceId: string): Promise<number[]> {
  const { rows } = await app.database.pool.query(
    "select amount from payments where invoice_id = $1 and status = 'succeeded' order by id",
    [invoiceId],
  );
  return rows.map((row) => Number(row.amount));
}

/**
 * The invoice's PDF as served: its text, read back, and (with pdftoppm) its page as a picture under
 * scratch/pdf-previews/<name>-1.png.
 */
async function pdfText(invoiceId: string, name: string): Promise<string> {
  const response = await fetch(`${app.baseUrl}/v1/invoices/${invoiceId}/pdf`, {
    headers: { authorization: `Bearer ${testRootKey}` },
  });
  expect(response.status).toBe(200);
  const pdf = Buffer.from(await response.arrayBuffer());
  if (await hasPdftoppm()) expect(await rasterizePdf({ pdf, name })).toHaveLength(1);
  return readPdfText({ pdf: inflatePdf(pdf) }).text;
}

describe("21% IVA added to prices (Argentina)", () => {
  it("taxes the subscription, the upgrade, the renewal, the downgrade credit and a pack, line by line", async () => {
    const org = await argentineOrganization();

    // Subscribe to Básico: 1000000 + 21% = 1000000 + 210000 = 1210000, charged in full.
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "basico", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    const first = subscribed.body.invoice;
    expect(column(first.lines, "amount")).toEqual([1000000]);
    expect(column(first.lines, "taxAmount")).toEqual([210000]);
    expect(first.lines[0]).toMatchObject({
      taxRateId: "ar-iva-21",
      taxName: "IVA",
      taxPercentage: "21",
      taxInclusive: false,
    });
    expect(first).toMatchObject({
      subtotal: 1000000,
      discount: 0,
      tax: 210000,
      total: 1210000,
      totalExcludingTax: 1000000,
      amountDue: 1210000,
      amountPaid: 1210000,
      status: "paid",
      taxes: [
        {
          taxRateId: "ar-iva-21",
          percentage: "21",
          inclusive: false,
          netAmount: 1000000,
          amount: 210000,
        },
      ],
      customer: { legalName: "Compañía Ñandú S.A.", taxId: "20-12345678-6", taxIdType: "ar_cuit" },
      issuer: { legalName: "Abono Software S.R.L.", taxId: "30-71234567-1" },
    });
    expect(await chargedFor(first.id)).toEqual([1210000]);

    // 16 Jan 12:00, half of January left. Upgrade to Pro:
    //   unused Básico  −round(1000000 × 1/2) = −500000, IVA −500000 × 0.21 = −105000
    //   remaining Pro  +round(2500000 × 1/2) = +1250000, IVA 1250000 × 0.21 = +262500
    //   subtotal 750000, IVA 157500, total 907500 charged.
    await org.advance("2026-01-16T12:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "pro", interval: "month" },
    });
    expect(preview.status).toBe(200);
    expect(column(preview.body.lines, "amount")).toEqual([-500000, 1250000]);
    expect(column(preview.body.lines, "taxAmount")).toEqual([-105000, 262500]);
    expect(preview.body).toMatchObject({
      subtotal: 750000,
      discount: 0,
      tax: 157500,
      total: 907500,
      amountDue: 907500,
      creditedToBalance: 0,
      taxes: [{ netAmount: 750000, amount: 157500 }],
      reverseCharge: false,
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "pro", interval: "month" },
    });
    expect(change.status).toBe(200);
    const upgrade = change.body.invoices[0];
    expect(column(upgrade.lines, "amount")).toEqual(column(preview.body.lines, "amount"));
    expect(column(upgrade.lines, "taxAmount")).toEqual(column(preview.body.lines, "taxAmount"));
    expect(upgrade).toMatchObject({
      subtotal: 750000,
      tax: 157500,
      total: 907500,
      amountPaid: 907500,
    });
    expect(await chargedFor(upgrade.id)).toEqual([907500]);

    // Its PDF: the period its lines cover (16 Jan – 1 Feb, not the whole of January), the base and the
    // IVA, issuer and customer with their CUIT, and how it was paid.
    const text = await pdfText(upgrade.id, "e2e-ar-upgrade");
    const ars = (text: string) => `${text}${noBreakSpace}ARS`;
    expect(text).toContain("Período 16 ene 2026 – 1 feb 2026");
    expect(text).toContain(
      "Abono Software S.R.L. Av. Corrientes 1234, piso 5 C1043 Buenos Aires, CABA Argentina CUIT 30-71234567-1 facturacion@abono.example",
    );
    expect(text).toContain("Compañía Ñandú S.A.");
    expect(text).toContain("CUIT 20-12345678-6 pagos@nandu.example");
    expect(text).toContain(
      `Tiempo no utilizado de Básico 1 ${ars("10.000,00")} 21${noBreakSpace}% ${ars("-5000,00")}`,
    );
    expect(text).toContain(
      `Tiempo restante de Pro 1 ${ars("25.000,00")} 21${noBreakSpace}% ${ars("12.500,00")}`,
    );
    expect(text).toContain(
      `Subtotal ${ars("7500,00")} Base imponible (IVA 21${noBreakSpace}%) ${ars("7500,00")} IVA 21${noBreakSpace}% ${ars("1575,00")} Total ${ars("9075,00")}`,
    );
    expect(text).toMatch(
      /Pago: Sandbox card \(always succeeds\) \(Sandbox\) {2}· {2}Ref\. \S+ {2}· {2}16 ene 2026/,
    );

    // 1 Feb: the renewal of Pro, 2500000 + 525000 = 3025000.
    await org.advance("2026-02-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal).toMatchObject({
      billingReason: "subscription_cycle",
      subtotal: 2500000,
      tax: 525000,
      total: 3025000,
      amountPaid: 3025000,
    });

    // 15 Feb 00:00, half of February left. Downgrade to Básico:
    //   unused Pro        −1250000, IVA −262500
    //   remaining Básico   +500000, IVA +105000
    //   subtotal −750000, IVA −157500, total −907500: credited to the balance, IVA included.
    await org.advance("2026-02-15T00:00:00Z");
    const downgrade = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "basico", interval: "month" },
    });
    const credit = downgrade.body.invoices[0];
    expect(column(credit.lines, "amount")).toEqual([-1250000, 500000]);
    expect(column(credit.lines, "taxAmount")).toEqual([-262500, 105000]);
    expect(credit).toMatchObject({
      subtotal: -750000,
      tax: -157500,
      total: -907500,
      creditedToBalance: 907500,
      amountDue: 0,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(907500);

    // 1 Mar: Básico renews at 1210000; the balance pays 907500 of it, the card 302500.
    await org.advance("2026-03-01T00:00:00Z");
    const march = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(march).toMatchObject({
      subtotal: 1000000,
      tax: 210000,
      total: 1210000,
      balanceApplied: 907500,
      amountDue: 302500,
      amountPaid: 302500,
    });
    expect(await chargedFor(march.id)).toEqual([302500]);

    // A pack (one-off): 150000 + 31500 = 181500.
    const pack = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encuentros-100" },
    });
    expect(pack.status).toBe(201);
    expect(pack.body.invoice).toMatchObject({
      subtotal: 150000,
      tax: 31500,
      total: 181500,
      amountPaid: 181500,
    });
  });

  it("taxes what is left after the coupon: Pro with 10% off once", async () => {
    const org = await argentineOrganization();
    // 2500000 − 10% (250000) = 2250000 taxable; IVA 2250000 × 0.21 = 472500; total 2722500.
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "pro", interval: "month", couponCode: "BIENVENIDA" },
    });
    expect(subscribed.status).toBe(201);
    const invoice = subscribed.body.invoice;
    expect(invoice.lines[0]).toMatchObject({
      amount: 2500000,
      taxableAmount: 2250000,
      taxAmount: 472500,
    });
    expect(invoice).toMatchObject({
      subtotal: 2500000,
      discount: 250000,
      tax: 472500,
      total: 2722500,
      amountPaid: 2722500,
      taxes: [{ netAmount: 2250000, amount: 472500 }],
    });
    const text = await pdfText(invoice.id, "e2e-ar-coupon");
    expect(text).toContain(
      `Subtotal 25.000,00${noBreakSpace}ARS Descuento -2500,00${noBreakSpace}ARS Base imponible (IVA 21${noBreakSpace}%) 22.500,00${noBreakSpace}ARS IVA 21${noBreakSpace}% 4725,00${noBreakSpace}ARS Total 27.225,00${noBreakSpace}ARS`,
    );
  });
});

describe("21% IVA with a coupon on prorated lines (Argentina)", () => {
  it("taxes each line after its own discount: the prorated charge's 25% and the credit at what was paid", async () => {
    const org = await argentineOrganization();
    // Básico with 25% off forever: 1000000 − 250000 = 750000 taxable, IVA 157500, total 907500.
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "basico", interval: "month", couponCode: "SOCIO25" },
    });
    expect(subscribed.status).toBe(201);
    expect(subscribed.body.invoice).toMatchObject({
      subtotal: 1000000,
      discount: 250000,
      tax: 157500,
      total: 907500,
    });

    // 16 Jan 12:00 (f = 1/2), upgrade to Pro. Both rules at once:
    //   unused Básico, worth what was paid for it (net of its discount, never list price):
    //     −(750000 × 1/2) = −375000, discount 0, IVA −375000 × 0.21 = −78750
    //   remaining Pro, a prorated charge under a coupon in force: +1250000, 25% off = 312500,
    //     taxable 937500, IVA 937500 × 0.21 = 196875
    //   subtotal 875000, discount 312500, IVA 118125, total 875000 − 312500 + 118125 = 680625
    //   (= (937500 − 375000) × 1.21). Taxing at list price instead would give −105000 and 262500.
    await org.advance("2026-01-16T12:00:00Z");
    const preview = await app.request("POST", org.path("/subscription/preview-change"), {
      body: { planId: "pro", interval: "month" },
    });
    expect(preview.status).toBe(200);
    expect(column(preview.body.lines, "amount")).toEqual([-375000, 1250000]);
    expect(preview.body.lines.map((line: { discount: number }) => line.discount)).toEqual([
      0, 312500,
    ]);
    expect(column(preview.body.lines, "taxableAmount")).toEqual([-375000, 937500]);
    expect(column(preview.body.lines, "taxAmount")).toEqual([-78750, 196875]);
    expect(preview.body).toMatchObject({
      subtotal: 875000,
      discount: 312500,
      tax: 118125,
      total: 680625,
      amountDue: 680625,
      taxes: [{ netAmount: 562500, amount: 118125 }],
    });
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "pro", interval: "month" },
    });
    expect(change.status).toBe(200);
    const upgrade = change.body.invoices[0];
    expect(column(upgrade.lines, "taxableAmount")).toEqual([-375000, 937500]);
    expect(column(upgrade.lines, "taxAmount")).toEqual([-78750, 196875]);
    expect(upgrade).toMatchObject({
      subtotal: 875000,
      discount: 312500,
      tax: 118125,
      total: 680625,
      amountPaid: 680625,
    });
    expect(await chargedFor(upgrade.id)).toEqual([680625]);

    // 1 Feb: Pro renews with 25% off, 2500000 − 625000 = 1875000, IVA 393750, total 2268750.
    await org.advance("2026-02-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal).toMatchObject({ discount: 625000, tax: 393750, total: 2268750 });

    // 15 Feb (f = 1/2), downgrade to Básico:
    //   unused Pro −(1875000 × 1/2) = −937500, IVA −196875 (the credit's tax is negative)
    //   remaining Básico +500000, 25% off 125000, taxable 375000, IVA 78750
    //   subtotal −437500, discount 125000, IVA −118125, total −680625: credited, IVA included.
    await org.advance("2026-02-15T00:00:00Z");
    const downgrade = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "basico", interval: "month" },
    });
    expect(downgrade.status).toBe(200);
    const credit = downgrade.body.invoices[0];
    expect(column(credit.lines, "taxableAmount")).toEqual([-937500, 375000]);
    expect(column(credit.lines, "taxAmount")).toEqual([-196875, 78750]);
    expect(credit).toMatchObject({
      subtotal: -437500,
      discount: 125000,
      tax: -118125,
      total: -680625,
      creditedToBalance: 680625,
      amountDue: 0,
    });
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(680625);
  });
});

describe("21% IVA included in prices (Spain)", () => {
  it("extracts the tax from each line: the same prices, the IVA inside them", async () => {
    const org = await spanishOrganization();
    // Básico 10,00 € includes round(1000 × 21/121) = round(173.55) = 174 of IVA; base 826.
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "basico", interval: "month" },
    });
    const first = subscribed.body.invoice;
    expect(first.lines[0]).toMatchObject({ amount: 1000, taxAmount: 174, taxInclusive: true });
    expect(first).toMatchObject({
      subtotal: 1000,
      tax: 174,
      total: 1000,
      totalExcludingTax: 826,
      amountPaid: 1000,
      taxes: [{ taxRateId: "es-iva-21", inclusive: true, netAmount: 826, amount: 174 }],
    });

    // Upgrade at 16 Jan 12:00 (f = 1/2):
    //   unused Básico  −500, IVA inside −round(500 × 21/121)  = −round(86.78)  = −87
    //   remaining Pro  +1250, IVA inside +round(1250 × 21/121) = +round(216.94) = +217
    //   subtotal 750 = total (nothing added), IVA 130, base 750 − 130 = 620.
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "pro", interval: "month" },
    });
    const upgrade = change.body.invoices[0];
    expect(column(upgrade.lines, "amount")).toEqual([-500, 1250]);
    expect(column(upgrade.lines, "taxAmount")).toEqual([-87, 217]);
    expect(upgrade).toMatchObject({
      subtotal: 750,
      tax: 130,
      total: 750,
      totalExcludingTax: 620,
      amountPaid: 750,
      taxes: [{ netAmount: 620, amount: 130 }],
    });
    expect(await chargedFor(upgrade.id)).toEqual([750]);
    const text = await pdfText(upgrade.id, "e2e-es-inclusive-upgrade");
    expect(text).toContain(
      `Subtotal (impuestos incluidos) 7,50${noBreakSpace}€ Base imponible (IVA 21${noBreakSpace}%) 6,20${noBreakSpace}€ IVA 21${noBreakSpace}% 1,30${noBreakSpace}€ Total 7,50${noBreakSpace}€`,
    );
    expect(text).toContain("NIF B12345674");
  });

  it("charges no IVA under the reverse charge, and the invoice says so", async () => {
    const org = await spanishOrganization({
      legalName: "Kunde GmbH",
      address: { line1: "Friedrichstraße 10", city: "Berlin", postalCode: "10117", country: "DE" },
      taxIdType: "eu_vat",
      taxId: "DE123456789",
      taxExempt: "reverse",
    });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "basico", interval: "month" },
    });
    const invoice = subscribed.body.invoice;
    expect(invoice).toMatchObject({
      subtotal: 1000,
      tax: 0,
      total: 1000,
      reverseCharge: true,
      taxes: [],
    });
    expect(invoice.lines[0]).toMatchObject({ taxAmount: 0, taxRateId: null });
    const text = await pdfText(invoice.id, "e2e-reverse-charge");
    expect(text).toContain("Inversión del sujeto pasivo.");
    expect(text).toContain("NIF-IVA DE123456789");
    expect(text).toContain("Alemania");
  });
});
