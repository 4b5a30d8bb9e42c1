/**
 * The largest usage quantities Abono takes (docs/entitlements.md, "Usage maximums").
 *
 * - One event: a million units, up or down (the request schemas refuse more with 400).
 * - One counter (an organization's feature in one period): 10^12 units. An event that would take it past
 *   that is refused with 409 `limit_exceeded` (reason `counter_maximum`) and nothing is recorded.
 *
 * 10^12 keeps every counter a safe JSON integer and, times any overage price up to 9,007 minor units, an
 * invoice line too. A larger price times a large counter can still exceed what an invoice may carry
 * (2^53−1 minor units): that invoice is refused as too large, and a renewal it belongs to is recorded as
 * failed for the operator instead of retried in a loop.
 */
export const maxUsageEventQuantity = 1_000_000;
export const maxUsageCounter = 1_000_000_000_000n;
