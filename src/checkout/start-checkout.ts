import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { BillingServices } from "../billing/billing-operation.ts";
import { getPlan } from "../catalog/plans.ts";
import { checkouts, organizations } from "../db/schema/index.ts";
import { AbonoError, invalidState, notFound, validationError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Invoice } from "../invoicing/invoices.ts";
import type { CheckoutProvider } from "../payments/checkout-provider.ts";
import { checkoutProviderOf, offeredCheckoutProviders } from "../payments/checkout-providers.ts";
import { requireNoLiveStoreSubscription } from "../stores/require-no-live-store-subscription.ts";
import { changePlan } from "../subscriptions/change-plan.ts";
import { quoteSubscribe } from "../subscriptions/subscribe.ts";
import { findLiveSubscription } from "../subscriptions/subscription-records.ts";
import type { SubscriptionView } from "../subscriptions/subscription-view.ts";
import type { Interval } from "../time/index.ts";
import { type CheckoutRow, getCheckout } from "./checkout-records.ts";
import { handlePaymentSuccess } from "./handle-payment-success.ts";

export interface CheckoutStart {
  planId: string;
  interval: Interval;
  couponCode: string | undefined;
  currency: string | undefined;
  /** `stripe`, `mercadopago`, `paypal`, or `sandbox` in test mode; not needed when nothing is due. */
  provider: string | undefined;
  successUrl: string | undefined;
  cancelUrl: string | undefined;
}

export interface CheckoutStarted {
  checkout: CheckoutRow;
  /** Present when the checkout completed at once (nothing to pay, or the sandbox). */
  subscription: SubscriptionView | null;
  invoices: Invoice[];
}

/**
 * A checkout (docs/payments.md "Checkout"): the customer picks a plan, interval, coupon and provider. Abono quotes the amount
 * with the same code that will apply it (a new subscription's first invoice, or an upgrade's proration),
 * then either completes at once (nothing to pay — 100% coupon, free plan, trial — or the sandbox) through
 * the payment success pipeline, or creates the provider's checkout and returns where to send the customer.
 */
