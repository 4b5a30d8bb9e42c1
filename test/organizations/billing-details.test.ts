import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createBillingOrganization } from "../helpers/billing-scenario.ts";
import { testLogoPng } from "../helpers/png.ts";

/**
 * Tax rates in the catalog, an organization's billing details (docs/organizations.md "Billing details"),
 * the invoices' issuer (environment, overridden by root's settings record) and root's switch of an
 * organization's billing currency, over HTTP.
 */
let app: TestApp;
let orgKey: string;
const address = {
  line1: "Calle 50 N° 742",
  line2: "Oficina 3",
  city: "La Plata",
  region: "Buenos Aires",
  postalCode: "B1900",
  country: "AR",
};

beforeAll(async () => {
  app = await startTestApp({
    environment: {
      ABONO_ISSUER_NAME: "Abono Software S.R.L.",
      ABONO_ISSUER_ADDRESS_LINE1: "Av. Corrientes 1234",
      ABONO_ISSUER_CITY: "Buenos Aires",
      ABONO_ISSUER_COUNTRY: "AR",
      ABONO_ISSUER_TAX_ID: "30-71234567-1",
      ABONO_ISSUER_TAX_ID_TYPE: "ar_cuit",
    },
  });
  await createBillingCatalog(app);
  const created = await app.request("POST", "/v1/organizations", {
    body: { id: "nandu", name: "Ñandú", owner: { userId: "ana", email: "ana@nandu.example" } },
  });
  expect(created.status).toBe(201);
  orgKey = (
    await app.request("POST", "/v1/api-keys", {
      body: { scope: "organization", organizationId: "nandu", name: "nandu" },
    })
  ).body.secret;
});
afterAll(() => app.close());

const patchDetails = (body: unknown, auth?: string) =>
  app.request("PATCH", "/v1/organizations/nandu/billing-details", {
    body,
    ...(auth ? { auth } : {}),
  });

