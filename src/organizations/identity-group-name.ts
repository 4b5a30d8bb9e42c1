/**
 * The identity group of an organization, derived from its name the way the first product did it: words
 * of letters and digits, each capitalised, joined by hyphens ("Legacy533 QA" → "Legacy533-Qa").
 */
export function identityGroupNameFor({ name }: { name: string }): string {
  const words = name
    .normalize("NFKC")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
    .map((word) => word.charAt(0).toLocaleUpperCase("en") + word.slice(1).toLocaleLowerCase("en"));
  const joined = words.join("-").slice(0, 100);
  return joined.length > 0 ? joined : "Organization";
}

/** The name of an organization's tenant data schema: `tenant_` and its number in six digits. */
export function tenantSchemaNameFor({ number }: { number: number }): string {
  return `tenant_${String(number).padStart(6, "0")}`;
}
