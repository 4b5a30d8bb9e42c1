import type { Interval } from "../time/index.ts";

export type Locale = "en" | "es";

/** Invoice line descriptions, written in the organization's locale when the line is created. */
export interface BillingMessages {
  planCharge(args: { plan: string; interval: Interval }): string;
  firstPeriod(args: { plan: string }): string;
  trial(args: { plan: string }): string;
  unusedTime(args: { plan: string }): string;
  remainingTime(args: { plan: string }): string;
  addonCharge(args: { addon: string; quantity: number | bigint }): string;
  addonAdded(args: { addon: string; quantity: number | bigint }): string;
  addonRemoved(args: { addon: string; quantity: number | bigint }): string;
  overage(args: { feature: string; quantity: bigint }): string;
  pack(args: { pack: string; quantity: number | bigint }): string;
}

const english: BillingMessages = {
  planCharge: ({ plan, interval }) => `${plan} (${interval === "month" ? "monthly" : "yearly"})`,
  firstPeriod: ({ plan }) => `${plan} (first period, prorated)`,
  trial: ({ plan }) => `Trial of ${plan}`,
  unusedTime: ({ plan }) => `Unused time on ${plan}`,
  remainingTime: ({ plan }) => `Remaining time on ${plan}`,
  addonCharge: ({ addon, quantity }) => `${addon} × ${quantity}`,
  addonAdded: ({ addon, quantity }) => `Remaining time on ${quantity} × ${addon}`,
  addonRemoved: ({ addon, quantity }) => `Unused time on ${quantity} × ${addon}`,
  overage: ({ feature, quantity }) => `${feature}: ${quantity} over the included allowance`,
  pack: ({ pack, quantity }) => (Number(quantity) === 1 ? pack : `${pack} × ${quantity}`),
};

const spanish: BillingMessages = {
  planCharge: ({ plan, interval }) => `${plan} (${interval === "month" ? "mensual" : "anual"})`,
  firstPeriod: ({ plan }) => `${plan} (primer período, prorrateado)`,
  trial: ({ plan }) => `Período de prueba de ${plan}`,
  unusedTime: ({ plan }) => `Tiempo no utilizado de ${plan}`,
  remainingTime: ({ plan }) => `Tiempo restante de ${plan}`,
  addonCharge: ({ addon, quantity }) => `${addon} × ${quantity}`,
  addonAdded: ({ addon, quantity }) => `Tiempo restante de ${quantity} × ${addon}`,
  addonRemoved: ({ addon, quantity }) => `Tiempo no utilizado de ${quantity} × ${addon}`,
  overage: ({ feature, quantity }) => `${feature}: ${quantity} por encima de lo incluido`,
  pack: ({ pack, quantity }) => (Number(quantity) === 1 ? pack : `${pack} × ${quantity}`),
};

export function billingMessages(locale: Locale): BillingMessages {
  return locale === "es" ? spanish : english;
}
