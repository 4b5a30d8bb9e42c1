import type { Price } from "../catalog/catalog-types.ts";
import type { PeriodAddon } from "./period-charge-lines.ts";
import type { SubscriptionItemRow } from "./subscription-records.ts";

/**
 * The subscription's add-on items, in their order, with the name and prices of the add-on version each
 * one is on (`loadAddonVersions`), as `periodChargeLines` bills them. An item whose version is not
 * among `addons` is left out.
 */
export function periodAddons({
  items,
  addons,
}: {
  items: readonly Pick<SubscriptionItemRow, "addonId" | "addonVersion" | "quantity">[];
  addons: readonly { id: string; version: number; name: string; prices: readonly Price[] }[];
}): PeriodAddon[] {
  return items.flatMap((item) => {
    const addon = addons.find(
      (entry) => entry.id === item.addonId && entry.version === item.addonVersion,
    );
    return addon
      ? [{ addonId: addon.id, name: addon.name, quantity: item.quantity, prices: addon.prices }]
      : [];
  });
}
