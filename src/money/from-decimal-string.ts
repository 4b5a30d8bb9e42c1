import { currencyExponent } from "./currency-exponent.ts";
import { MoneyError } from "./money-error.ts";

const decimalPattern = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/**
 * The inverse of `toDecimalString`: an exact decimal in major units, as providers write amounts
 * ("19.99" USD, "1500" JPY, "1.234" KWD), in minor units — shifted as text, never through a float.
 * Decimals beyond the currency's exponent are accepted only when they are zeros ("19.990"); anything
 * else (more precision than the currency has, exponent notation, stray characters) is a `MoneyError`.
 */
export function fromDecimalString({ text, currency }: { text: string; currency: string }): bigint {
  const match = decimalPattern.exec(text);
  if (!match) {
    throw new MoneyError(
      `Amount ${JSON.stringify(text)} ${currency} is not a plain decimal number such as 19.99.`,
    );
  }
  const [, sign = "", whole = "0", fraction = ""] = match;
  const exponent = currencyExponent(currency);
  if (!/^0*$/.test(fraction.slice(exponent))) {
    throw new MoneyError(
      `Amount ${text} ${currency} has more decimals than ${currency} has (${exponent}).`,
    );
  }
  const minor = BigInt(`${whole}${fraction.slice(0, exponent).padEnd(exponent, "0")}`);
  return sign === "-" ? -minor : minor;
}
