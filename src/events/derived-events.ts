import type { EventType } from "./event-catalog.ts";

/** An event as stored: its `data` and `previous` already in their JSON form. */
export interface EncodedEvent {
  type: EventType;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
}

/**
 * Events that follow from another one, published with it (the next sequence numbers, the same
 * transaction), so every path that publishes the first also publishes these: a paid invoice is a
 * successful payment, a declined one a failed payment, a renewal that could not be paid a past-due subscription.
 */
export function derivedEvents(event: EncodedEvent): EncodedEvent[] {
  const { data } = event;
  switch (event.type) {
    case "invoice.paid":
      return typeof data.paymentId === "string"
        ? [
            {
              type: "payment.succeeded",
              data: {
                paymentId: data.paymentId,
                invoiceId: data.invoiceId,
                amount: data.amountPaid,
                currency: data.currency,
                provider: data.provider ?? null,
              },
              previous: null,
            },
          ]
        : [];
    case "invoice.payment_failed":
      return [
        {
          type: "payment.failed",
          data: {
            paymentId: data.paymentId ?? null,
            invoiceId: data.invoiceId,
            code: data.code ?? null,
            ...(data.amount === undefined ? {} : { amount: data.amount }),
            ...(data.currency === undefined ? {} : { currency: data.currency }),
          },
          previous: null,
        },
      ];
    case "subscription.renewed":
      return data.status === "past_due"
        ? [
            {
              type: "subscription.past_due",
              data: { subscriptionId: data.subscriptionId, invoiceId: data.invoiceId },
              previous: null,
            },
          ]
        : [];
    default:
      return [];
  }
}
