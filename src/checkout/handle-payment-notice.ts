import { and, eq, inArray } from "drizzle-orm";
import type { BillingServices } from "../billing/billing-operation.ts";
import { checkouts } from "../db/schema/index.ts";
import { AbonoError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { applyRefund } from "../payments/apply-refund.ts";
import type { PaymentNotice } from "../payments/checkout-provider.ts";
import { completePaymentMethodSetup } from "../payments/payment-method-setup.ts";
import { handlePaymentSuccess, type PipelineResult } from "./handle-payment-success.ts";

export type NoticeResult =
  | PipelineResult
  | { outcome: "failed_payment"; checkoutId: string | null }
  | { outcome: "pending"; checkoutId: string | null }
  | { outcome: "refund"; result: Awaited<ReturnType<typeof applyRefund>> }
  | { outcome: "payment_method_saved"; paymentMethodId: string }
  | { outcome: "payment_method_setup_open" };

/** What Abono does with a provider's notice, whether it came by webhook or from a capture call. */
export async function handlePaymentNotice({
  services,
  provider,
  notice,
  systemNow,
}: {
  services: BillingServices;
  provider: string;
  notice: PaymentNotice;
  systemNow: Date;
}): Promise<NoticeResult> {
  switch (notice.kind) {
    case "payment_succeeded":
      return handlePaymentSuccess({
        services,
        payment: {
          provider,
          providerPaymentId: notice.providerPaymentId,
          amount: notice.amount,
          currency: notice.currency,
          checkoutId: notice.checkoutId,
        },
        systemNow,
      });
    case "payment_failed":
      await markCheckoutFailed({ services, notice, systemNow });
      return { outcome: "failed_payment", checkoutId: notice.checkoutId };
    case "pending":
      return { outcome: "pending", checkoutId: notice.checkoutId };
    case "refunded":
      return {
        outcome: "refund",
        result: await applyRefund({
          db: services.db,
          refund: { provider, ...notice },
          reason: null,
          actor: `system:${provider}`,
          now: systemNow,
        }),
      };
    case "payment_method_setup": {
      const setup = await completePaymentMethodSetup({
        db: services.db,
        providers: services.providers,
        provider,
        providerSessionId: notice.providerSessionId,
        now: systemNow,
      }).catch((error: unknown) => {
        // A setup session Abono did not open (another integration on the same Stripe account).
        if (error instanceof AbonoError && error.code === "not_found") return null;
        throw error;
      });
      if (setup === null) {
        return {
          outcome: "ignored",
          reason: `setup session ${notice.providerSessionId} is not an Abono card setup`,
        };
      }
      return setup.status === "complete"
        ? { outcome: "payment_method_saved", paymentMethodId: setup.paymentMethod.id }
        : { outcome: "payment_method_setup_open" };
    }
    case "ignored":
      return { outcome: "ignored", reason: notice.reason };
  }
}

/** A declined payment changes nothing but the open checkout, which records why. */
async function markCheckoutFailed({
  services,
  notice,
  systemNow,
}: {
  services: BillingServices;
  notice: Extract<PaymentNotice, { kind: "payment_failed" }>;
  systemNow: Date;
}) {
  if (notice.checkoutId === null) return;
  await services.db.transaction(async (tx) => {
    const [failed] = await tx
      .update(checkouts)
      .set({
        status: "failed",
        failureCode: notice.code,
        failureMessage: notice.message,
        updatedAt: systemNow,
      })
      .where(
        and(
          eq(checkouts.id, notice.checkoutId ?? ""),
          inArray(checkouts.status, ["open", "failed"]),
        ),
      )
      .returning();
    if (!failed) return;
    await publishEvent({
      executor: tx,
      type: "checkout.failed",
      organizationId: failed.organizationId,
      data: { checkoutId: failed.id, code: notice.code },
      now: systemNow,
    });
  });
}

/** What a payment event records of the result: a short outcome and the checkout and payment it concerned. */
export function summarizeNotice(result: NoticeResult): {
  outcome: string;
  checkoutId: string | null;
  paymentId: string | null;
} {
  switch (result.outcome) {
    case "ignored":
      return { outcome: `ignored: ${result.reason}`, checkoutId: null, paymentId: null };
    case "unapplied":
      return {
        outcome: `unapplied: ${result.reason}`,
        checkoutId: result.checkout.id,
        paymentId: result.checkout.paymentId,
      };
    case "refund": {
      const refund = result.result;
      return refund.outcome === "ignored"
        ? { outcome: `ignored: ${refund.reason}`, checkoutId: null, paymentId: null }
        : { outcome: `refund ${refund.outcome}`, checkoutId: null, paymentId: refund.paymentId };
    }
    case "payment_method_saved":
      return {
        outcome: `payment_method_saved: ${result.paymentMethodId}`,
        checkoutId: null,
        paymentId: null,
      };
    case "payment_method_setup_open":
      return {
        outcome: "ignored: the setup session is not complete",
        checkoutId: null,
        paymentId: null,
      };
    case "failed_payment":
    case "pending":
      return { outcome: result.outcome, checkoutId: result.checkoutId, paymentId: null };
    case "processed":
    case "duplicate":
      return {
        outcome: result.outcome,
        checkoutId: result.checkout?.id ?? null,
        paymentId: result.checkout?.paymentId ?? null,
      };
  }
}
