/**
 * The only place in Abono that multiplies, divides or rounds money. Amounts are `bigint` minor units;
 * rounding is half away from zero, once per line.
 */
export { allocateProportionally } from "./allocate-proportionally.ts";
export { currencyExponent, requireSupportedCurrency } from "./currency-exponent.ts";
export { divideRounded } from "./divide-rounded.ts";
export { type DisplayLocale, formatMoney } from "./format-money.ts";
export { fromDecimalString } from "./from-decimal-string.ts";
export { fromScaledPrice } from "./from-scaled-price.ts";
export { isSupportedCurrency } from "./is-supported-currency.ts";
export { MoneyError } from "./money-error.ts";
export { multiplyRatio } from "./multiply-ratio.ts";
export { type PercentOfInput, percentOf } from "./percent-of.ts";
export { prorate } from "./prorate.ts";
export { prorateSum, type Share } from "./prorate-sum.ts";
export { type ProrationFraction, prorationFraction } from "./proration-fraction.ts";
export { taxAmount } from "./tax-amount.ts";
export {
  formatTaxPercentage,
  parseTaxPercentage,
  type TaxPercentage,
  wholePercentage,
} from "./tax-percentage.ts";
export { toDecimalString } from "./to-decimal-string.ts";
export { toMinor } from "./to-minor.ts";
export { toNumber } from "./to-number.ts";
