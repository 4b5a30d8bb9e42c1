import { MoneyError, toDecimalString } from "../../money/index.ts";

/**
 * An amount in minor units as the JSON number MercadoPago takes (`unit_price`, refund `amount`), in
 * major units: 1999n USD → 19.99, 5000n CLP → 5000.
 *
 * The decimal comes exactly from the money module; `Number` is applied here only, at the edge. That is
 * exact because the decimal string has at most the currency's exponent of fraction digits (2 for USD
 * and ARS, 0 for CLP and COP), and for a decimal of up to 15 significant digits the double nearest to it
 * prints back as the same decimal: `JSON.stringify(Number("1234.50"))` is `1234.5`, so MercadoPago
 * receives the exact amount. Rather than rely on the size, the function checks that round trip and
 * refuses an amount whose digits a JSON number cannot carry.
 */
export function toMercadoPagoAmount({
  amount,
  currency,
}: {
  amount: bigint;
  currency: string;
}): number {
  if (amount <= 0n) {
    throw new MoneyError(
      `MercadoPago amounts must be positive, got ${amount} minor units of ${currency}.`,
    );
  }
  const decimal = toDecimalString({ amount, currency });
  const value = Number(decimal);
  if (String(value) !== withoutTrailingFractionZeros(decimal)) {
    throw new MoneyError(
      `${decimal} ${currency} has more digits than a JSON number carries exactly, and MercadoPago takes amounts as JSON numbers; charge it in smaller parts.`,
    );
  }
  return value;
}

/** "1234.50" → "1234.5", "20.00" → "20", "5000" → "5000". */
function withoutTrailingFractionZeros(decimal: string): string {
  return decimal.includes(".") ? decimal.replace(/\.?0+$/, "") : decimal;
}
