import type { Locale } from "./billing-messages.ts";

/** What a purchase confirmation says: amounts already formatted in the organization's locale. */
export interface PurchaseDetails {
  organizationName: string;
  planName: string;
  interval: "month" | "year";
  amount: string;
  /** False when nothing was due (100% coupon, free plan, trial). */
  paid: boolean;
  provider: string;
  invoiceNumber: string | null;
  periodEnd: string | null;
  isUpgrade: boolean;
}

export interface NotificationMessages {
  purchaseEmail(details: PurchaseDetails): { subject: string; text: string; html: string };
  userPaymentCompleted(details: PurchaseDetails): { title: string; body: string };
  adminPaymentReceived(details: PurchaseDetails): { title: string; body: string };
  adminPaymentUnapplied(args: { organizationName: string; amount: string; reason: string }): {
    title: string;
    body: string;
  };
  adminRenewalFailed(args: RenewalFailureDetails): { title: string; body: string };
  adminWebhookDisabled(args: { endpointId: string; destination: string; reason: string }): {
    title: string;
    body: string;
  };
  /** A charge Abono made itself (a renewal, a plan change, a pack, a trial's end). */
  adminChargeReceived(args: ChargeDetails): { title: string; body: string };
  adminPaymentFailed(args: Omit<ChargeDetails, "reason"> & { code: string }): {
    title: string;
    body: string;
  };
  adminTrialEnding(args: { organizationName: string; planName: string; trialEndsAt: string }): {
    title: string;
    body: string;
  };
  adminSubscriptionEnded(args: {
    organizationName: string;
    planName: string;
    endedAt: string;
    reason: "canceled" | "payment_failed" | "expired";
  }): { title: string; body: string };
  adminUsageThreshold(args: {
    organizationName: string;
    featureName: string;
    threshold: number;
    used: string;
    limit: string;
  }): { title: string; body: string };
}

export interface ChargeDetails {
  organizationName: string;
  amount: string;
  invoiceNumber: string;
  /** The invoice's billing reason (`subscription_cycle`, `pack_purchase`…). */
  reason: string;
}

/** A renewal that failed for a reason a retry does not fix by itself (operators only). */
export interface RenewalFailureDetails {
  organizationName: string;
  subscriptionId: string;
  attempts: number;
  error: string;
  nextAttemptAt: string;
}

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export const paragraphs = (lines: string[]) =>
  lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n");

/** A notification (title and body) as an email to the operators' address. */
export function notificationEmail(message: { title: string; body: string }): {
  subject: string;
  text: string;
  html: string;
} {
  return { subject: message.title, text: message.body, html: paragraphs([message.body]) };
}

const english: NotificationMessages = {
  purchaseEmail(details) {
    const lines = [
      `Thank you: ${details.organizationName} is now on ${details.planName} (${details.interval === "month" ? "monthly" : "yearly"}).`,
      details.paid
        ? `We received your payment of ${details.amount} through ${details.provider}.`
        : "Nothing was due today.",
      ...(details.invoiceNumber ? [`Invoice: ${details.invoiceNumber}.`] : []),
      ...(details.periodEnd ? [`Your current period ends on ${details.periodEnd}.`] : []),
    ];
    return {
      subject: details.isUpgrade
        ? `Your upgrade to ${details.planName} is active`
        : `Your ${details.planName} subscription is active`,
      text: lines.join("\n"),
      html: paragraphs(lines),
    };
  },
  userPaymentCompleted: (details) => ({
    title: `${details.planName} is active`,
    body: `${details.paid ? `Payment of ${details.amount} received. ` : ""}${details.organizationName} now has ${details.planName}.`,
  }),
  adminPaymentReceived: (details) => ({
    title: `Payment received: ${details.organizationName}`,
    body: `${details.organizationName} paid ${details.amount} through ${details.provider} for ${details.planName}${details.isUpgrade ? " (upgrade)" : ""}.`,
  }),
  adminPaymentUnapplied: ({ organizationName, amount, reason }) => ({
    title: `Payment not applied: ${organizationName}`,
    body: `A payment of ${amount} from ${organizationName} could not be applied and was refunded: ${reason}`,
  }),
  adminRenewalFailed: ({ organizationName, subscriptionId, attempts, error, nextAttemptAt }) => ({
    title: `Renewal failed: ${organizationName}`,
    body: `The renewal of subscription ${subscriptionId} (${organizationName}) failed ${attempts === 1 ? "once" : `${attempts} times`} and nothing was invoiced: ${error} It is tried again at ${nextAttemptAt}; access follows the past-due grace period meanwhile.`,
  }),
  adminWebhookDisabled: ({ endpointId, destination, reason }) => ({
    title: `Webhook endpoint disabled: ${destination}`,
    body: `Webhook endpoint ${endpointId} (${destination}) was disabled: ${reason} Its events wait undelivered; once the receiver works again, enable it with POST /v1/webhook-endpoints/${endpointId}/enable and they are sent in order.`,
  }),
  adminChargeReceived: ({ organizationName, amount, invoiceNumber, reason }) => ({
    title: `Payment received: ${organizationName}`,
    body: `${organizationName} paid ${amount} for invoice ${invoiceNumber} (${reason}).`,
  }),
  adminPaymentFailed: ({ organizationName, amount, invoiceNumber, code }) => ({
    title: `Payment failed: ${organizationName}`,
    body: `The payment of ${amount} for invoice ${invoiceNumber} of ${organizationName} was declined (${code}); it is retried on the dunning schedule.`,
  }),
  adminTrialEnding: ({ organizationName, planName, trialEndsAt }) => ({
    title: `Trial ending: ${organizationName}`,
    body: `${organizationName}'s ${planName} trial ends on ${trialEndsAt}; its first period is charged then.`,
  }),
  adminSubscriptionEnded: ({ organizationName, planName, endedAt, reason }) => ({
    title: `Subscription ended: ${organizationName}`,
    body: `${organizationName}'s ${planName} subscription ended on ${endedAt} (${
      reason === "payment_failed"
        ? "its payment could not be collected"
        : reason === "expired"
          ? "its term ended without renewal"
          : "canceled"
    }); it is on the free plan now.`,
  }),
  adminUsageThreshold: ({ organizationName, featureName, threshold, used, limit }) => ({
    title: `${organizationName} used ${threshold} % of ${featureName}`,
    body: `${organizationName} has used ${used} of ${limit} ${featureName} (${threshold} %).`,
  }),
};

