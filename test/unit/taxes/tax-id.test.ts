import { describe, expect, it } from "vitest";
import type { TaxIdType } from "../../../src/db/schema/index.ts";
import { taxIdProblem } from "../../../src/taxes/tax-id.ts";

describe("taxIdProblem", () => {
  it.each<[TaxIdType, string]>([
    // CUIT: weights 5 4 3 2 7 6 5 4 3 2 over 20-12345678: 148, 11 − 148 mod 11 = 6.
    ["ar_cuit", "20-12345678-6"],
    ["ar_cuit", "20123456786"],
    // 30-71234567: 142, 11 − 142 mod 11 = 1.
    ["ar_cuit", "30-71234567-1"],
    ["cl_rut", "12.345.678-5"],
    ["cl_rut", "12345678-5"],
    ["co_nit", "900123456-8"],
    ["co_nit", "900.123.456"],
    // DNI 12345678 mod 23 = 14 → Z; NIE X1234567 → 01234567 mod 23 = 19 → L; CIF B1234567 → control 4.
    ["es_nif", "12345678Z"],
    ["es_nif", "X1234567L"],
    ["es_nif", "B12345674"],
    ["es_nif", "b-12345674"],
    ["mx_rfc", "ABC010203XY1"],
    ["mx_rfc", "GODE561231GR8"],
    ["eu_vat", "ESB12345674"],
    ["eu_vat", "DE 123456789"],
    ["eu_vat", "EL123456789"],
    ["uy_rut", "211234560018"],
    ["other", "GB123456789"],
  ])("accepts %s %s", (type, value) => {
    expect(taxIdProblem({ type, value })).toBeNull();
  });

  it.each<[TaxIdType, string, RegExp]>([
    ["ar_cuit", "20-12345678-5", /check digit/],
    ["ar_cuit", "2012345678", /11 digits/],
    ["cl_rut", "12.345.678-K", /check digit/],
    ["co_nit", "900123456-7", /check digit/],
    ["es_nif", "12345678A", /valid check character/],
    ["es_nif", "B12345675", /valid check character/],
    ["mx_rfc", "AB010203XY1", /RFC/],
    ["eu_vat", "US123456789", /member state/],
    ["eu_vat", "ES1", /member state/],
    ["uy_rut", "21123456001", /12 digits/],
    ["other", "   ", /empty/],
  ])("refuses %s %s", (type, value, problem) => {
    expect(taxIdProblem({ type, value })).toMatch(problem);
  });
});