describe("tax rates", () => {
  it("creates rates with exact percentages; the first of a country is its default, a second default is 409", async () => {
    const iva = await app.request("POST", "/v1/tax-rates", {
      body: { id: "ar-iva-21", name: "IVA", percentage: "21", country: "AR" },
    });
    expect(iva.status).toBe(201);
    expect(iva.body).toMatchObject({
      id: "ar-iva-21",
      percentage: "21",
      inclusive: false,
      countryDefault: true,
      archived: false,
    });
    const reduced = await app.request("POST", "/v1/tax-rates", {
      body: {
        id: "ar-iva-10-5",
        name: "IVA",
        percentage: "10.5",
        country: "AR",
        countryDefault: false,
      },
    });
    expect(reduced.body).toMatchObject({ percentage: "10.5", countryDefault: false });
    const precise = await app.request("POST", "/v1/tax-rates", {
      body: {
        id: "us-ny",
        name: "Sales tax",
        percentage: "8.8750",
        country: "US",
        inclusive: true,
      },
    });
    expect(precise.body).toMatchObject({
      percentage: "8.875",
      inclusive: true,
      countryDefault: true,
    });

    const second = await app.request("POST", "/v1/tax-rates", {
      body: { id: "ar-other", name: "IVA", percentage: "27", country: "AR", countryDefault: true },
    });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({
      code: "conflict",
      details: { country: "AR", existingDefault: "ar-iva-21" },
    });
    expect(second.body.error.message).toContain('"countryDefault": false');
    const again = await app.request("POST", "/v1/tax-rates", {
      body: {
        id: "ar-iva-21",
        name: "IVA",
        percentage: "21",
        country: "AR",
        countryDefault: false,
      },
    });
    expect(again.status).toBe(409);
  });

  it("refuses a percentage with more than 4 decimals or over 100, and a country that is not ISO 3166", async () => {
    for (const [body, problem] of [
      [{ percentage: "21.12345", country: "AR" }, /percentage/],
      [{ percentage: "100.5", country: "AR" }, /at most 100/],
      [{ percentage: "21", country: "XX" }, /ISO 3166-1/],
      [{ percentage: "21", country: "EU" }, /ISO 3166-1/],
      [{ percentage: 21, country: "AR" }, /percentage/],
    ] as const) {
      const response = await app.request("POST", "/v1/tax-rates", {
        body: { id: "bad", name: "IVA", ...body },
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message).toMatch(problem);
    }
  });

  it("lets only root create and archive; anyone signed in reads", async () => {
    const create = await app.request("POST", "/v1/tax-rates", {
      body: { id: "mx-iva-16", name: "IVA", percentage: "16", country: "MX" },
      auth: orgKey,
    });
    expect(create.status).toBe(403);
    const list = await app.request("GET", "/v1/tax-rates?country=AR", { auth: orgKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((rate: { id: string }) => rate.id)).toEqual([
      "ar-iva-10-5",
      "ar-iva-21",
    ]);
    expect((await app.request("GET", "/v1/tax-rates/ar-iva-21", { auth: orgKey })).status).toBe(
      200,
    );
    expect(
      (await app.request("POST", "/v1/tax-rates/ar-iva-21/archive", { auth: orgKey })).status,
    ).toBe(403);
  });
});

describe("billing details", () => {
  it("stores them, shows them on the organization with the rate that applies, and audits the change", async () => {
    const response = await patchDetails({
      legalName: "Compañía Ñandú S.A.",
      address,
      email: "pagos@nandu.example",
      taxIdType: "ar_cuit",
      taxId: "20-12345678-6",
    });
    expect(response.status).toBe(200);
    expect(response.body.billingDetails).toEqual({
      legalName: "Compañía Ñandú S.A.",
      address,
      email: "pagos@nandu.example",
      taxId: "20-12345678-6",
      taxIdType: "ar_cuit",
      taxExempt: "none",
      taxRateId: null,
      appliedTaxRate: {
        id: "ar-iva-21",
        name: "IVA",
        percentage: "21",
        inclusive: false,
        source: "country_default",
      },
    });
    const read = await app.request("GET", "/v1/organizations/nandu", { auth: orgKey });
    expect(read.body.billingDetails.legalName).toBe("Compañía Ñandú S.A.");

    const audit = await app.request(
      "GET",
      "/v1/audit-logs?organizationId=nandu&action=organization.billing_details_updated",
    );
    expect(audit.body.data[0]).toMatchObject({
      before: { legalName: null, address: null, taxExempt: "none" },
      after: { legalName: "Compañía Ñandú S.A.", taxId: "20-12345678-6" },
    });
  });

  it("takes an explicit rate instead of the country's, a partial change, and null to clear", async () => {
    const explicit = await patchDetails({ taxRateId: "ar-iva-10-5" }, orgKey);
    expect(explicit.status).toBe(200);
    expect(explicit.body.billingDetails).toMatchObject({
      legalName: "Compañía Ñandú S.A.",
      taxRateId: "ar-iva-10-5",
      appliedTaxRate: { id: "ar-iva-10-5", percentage: "10.5", source: "explicit" },
    });
    const back = await patchDetails({ taxRateId: null });
    expect(back.body.billingDetails.appliedTaxRate).toMatchObject({ id: "ar-iva-21" });
    // Clearing the tax id clears its type.
    const cleared = await patchDetails({ taxId: null });
    expect(cleared.body.billingDetails).toMatchObject({ taxId: null, taxIdType: null });
    await patchDetails({ taxIdType: "ar_cuit", taxId: "20-12345678-6" });
  });

  it("refuses a tax id that is not one, a type without an id, a reverse charge without a tax id, an unknown or archived rate", async () => {
    for (const [body, problem] of [
      [
        { taxId: "20-12345678-5" },
        /not a valid ar_cuit: a CUIT is 11 digits with a valid check digit/,
      ],
      [{ taxIdType: "es_nif", taxId: "12345678A" }, /not a valid es_nif/],
      [{ taxId: null, taxIdType: "ar_cuit" }, /taxId and taxIdType go together/],
      [{ taxId: null, taxExempt: "reverse" }, /reverse.*needs the customer's taxId/],
      [{ taxRateId: "nope" }, /there is no tax rate ..nope/],
      [{ address: { ...address, country: "ZZ" } }, /address.country/],
      [{ address: { ...address, city: undefined } }, /city/],
      [{}, /send at least one/],
    ] as const) {
      const response = await patchDetails(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe("validation_error");
      expect(JSON.stringify(response.body.error)).toMatch(problem);
    }
    await app.request("POST", "/v1/tax-rates", {
      body: { id: "ar-old", name: "IVA", percentage: "27", country: "AR", countryDefault: false },
    });
    await app.request("POST", "/v1/tax-rates/ar-old/archive");
    const archived = await patchDetails({ taxRateId: "ar-old" });
    expect(archived.status).toBe(400);
    expect(archived.body.error.message).toContain('"ar-old" is archived');
    // Nothing was changed by the refusals.
    const read = await app.request("GET", "/v1/organizations/nandu");
    expect(read.body.billingDetails).toMatchObject({ taxId: "20-12345678-6", taxExempt: "none" });
  });

  it("exempts: no rate applies when exempt or reverse charge", async () => {
    const reverse = await patchDetails({ taxExempt: "reverse" });
    expect(reverse.body.billingDetails).toMatchObject({
      taxExempt: "reverse",
      appliedTaxRate: null,
    });
    const none = await patchDetails({ taxExempt: "none" });
    expect(none.body.billingDetails.appliedTaxRate).toMatchObject({ id: "ar-iva-21" });
  });

  it("falls back to no tax when the country's default is archived, and refuses to unarchive a second default", async () => {
    await app.request("POST", "/v1/tax-rates", {
      body: { id: "cl-iva-19", name: "IVA", percentage: "19", country: "CL" },
    });
    const chile = await app.request("POST", "/v1/organizations", {
      body: { id: "chile", name: "Chile SpA" },
    });
    expect(chile.status).toBe(201);
    const details = await app.request("PATCH", "/v1/organizations/chile/billing-details", {
      body: { address: { line1: "Av. Apoquindo 3000", city: "Santiago", country: "CL" } },
    });
    expect(details.body.billingDetails.appliedTaxRate).toMatchObject({ id: "cl-iva-19" });
    await app.request("POST", "/v1/tax-rates/cl-iva-19/archive");
    const after = await app.request("GET", "/v1/organizations/chile");
    expect(after.body.billingDetails.appliedTaxRate).toBeNull();
    await app.request("POST", "/v1/tax-rates", {
      body: { id: "cl-iva-19-b", name: "IVA", percentage: "19", country: "CL" },
    });
    const unarchive = await app.request("POST", "/v1/tax-rates/cl-iva-19/unarchive");
    expect(unarchive.status).toBe(409);
    expect(unarchive.body.error.details).toMatchObject({ existingDefault: "cl-iva-19-b" });
  });
});

describe("the invoices' issuer", () => {
  it("comes from ABONO_ISSUER_*, and root's settings override it field by field", async () => {
    const defaults = await app.request("GET", "/v1/settings/issuer");
    expect(defaults.status).toBe(200);
    expect(defaults.body).toMatchObject({
      legalName: "Abono Software S.R.L.",
      address: { line1: "Av. Corrientes 1234", city: "Buenos Aires", country: "AR" },
      taxId: "30-71234567-1",
      taxIdType: "ar_cuit",
      logoPath: null,
      overridden: [],
    });
    const directory = await mkdtemp(path.join(tmpdir(), "abono-logo-"));
    const logoPath = path.join(directory, "logo.png");
    await writeFile(logoPath, testLogoPng());
    const set = await app.request("PATCH", "/v1/settings/issuer", {
      body: { legalName: "Abono Argentina S.A.", logoPath },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      legalName: "Abono Argentina S.A.",
      taxId: "30-71234567-1",
      logoPath,
      overridden: ["legalName", "logoPath"],
    });
    const back = await app.request("PATCH", "/v1/settings/issuer", { body: { legalName: null } });
    expect(back.body).toMatchObject({
      legalName: "Abono Software S.R.L.",
      overridden: ["logoPath"],
    });
    const audit = await app.request("GET", "/v1/audit-logs?action=settings.issuer_updated");
    expect(audit.body.data).toHaveLength(2);

    const notImage = path.join(directory, "logo.jpg");
    await writeFile(notImage, "not an image");
    for (const [body, problem] of [
      [{ logoPath: notImage }, /neither a PNG nor a JPEG/],
      [{ logoPath: path.join(directory, "missing.png") }, /cannot be read/],
      [{ logoPath: "/etc/passwd" }, /PNG or JPEG/],
      [{ taxId: "20-12345678-5", taxIdType: "ar_cuit" }, /not a valid ar_cuit/],
    ] as const) {
      const response = await app.request("PATCH", "/v1/settings/issuer", { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(response.body.error)).toMatch(problem);
    }
    expect((await app.request("GET", "/v1/settings/issuer", { auth: orgKey })).status).toBe(403);
  });
});

describe("the billing currency", () => {
  it("changes only when nothing is open, says what is open and how to close it, and is audited", async () => {
    const org = await createBillingOrganization(app, { start: "2026-01-01T00:00:00Z" });
    await org.subscribe("plus");
    await app.request("POST", `/v1/root/organizations/${org.organizationId}/balance-adjustments`, {
      body: { amount: 500, reason: "Goodwill (OPS-1)" },
    });
    const change = (currency: string, reason = "Moves to Spain (OPS-2)") =>
      app.request("PATCH", org.path("/billing-currency"), { body: { currency, reason } });

    const refused = await change("EUR");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("invalid_state");
    expect(refused.body.error.message).toContain("is billed in USD");
    expect(refused.body.error.message).toContain("cancel it now");
    expect(refused.body.error.message).toContain("balance-adjustments");
    expect(refused.body.error.details.open.map((item: { kind: string }) => item.kind)).toEqual([
      "subscription",
      "balance",
    ]);
    expect(refused.body.error.details.open[1]).toMatchObject({ available: "500" });

    const canceled = await app.request("POST", org.path("/subscription/cancel"), {
      body: { atPeriodEnd: false },
    });
    expect(canceled.status).toBe(200);
    await app.request("POST", `/v1/root/organizations/${org.organizationId}/balance-adjustments`, {
      body: { amount: -500, reason: "Zeroed before the currency change (OPS-2)" },
    });
    const changed = await change("EUR");
    expect(changed.status).toBe(200);
    expect(changed.body.currency).toBe("EUR");
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.organizationId}&action=organization.billing_currency_changed`,
    );
    expect(audit.body.data[0]).toMatchObject({
      reason: "Moves to Spain (OPS-2)",
      before: { currency: "USD" },
      after: { currency: "EUR" },
    });
    // Subscribing in the old currency now says how to switch.
    const usd = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month", currency: "USD" },
    });
    expect(usd.status).toBe(400);
    expect(usd.body.error.message).toContain("billing-currency");

    expect((await change("EUR")).status).toBe(200); // the same currency again: nothing to do
    expect((await change("XYZ")).status).toBe(400);
    const byOwner = await app.request("PATCH", org.path("/billing-currency"), {
      body: { currency: "USD", reason: "x" },
      auth: orgKey,
    });
    expect(byOwner.status).toBe(403);
  });
});
