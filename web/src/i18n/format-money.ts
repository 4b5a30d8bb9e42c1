/**
 * An amount in minor units formatted by `Intl` for a locale, exactly (no float ever holds the amount): the
 * portal and its `@abono/react` components format money with the same function.
 */
export { formatMoney } from "@abono/react";
