/** Pure UTC calendar arithmetic for billing periods, and the `Clock` that supplies "now". */
export { addDays } from "./add-days.ts";
export { addInterval } from "./add-interval.ts";
export { type BillingAnchor, billingAnchors } from "./billing-anchor.ts";
export type { Clock } from "./clock.ts";
export { daysInMonth, isLeapYear } from "./days-in-month.ts";
export { type FirstPeriod, firstPeriod } from "./first-period.ts";
export { fixedClock } from "./fixed-clock.ts";
export { type Interval, intervals, isInterval } from "./interval.ts";
export { createManualClock, type ManualClock } from "./manual-clock.ts";
export { nextPeriod } from "./next-period.ts";
export type { Period } from "./period.ts";
export { periodContaining } from "./period-containing.ts";
export { pricedPeriod } from "./priced-period.ts";
export { systemClock } from "./system-clock.ts";
export { TimeError } from "./time-error.ts";
