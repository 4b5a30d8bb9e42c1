import { z } from "zod";
import type { PaymentNotice, VerifiedWebhook } from "../../payments/checkout-provider.ts";
import { fromPayPalValue } from "./from-paypal-value.ts";
import { PayPalApiError } from "./paypal-api-error.ts";

const moneySchema = z.object({ currency_code: z.string(), value: z.string() });
const linksSchema = z.array(z.object({ href: z.string(), rel: z.string() })).optional();

/** `PAYMENT.CAPTURE.*` except REFUNDED: the resource is the capture. */
const captureEventSchema = z.object({
  resource: z.object({ id: z.string(), custom_id: z.string().optional(), amount: moneySchema }),
});
/** `PAYMENT.CAPTURE.REFUNDED`: the resource is the refund; its `up` link names the capture. */
const refundEventSchema = z.object({
  resource: z.object({
    id: z.string(),
    amount: moneySchema,
    seller_payable_breakdown: z
      .object({ total_refunded_amount: moneySchema.optional() })
      .optional(),
    links: linksSchema,
  }),
});
/** `CHECKOUT.ORDER.APPROVED`: the resource is the order. */
const orderEventSchema = z.object({
  resource: z.object({
    id: z.string(),
    purchase_units: z.array(z.object({ custom_id: z.string().optional() })).optional(),
  }),
});

const capturePath = /\/v2\/payments\/captures\/([^/?#]+)\/?$/;

/**
 * What a verified PayPal event says about a payment, without calling PayPal. The payment id is always
 * the capture id, as `capture()` reports it, so Abono applies a payment once whichever arrives first.
 * A known event whose resource lacks what the notice needs throws `PayPalApiError`.
 */
export function interpretPayPalWebhook(event: VerifiedWebhook): PaymentNotice {
  const read = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(event.payload);
    if (!parsed.success) {
      throw new PayPalApiError({
        message: `PayPal event ${event.eventId} (${event.eventType}) does not have the expected resource: ${parsed.error.message}`,
      });
    }
    return parsed.data;
  };
  switch (event.eventType) {
    case "PAYMENT.CAPTURE.COMPLETED": {
      const { resource } = read(captureEventSchema);
      return {
        kind: "payment_succeeded",
        checkoutId: resource.custom_id ?? null,
        providerPaymentId: resource.id,
        amount: fromPayPalValue({
          value: resource.amount.value,
          currency: resource.amount.currency_code,
        }),
        currency: resource.amount.currency_code,
      };
    }
    case "PAYMENT.CAPTURE.PENDING": {
      const { resource } = read(captureEventSchema);
      return {
        kind: "pending",
        checkoutId: resource.custom_id ?? null,
        providerPaymentId: resource.id,
      };
    }
    case "PAYMENT.CAPTURE.DENIED":
    case "PAYMENT.CAPTURE.DECLINED": {
      const { resource } = read(captureEventSchema);
      return {
        kind: "payment_failed",
        checkoutId: resource.custom_id ?? null,
        providerPaymentId: resource.id,
        code: "card_declined",
        message: `PayPal did not complete the payment (${event.eventType}).`,
      };
    }
    case "PAYMENT.CAPTURE.REFUNDED": {
      const { resource } = read(refundEventSchema);
      const captureId = captureIdFromLinks(resource.links ?? []);
      if (captureId === undefined) {
        throw new PayPalApiError({
          message: `PayPal event ${event.eventId} (refund ${resource.id}) has no "up" link to its capture.`,
        });
      }
      const total = resource.seller_payable_breakdown?.total_refunded_amount ?? resource.amount;
      return {
        kind: "refunded",
        providerPaymentId: captureId,
        amountRefunded: fromPayPalValue({ value: total.value, currency: total.currency_code }),
        currency: total.currency_code,
        providerRefundId: resource.id,
      };
    }
    case "CHECKOUT.ORDER.APPROVED": {
      const { resource } = read(orderEventSchema);
      return {
        kind: "pending",
        checkoutId: resource.purchase_units?.[0]?.custom_id ?? null,
        providerPaymentId: null,
      };
    }
    default:
      return { kind: "ignored", reason: `PayPal event ${event.eventType} is not acted on.` };
  }
}

function captureIdFromLinks(links: { href: string; rel: string }[]): string | undefined {
  const href = links.find((link) => link.rel === "up")?.href;
  if (href === undefined || !URL.canParse(href)) return undefined;
  return capturePath.exec(new URL(href).pathname)?.[1];
}
