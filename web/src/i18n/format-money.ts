/**
 * An amount in minor units formatted by `Intl` for a locale, exactly (no float ever holds the amount): the
 * portal and its `@abono/react` components format money with the same function, taken from the package's
 * source (a pure module, so the unit tests import it without building the package).
 */
export { formatMoney } from "../../../packages/react/src/format-money.ts";
