/** Stripe's `card.brand` values as card holders read them. */
const brandNames: Record<string, string> = {
  amex: "American Express",
  cartes_bancaires: "Cartes Bancaires",
  diners: "Diners Club",
  discover: "Discover",
  eftpos_au: "eftpos Australia",
  girocard: "girocard",
  interac: "Interac",
  jcb: "JCB",
  link: "Link",
  mastercard: "Mastercard",
  unionpay: "UnionPay",
  visa: "Visa",
};

/**
 * The payment method's label in Abono, e.g. "Visa •••• 4242": enough for a customer to recognize the
 * card, nothing more. An unknown brand is shown as Stripe names it, or as "Card".
 */
export function describeStripeCard({ brand, last4 }: { brand: string; last4: string }): string {
  const name =
    brandNames[brand] ??
    (brand && brand !== "unknown" ? brand.charAt(0).toUpperCase() + brand.slice(1) : "Card");
  return `${name} •••• ${last4}`;
}
