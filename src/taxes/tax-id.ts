import type { TaxIdType } from "../db/schema/billing-details.ts";

/** EU VAT numbers start with the member state's code (Greece is "EL"; "XI" is Northern Ireland). */
const euVatPrefixes =
  "AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI";

/** What each type of tax id is called on an invoice. */
export const taxIdLabels: Readonly<Record<TaxIdType, { en: string; es: string }>> = {
  ar_cuit: { en: "CUIT", es: "CUIT" },
  mx_rfc: { en: "RFC", es: "RFC" },
  cl_rut: { en: "RUT", es: "RUT" },
  co_nit: { en: "NIT", es: "NIT" },
  es_nif: { en: "NIF", es: "NIF" },
  eu_vat: { en: "VAT number", es: "NIF-IVA" },
  uy_rut: { en: "RUT", es: "RUT" },
  other: { en: "Tax ID", es: "Identificación fiscal" },
};

/**
 * Why `value` is not a well-formed tax id of `type`, or null when it is. Checks the form and, where the
 * id has one, its check digit (CUIT, RUT of Chile, NIT, NIF/NIE/CIF); it does not ask the tax authority
 * whether the id exists. Spaces, dots and hyphens are ignored.
 */
export function taxIdProblem({ type, value }: { type: TaxIdType; value: string }): string | null {
  const compact = value.replace(/[\s.-]/g, "").toUpperCase();
  switch (type) {
    case "ar_cuit":
      return /^\d{11}$/.test(compact) && cuitCheckDigit(compact) === Number(compact[10])
        ? null
        : "a CUIT is 11 digits with a valid check digit, e.g. 30-71234567-1";
    case "mx_rfc":
      return /^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$/.test(compact)
        ? null
        : "an RFC is 3 (company) or 4 (person) letters, a date as 6 digits and 3 characters, e.g. ABC010203XY1";
    case "cl_rut":
      return /^\d{7,8}[0-9K]$/.test(compact) &&
        chileanCheckDigit(compact.slice(0, -1)) === compact.slice(-1)
        ? null
        : "a RUT is 7–8 digits and a valid check digit (0–9 or K), e.g. 12.345.678-5";
    case "co_nit": {
      const nit = /^(\d{6,10})(?:-(\d))?$/.exec(value.trim().replace(/[\s.]/g, ""));
      return nit?.[1] !== undefined &&
        (nit[2] === undefined || nitCheckDigit(nit[1]) === Number(nit[2]))
        ? null
        : "a NIT is 6–10 digits, optionally with its check digit after a hyphen, e.g. 900123456-8";
    }
    case "es_nif":
      return spanishNifIsValid(compact)
        ? null
        : "a NIF is a DNI (8 digits and a letter), an NIE (X, Y or Z, 7 digits and a letter) or a CIF (a letter, 7 digits and a check character), with a valid check character, e.g. B12345674";
    case "eu_vat":
      return new RegExp(`^(${euVatPrefixes})[0-9A-Z+*]{2,12}$`).test(compact)
        ? null
        : "an EU VAT number starts with the member state's code (ES, DE, FR, … EL for Greece) followed by 2–12 letters or digits, e.g. ESB12345674";
    case "uy_rut":
      return /^\d{12}$/.test(compact) ? null : "a RUT of Uruguay is 12 digits";
    case "other":
      return value.trim().length > 0 ? null : "must not be empty";
  }
}

function cuitCheckDigit(digits: string): number {
  const weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const sum = weights.reduce((total, weight, index) => total + weight * Number(digits[index]), 0);
  const digit = 11 - (sum % 11);
  return digit === 11 ? 0 : digit; // 10 never matches a single digit: such a CUIT is invalid
}

function chileanCheckDigit(body: string): string {
  let sum = 0;
  let weight = 2;
  for (const digit of [...body].reverse()) {
    sum += Number(digit) * weight;
    weight = weight === 7 ? 2 : weight + 1;
  }
  const digit = 11 - (sum % 11);
  return digit === 11 ? "0" : digit === 10 ? "K" : String(digit);
}

/** A NIT's check digit (the DIAN's prime weights, from the right). */
function nitCheckDigit(body: string): number {
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  const sum = [...body]
    .reverse()
    .reduce((total, digit, index) => total + Number(digit) * (weights[index] ?? 0), 0);
  const remainder = sum % 11;
  return remainder > 1 ? 11 - remainder : remainder;
}

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

function spanishNifIsValid(compact: string): boolean {
  if (/^\d{8}[A-Z]$/.test(compact)) {
    return dniLetters[Number(compact.slice(0, 8)) % 23] === compact[8];
  }
  if (/^[XYZ]\d{7}[A-Z]$/.test(compact)) {
    const number = `${"XYZ".indexOf(compact[0] ?? "")}${compact.slice(1, 8)}`;
    return dniLetters[Number(number) % 23] === compact[8];
  }
  if (/^[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]$/.test(compact)) {
    let sum = 0;
    for (const [index, character] of [...compact.slice(1, 8)].entries()) {
      const digit = Number(character);
      if (index % 2 === 0) {
        const doubled = digit * 2;
        sum += Math.floor(doubled / 10) + (doubled % 10);
      } else {
        sum += digit;
      }
    }
    const control = (10 - (sum % 10)) % 10;
    const last = compact[8];
    return last === String(control) || last === "JABCDEFGHI"[control];
  }
  return false;
}
