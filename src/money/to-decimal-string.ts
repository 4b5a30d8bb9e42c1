import { currencyExponent } from "./currency-exponent.ts";
import { requireBigint } from "./require-bigint.ts";

/**
 * The amount in major units as an exact decimal string, without floats: 123456n USD → "1234.56",
 * -5n USD → "-0.05", 5000n CLP → "5000", 1234n KWD → "1.234".
 */
export function toDecimalString({
  amount,
  currency,
}: {
  amount: bigint;
  currency: string;
}): string {
  requireBigint({ name: "amount", value: amount });
  const exponent = currencyExponent(currency);
  const sign = amount < 0n ? "-" : "";
  const digits = (amount < 0n ? -amount : amount).toString();
  if (exponent === 0) {
    return `${sign}${digits}`;
  }
  const padded = digits.padStart(exponent + 1, "0");
  const whole = padded.slice(0, -exponent);
  const fraction = padded.slice(-exponent);
  return `${sign}${whole}.${fraction}`;
}
