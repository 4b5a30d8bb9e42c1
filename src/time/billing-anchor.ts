/**
 * When an organization's periods start: `anniversary` (the subscription's start) or `first_of_month`
 * (the 1st of a month at 00:00 UTC, after a prorated first stub period).
 */
export type BillingAnchor = "anniversary" | "first_of_month";

export const billingAnchors: readonly BillingAnchor[] = ["anniversary", "first_of_month"];
