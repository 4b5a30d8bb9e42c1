import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { computeUnusedValue, type UnusedValue } from "./compute-unused-value.ts";
import type { PeriodCharges } from "./period-charges.ts";

/** The plan or an add-on item as its unused time is credited: its list price in the current interval. */
export interface CreditedItem {
  name: string;
  unitAmount: bigint;
}

/**
 * The credits for the unused rest of the current period (a change that leaves it, an immediate cancel
 * that credits it): "Unused time on X" for the plan, and "Unused time on 2 × Seat" for each add-on when
 * `addons` are given, each worth what was actually charged for that time (`computeUnusedValue`), over
 * `[now, periodEnd)`. Nothing is credited for something that has no price. `planUnused` is the plan's
 * unused value with the discount that came with it.
 */
export function unusedTimeLines({
  plan,
  addons,
  charges,
  now,
  periodEnd,
  messages,
}: {
  plan: CreditedItem;
  addons: readonly (CreditedItem & { addonId: string; quantity: bigint })[];
  charges: PeriodCharges;
  now: Date;
  periodEnd: Date;
  messages: BillingMessages;
}): { lines: DraftLine[]; planUnused: UnusedValue } {
  const planUnused = computeUnusedValue({ charges: charges.plan, now });
  const credit = (
    line: Pick<DraftLine, "description" | "quantity" | "unitAmount" | "addonId">,
    value: bigint,
  ): DraftLine => ({
    ...line,
    kind: "proration",
    amount: -value,
    // The value is net of the discount the charges had: nothing more comes off it.
    discount: 0n,
    proration: true,
    periodStart: now,
    periodEnd,
  });
  const lines: DraftLine[] = [];
  if (plan.unitAmount > 0n) {
    lines.push(
      credit(
        {
          description: messages.unusedTime({ plan: plan.name }),
          quantity: 1n,
          unitAmount: plan.unitAmount,
        },
        planUnused.value,
      ),
    );
  }
  for (const addon of addons) {
    if (addon.unitAmount <= 0n || addon.quantity <= 0n) continue;
    const unused = computeUnusedValue({ charges: charges.addons.get(addon.addonId) ?? [], now });
    lines.push(
      credit(
        {
          description: messages.addonRemoved({ addon: addon.name, quantity: addon.quantity }),
          quantity: addon.quantity,
          unitAmount: addon.unitAmount,
          addonId: addon.addonId,
        },
        unused.value,
      ),
    );
  }
  return { lines, planUnused };
}
