/**
 * A money value or argument the money module refuses to work with (a non-integer amount, an unknown
 * currency, a zero denominator…). The message says what to change. These are mostly programming
 * errors; a caller that takes the value from a client maps it to its own `validation_error`.
 */
export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoneyError";
  }
}