const spanish: NotificationMessages = {
  purchaseEmail(details) {
    const lines = [
      `¡Gracias! ${details.organizationName} ya tiene el plan ${details.planName} (${details.interval === "month" ? "mensual" : "anual"}).`,
      details.paid
        ? `Recibimos tu pago de ${details.amount} a través de ${details.provider}.`
        : "No había nada que pagar hoy.",
      ...(details.invoiceNumber ? [`Factura: ${details.invoiceNumber}.`] : []),
      ...(details.periodEnd ? [`Tu período actual vence el ${details.periodEnd}.`] : []),
    ];
    return {
      subject: details.isUpgrade
        ? `Tu mejora a ${details.planName} está activa`
        : `Tu suscripción a ${details.planName} está activa`,
      text: lines.join("\n"),
      html: paragraphs(lines),
    };
  },
  userPaymentCompleted: (details) => ({
    title: `${details.planName} está activo`,
    body: `${details.paid ? `Recibimos el pago de ${details.amount}. ` : ""}${details.organizationName} ya tiene ${details.planName}.`,
  }),
  adminPaymentReceived: (details) => ({
    title: `Pago recibido: ${details.organizationName}`,
    body: `${details.organizationName} pagó ${details.amount} con ${details.provider} por ${details.planName}${details.isUpgrade ? " (mejora de plan)" : ""}.`,
  }),
  adminPaymentUnapplied: ({ organizationName, amount, reason }) => ({
    title: `Pago no aplicado: ${organizationName}`,
    body: `Un pago de ${amount} de ${organizationName} no pudo aplicarse y fue reembolsado: ${reason}`,
  }),
  adminRenewalFailed: ({ organizationName, subscriptionId, attempts, error, nextAttemptAt }) => ({
    title: `Renovación fallida: ${organizationName}`,
    body: `La renovación de la suscripción ${subscriptionId} (${organizationName}) falló ${attempts === 1 ? "una vez" : `${attempts} veces`} y no se facturó nada: ${error} Se reintenta el ${nextAttemptAt}; mientras tanto el acceso sigue el período de gracia por falta de pago.`,
  }),
  adminWebhookDisabled: ({ endpointId, destination, reason }) => ({
    title: `Endpoint de webhooks desactivado: ${destination}`,
    body: `El endpoint de webhooks ${endpointId} (${destination}) fue desactivado: ${reason} Sus eventos esperan sin entregarse; cuando el receptor vuelva a funcionar, actívalo con POST /v1/webhook-endpoints/${endpointId}/enable y se envían en orden.`,
  }),
  adminChargeReceived: ({ organizationName, amount, invoiceNumber, reason }) => ({
    title: `Pago recibido: ${organizationName}`,
    body: `${organizationName} pagó ${amount} por la factura ${invoiceNumber} (${reason}).`,
  }),
  adminPaymentFailed: ({ organizationName, amount, invoiceNumber, code }) => ({
    title: `Pago fallido: ${organizationName}`,
    body: `El pago de ${amount} de la factura ${invoiceNumber} de ${organizationName} fue rechazado (${code}); se reintenta según el calendario de cobro.`,
  }),
  adminTrialEnding: ({ organizationName, planName, trialEndsAt }) => ({
    title: `Prueba por terminar: ${organizationName}`,
    body: `La prueba de ${planName} de ${organizationName} termina el ${trialEndsAt}; entonces se cobra su primer período.`,
  }),
  adminSubscriptionEnded: ({ organizationName, planName, endedAt, reason }) => ({
    title: `Suscripción terminada: ${organizationName}`,
    body: `La suscripción a ${planName} de ${organizationName} terminó el ${endedAt} (${
      reason === "payment_failed"
        ? "no se pudo cobrar su pago"
        : reason === "expired"
          ? "su plazo terminó sin renovación"
          : "cancelada"
    }); ahora está en el plan gratuito.`,
  }),
  adminUsageThreshold: ({ organizationName, featureName, threshold, used, limit }) => ({
    title: `${organizationName} usó el ${threshold} % de ${featureName}`,
    body: `${organizationName} usó ${used} de ${limit} ${featureName} (${threshold} %).`,
  }),
};

export function notificationMessages(locale: Locale): NotificationMessages {
  return locale === "es" ? spanish : english;
}