export async function startCheckout({
  services,
  organizationId,
  request,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  request: CheckoutStart;
  actor: string;
  systemNow: Date;
}): Promise<CheckoutStarted> {
  const { db, providers, config } = services;
  const [organization] = await db
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw notFound("Organization", organizationId);
  await requireNoLiveStoreSubscription({ executor: services.db, organizationId });

  const quote = await quoteCheckout({ services, organizationId, request, actor, systemNow });
  const direct = quote.amount === 0n;
  if (!direct && request.provider === undefined) {
    throw validationError(
      `provider: required, the checkout comes to ${quote.amount} (minor units, ${quote.currency}); one of ${offeredCheckoutProviders(providers).join(", ") || "none is configured"}.`,
    );
  }
  const provider = direct ? "direct" : (request.provider ?? "direct");
  const adapter = direct ? undefined : chooseProvider({ services, name: provider });
  const checkoutId = newId("chk", quote.quotedAt.getTime());
  const successUrl = request.successUrl ?? config.providers.checkoutSuccessUrl;
  const cancelUrl = request.cancelUrl ?? config.providers.checkoutCancelUrl;
  await db.insert(checkouts).values({
    id: checkoutId,
    organizationId,
    provider,
    planId: request.planId,
    planVersion: quote.planVersion,
    interval: request.interval,
    couponCode: request.couponCode ?? null,
    currency: quote.currency,
    amount: quote.amount,
    isUpgrade: quote.isUpgrade,
    quotedAt: quote.quotedAt,
    basisSubscriptionId: quote.basis?.subscriptionId ?? null,
    basisPeriodEnd: quote.basis?.periodEnd ?? null,
    successUrl,
    cancelUrl,
    status: "open",
    createdBy: actor,
    createdAt: systemNow,
    updatedAt: systemNow,
  });

  if (direct || provider === "sandbox") {
    const result = await handlePaymentSuccess({
      services,
      payment: {
        provider,
        providerPaymentId: direct ? checkoutId : `ch_sandbox_${randomBytes(8).toString("hex")}`,
        amount: quote.amount,
        currency: quote.currency,
        checkoutId,
      },
      systemNow,
      compensate: false,
    }).catch(async (error: unknown) => {
      await db
        .update(checkouts)
        .set({
          status: "failed",
          failureCode: error instanceof AbonoError ? error.code : "internal_error",
          failureMessage: error instanceof Error ? error.message : String(error),
          updatedAt: systemNow,
        })
        .where(eq(checkouts.id, checkoutId));
      throw error;
    });
    if (result.outcome !== "processed") {
      throw new Error(`a direct checkout ended as ${result.outcome}`);
    }
    return {
      checkout: result.checkout,
      subscription: result.subscription,
      invoices: result.invoices,
    };
  }

  if (!adapter) throw new Error("unreachable: the provider was checked above");
  let session: Awaited<ReturnType<CheckoutProvider["createCheckout"]>>;
  try {
    session = await adapter.createCheckout({
      checkoutId,
      organizationId,
      amount: quote.amount,
      currency: quote.currency,
      description: quote.description,
      customerEmail: organization.ownerEmail,
      locale: organization.locale,
      successUrl,
      cancelUrl,
      webhookUrl: `${config.providers.publicUrl}/v1/webhooks/${provider}`,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db
      .update(checkouts)
      .set({
        status: "failed",
        failureCode: "provider_error",
        failureMessage: message,
        updatedAt: systemNow,
      })
      .where(eq(checkouts.id, checkoutId));
    throw new AbonoError(
      "provider_error",
      `${adapter.name} did not create the checkout: ${message}`,
      {
        checkoutId,
      },
    );
  }
  await db
    .update(checkouts)
    .set({
      providerCheckoutId: session.providerCheckoutId,
      redirectUrl: session.redirectUrl,
      updatedAt: systemNow,
    })
    .where(eq(checkouts.id, checkoutId));
  return {
    checkout: await getCheckout({ executor: db, checkoutId }),
    subscription: null,
    invoices: [],
  };
}

function chooseProvider({
  services,
  name,
}: {
  services: BillingServices;
  name: string;
}): CheckoutProvider | undefined {
  if (name === "sandbox") {
    if (!services.providers.has("sandbox")) {
      throw validationError("provider: the sandbox is only available in test mode.");
    }
    return undefined;
  }
  const adapter = checkoutProviderOf(services.providers, name);
  if (!adapter) {
    throw validationError(
      `provider: ${name} is not configured here; configured: ${offeredCheckoutProviders(services.providers).join(", ") || "none"}. See the README's "Payment providers".`,
    );
  }
  return adapter;
}

export interface CheckoutQuote {
  amount: bigint;
  currency: string;
  /** What the amount is made of: the first invoice's (or the plan change's) lines and totals. */
  lines: { description: string; amount: bigint }[];
  subtotal: bigint;
  discount: bigint;
  balanceApplied: bigint;
  planVersion: number;
  quotedAt: Date;
  description: string;
  /** A change of the live subscription (else a new purchase, replacing a past-due one if any). */
  isUpgrade: boolean;
  /** The live subscription when quoted (null: none); a payment finding another one is stale. */
  basis: { subscriptionId: string; periodEnd: Date } | null;
}

/**
 * What a checkout would charge, by the code that will charge it: a new subscription's first invoice, or the
 * live subscription's change (an upgrade). Invalid plans, intervals and coupons fail as the checkout would.
 */
export async function quoteCheckout({
  services,
  organizationId,
  request,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  request: CheckoutStart;
  actor: string;
  systemNow: Date;
}): Promise<CheckoutQuote> {
  const plan = await getPlan({ db: services.db, planId: request.planId });
  const live = await findLiveSubscription({ executor: services.db, organizationId });
  if (live && live.status !== "past_due") {
    if (request.couponCode !== undefined) {
      throw validationError(
        "couponCode: a coupon applies to a new subscription; this checkout changes the live one.",
      );
    }
    const change = await changePlan({
      services,
      organizationId,
      request: { planId: request.planId, interval: request.interval, timing: "now" },
      preview: true,
      actor,
      systemNow,
    });
    if (!change.preview) throw new Error("a preview executed");
    const preview = change.result;
    if (preview.settlement && preview.settlement.amountDue > 0n) {
      throw invalidState(
        `The organization owes ${preview.settlement.amountDue} (minor units, ${preview.currency}) for usage to date; it is settled with a plan change through POST /v1/organizations/${organizationId}/subscription/change.`,
      );
    }
    return {
      amount: preview.amountDue,
      currency: preview.currency,
      lines: [...(preview.settlement?.lines ?? []), ...preview.lines],
      subtotal: preview.subtotal,
      discount: preview.discount,
      balanceApplied: preview.balanceApplied,
      planVersion: plan.version,
      quotedAt: preview.effectiveAt,
      description: `${plan.name}`,
      isUpgrade: true,
      basis: { subscriptionId: live.id, periodEnd: live.currentPeriodEnd },
    };
  }
  const invoice = await quoteSubscribe({
    services,
    organizationId,
    planId: request.planId,
    interval: request.interval,
    couponCode: request.couponCode,
    currency: request.currency,
    replaceExisting: true,
    actor,
    systemNow,
  });
  return {
    amount: invoice.amountDue,
    currency: invoice.currency,
    lines: invoice.lines,
    subtotal: invoice.subtotal,
    discount: invoice.discount,
    balanceApplied: invoice.balanceApplied,
    planVersion: plan.version,
    quotedAt: invoice.createdAt,
    description: invoice.lines[0]?.description ?? plan.name,
    isUpgrade: false,
    basis: live ? { subscriptionId: live.id, periodEnd: live.currentPeriodEnd } : null,
  };
}
