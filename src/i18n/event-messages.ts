import type { Locale } from "./billing-messages.ts";
import { escapeHtml, paragraphs } from "./notification-messages.ts";

/**
 * The messages people get because of an event (docs/events.md "Messages to people"): an email (plain text
 * and HTML) to the organization's owner and an in-app notification for its users, in the organization's
 * locale. Amounts and dates arrive formatted in that locale.
 */

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedNotice {
  title: string;
  body: string;
}

export interface ReceiptDetails {
  organizationName: string;
  invoiceNumber: string;
  amount: string;
  /** The invoice's lines, each `description: amount`. */
  lines: string[];
  provider: string;
}

export interface PaymentFailedDetails {
  organizationName: string;
  invoiceNumber: string;
  amount: string;
  /** When payment is tried again, if it is. */
  nextAttempt: string | null;
  /** Where the customer updates the payment method (the billing portal), when there is one. */
  portalUrl: string | null;
}

export interface TrialEndingDetails {
  organizationName: string;
  planName: string;
  trialEndsAt: string;
}

export interface SubscriptionEndedDetails {
  organizationName: string;
  planName: string;
  endedAt: string;
  /** `expired`: the end of an annual term; `canceled`: a cancellation or failed payments. */
  reason: "canceled" | "expired" | "payment_failed";
}

export interface StoreSubscriptionDetails {
  organizationName: string;
  planName: string;
  /** "App Store" or "Google Play". */
  storeName: string;
  /**
   * subscribed; recovered (a failed renewal was collected, or a paused subscription resumed: access
   * restored); renewal_failed (retrying, access until `until` when in a grace period); expired; refunded.
   */
  change: "subscribed" | "recovered" | "renewal_failed" | "expired" | "refunded";
  /** The end of the paid period or of the grace period, formatted; null when unknown. */
  until: string | null;
}

export interface PackRevokedDetails {
  organizationName: string;
  /** "App Store" or "Google Play". */
  storeName: string;
  featureName: string;
  /** The units the pack granted and those removed now (the rest were used), formatted. */
  quantity: string;
  removed: string;
}

export interface CreditNoteDetails {
  organizationName: string;
  /** The credit note's number. */
  invoiceNumber: string;
  amount: string;
  /** Where the credit went: the credit balance (default) or back to the payment method. */
  creditedTo?: "balance" | "payment_method";
  /** The numbers of the invoices it corrects. */
  corrects?: string[];
}

export interface UsageThresholdDetails {
  organizationName: string;
  featureName: string;
  threshold: number;
  used: string;
  limit: string;
}

export interface EventMessages {
  receiptEmail(details: ReceiptDetails): RenderedEmail;
  receiptNotice(details: ReceiptDetails): RenderedNotice;
  paymentFailedEmail(details: PaymentFailedDetails): RenderedEmail;
  paymentFailedNotice(details: PaymentFailedDetails): RenderedNotice;
  trialEndingEmail(details: TrialEndingDetails): RenderedEmail;
  trialEndingNotice(details: TrialEndingDetails): RenderedNotice;
  subscriptionEndedEmail(details: SubscriptionEndedDetails): RenderedEmail;
  subscriptionEndedNotice(details: SubscriptionEndedDetails): RenderedNotice;
  creditNoteEmail(details: CreditNoteDetails): RenderedEmail;
  creditNoteNotice(details: CreditNoteDetails): RenderedNotice;
  usageThresholdEmail(details: UsageThresholdDetails): RenderedEmail;
  usageThresholdNotice(details: UsageThresholdDetails): RenderedNotice;
  storeSubscriptionEmail(details: StoreSubscriptionDetails): RenderedEmail;
  storeSubscriptionNotice(details: StoreSubscriptionDetails): RenderedNotice;
  packRevokedEmail(details: PackRevokedDetails): RenderedEmail;
  packRevokedNotice(details: PackRevokedDetails): RenderedNotice;
}

/** An email from its subject, paragraphs and an optional bulleted list after the first paragraph. */
function email(subject: string, lines: string[], list: string[] = []): RenderedEmail {
  const [first = "", ...rest] = lines;
  return {
    subject,
    text: [first, ...list.map((item) => `- ${item}`), ...rest].join("\n"),
    html: [
      paragraphs([first]),
      ...(list.length > 0
        ? [`<ul>\n${list.map((item) => `<li>${escapeHtml(item)}</li>`).join("\n")}\n</ul>`]
        : []),
      paragraphs(rest),
    ]
      .filter((part) => part !== "")
      .join("\n"),
  };
}

const english: EventMessages = {
  receiptEmail: (details) =>
    email(
      `Receipt for invoice ${details.invoiceNumber}`,
      [
        `We received ${details.organizationName}'s payment of ${details.amount} through ${details.provider} for invoice ${details.invoiceNumber}:`,
        "The invoice is attached as a PDF. Thank you!",
      ],
      details.lines,
    ),
  receiptNotice: (details) => ({
    title: `Payment received: ${details.amount}`,
    body: `Invoice ${details.invoiceNumber} of ${details.organizationName} is paid.`,
  }),
  paymentFailedEmail: (details) =>
    email(`Your payment of ${details.amount} failed`, [
      `We could not charge ${details.amount} for invoice ${details.invoiceNumber} of ${details.organizationName}.`,
      details.portalUrl
        ? `To keep your plan, update your payment method at ${details.portalUrl}.`
        : "To keep your plan, update your payment method.",
      details.nextAttempt
        ? `We will try again on ${details.nextAttempt}; your access continues meanwhile.`
        : "Your access continues during the grace period.",
    ]),
  paymentFailedNotice: (details) => ({
    title: `Payment failed: ${details.amount}`,
    body: `Invoice ${details.invoiceNumber} could not be charged. Update the payment method to keep the plan.`,
  }),
  trialEndingEmail: (details) =>
    email(`Your ${details.planName} trial ends on ${details.trialEndsAt}`, [
      `The trial of ${details.planName} for ${details.organizationName} ends on ${details.trialEndsAt}.`,
      "Your first period will then be charged to your payment method; make sure it is up to date, or cancel before that date if you do not want to continue.",
    ]),
  trialEndingNotice: (details) => ({
    title: `Trial ends on ${details.trialEndsAt}`,
    body: `The ${details.planName} trial ends on ${details.trialEndsAt}; the first period is charged then.`,
  }),
  subscriptionEndedEmail: (details) =>
    email(`Your ${details.planName} subscription has ended`, [
      details.reason === "expired"
        ? `The ${details.planName} subscription of ${details.organizationName} reached the end of its term on ${details.endedAt}.`
        : details.reason === "payment_failed"
          ? `The ${details.planName} subscription of ${details.organizationName} was canceled on ${details.endedAt} because its payment could not be collected.`
          : `The ${details.planName} subscription of ${details.organizationName} was canceled on ${details.endedAt}.`,
      "Your organization is now on the free plan. You can subscribe again at any time.",
    ]),
  subscriptionEndedNotice: (details) => ({
    title: `${details.planName} has ended`,
    body: `${details.organizationName} is on the free plan since ${details.endedAt}.`,
  }),
  creditNoteEmail: (details) =>
    email(`A credit of ${details.amount} was issued`, [
      `We issued ${details.organizationName} a credit of ${details.amount} (credit note ${details.invoiceNumber}${details.corrects?.length ? `, correcting invoice ${details.corrects.join(", ")}` : ""}). ${
        details.creditedTo === "payment_method"
          ? "It was refunded to your payment method; your bank may take a few days to show it."
          : "It was added to your credit balance and applies to your next subscription invoices."
      }`,
      "The credit note is attached as a PDF.",
    ]),
  creditNoteNotice: (details) => ({
    title: `Credit issued: ${details.amount}`,
    body:
      details.creditedTo === "payment_method"
        ? `${details.amount} was refunded to the payment method (${details.invoiceNumber}).`
        : `${details.amount} was added to the credit balance (${details.invoiceNumber}).`,
  }),
  usageThresholdEmail: (details) =>
    email(`You have used ${details.threshold} % of your ${details.featureName}`, [
      `${details.organizationName} has used ${details.used} of ${details.limit} ${details.featureName} (${details.threshold} %).`,
      details.threshold >= 100
        ? "The limit is reached: buy a pack or move to a larger plan to keep going."
        : "Consider a pack or a larger plan before the limit is reached.",
    ]),
  usageThresholdNotice: (details) => ({
    title: `${details.threshold} % of ${details.featureName} used`,
    body: `${details.used} of ${details.limit} ${details.featureName} used.`,
  }),
  storeSubscriptionEmail: (details) => {
    const { planName, storeName, organizationName, until } = details;
    const manage = `${storeName} bills this subscription: manage or cancel it in ${storeName} (your subscriptions in the store's account settings).`;
    switch (details.change) {
      case "subscribed":
        return email(`Your ${planName} subscription through ${storeName} is active`, [
          `${organizationName} is subscribed to ${planName} through ${storeName}${until ? ` until ${until}, renewing automatically` : ""}.`,
          `${storeName} sends the receipt for each charge. ${manage}`,
        ]);
      case "recovered":
        return email(`Your ${planName} subscription through ${storeName} is active again`, [
          `${storeName} collected the payment for ${organizationName}'s ${planName} subscription: access is restored${until ? ` until ${until}, renewing automatically` : ""}.`,
          `Nothing else to do. ${manage}`,
        ]);
      case "renewal_failed":
        return email(`${storeName} could not renew your ${planName} subscription`, [
          until
            ? `${storeName} could not collect the renewal of ${organizationName}'s ${planName} subscription. It keeps trying; your access continues until ${until}.`
            : `${storeName} could not collect the renewal of ${organizationName}'s ${planName} subscription, and access is paused while it keeps trying.`,
          `Update the payment method in ${storeName} to keep the plan. ${manage}`,
        ]);
      case "expired":
        return email(`Your ${planName} subscription through ${storeName} has ended`, [
          `The ${planName} subscription of ${organizationName} through ${storeName} has ended${until ? ` (${until})` : ""}.`,
          "Your organization is now on the free plan. You can subscribe again at any time.",
        ]);
      case "refunded":
        return email(`${storeName} refunded your ${planName} subscription`, [
          `${storeName} refunded or revoked ${organizationName}'s ${planName} subscription, so its access has ended.`,
          "Your organization is now on the free plan. You can subscribe again at any time.",
        ]);
    }
  },
  storeSubscriptionNotice: (details) => {
    const { planName, storeName, until } = details;
    switch (details.change) {
      case "subscribed":
        return {
          title: `${planName} through ${storeName}`,
          body: `Subscribed${until ? ` until ${until}` : ""}; ${storeName} bills it.`,
        };
      case "recovered":
        return {
          title: `${planName} is active again`,
          body: `${storeName} collected the payment; access is restored.`,
        };
      case "renewal_failed":
        return {
          title: `${storeName} could not renew ${planName}`,
          body: until
            ? `Access continues until ${until} while ${storeName} retries.`
            : `Access is paused while ${storeName} retries.`,
        };
      case "expired":
        return {
          title: `${planName} has ended`,
          body: `The ${storeName} subscription ended; you are on the free plan.`,
        };
      case "refunded":
        return {
          title: `${planName} was refunded`,
          body: `${storeName} refunded the subscription; you are on the free plan.`,
        };
    }
  },
  packRevokedEmail: ({ organizationName, storeName, featureName, quantity, removed }) =>
    email(`${storeName} refunded a pack of ${quantity} ${featureName}`, [
      `${storeName} refunded or canceled ${organizationName}'s purchase of ${quantity} ${featureName}, so the ${removed} ${featureName} it still had were removed from your balance.`,
      `If you did not ask for this refund, contact ${storeName}'s support. You can buy the pack again in the app at any time.`,
    ]),
  packRevokedNotice: ({ storeName, featureName, quantity, removed }) => ({
    title: `${storeName} refunded ${quantity} ${featureName}`,
    body: `${removed} ${featureName} were removed from your balance.`,
  }),
};

const spanish: EventMessages = {
  receiptEmail: (details) =>
    email(
      `Recibo de la factura ${details.invoiceNumber}`,
      [
        `Recibimos el pago de ${details.amount} de ${details.organizationName} a través de ${details.provider} por la factura ${details.invoiceNumber}:`,
        "La factura va adjunta en PDF. ¡Gracias!",
      ],
      details.lines,
    ),
  receiptNotice: (details) => ({
    title: `Pago recibido: ${details.amount}`,
    body: `La factura ${details.invoiceNumber} de ${details.organizationName} está pagada.`,
  }),
  paymentFailedEmail: (details) =>
    email(`Tu pago de ${details.amount} no se pudo cobrar`, [
      `No pudimos cobrar ${details.amount} por la factura ${details.invoiceNumber} de ${details.organizationName}.`,
      details.portalUrl
        ? `Para mantener tu plan, actualiza tu medio de pago en ${details.portalUrl}.`
        : "Para mantener tu plan, actualiza tu medio de pago.",
      details.nextAttempt
        ? `Volveremos a intentarlo el ${details.nextAttempt}; mientras tanto mantienes el acceso.`
        : "Mantienes el acceso durante el período de gracia.",
    ]),
  paymentFailedNotice: (details) => ({
    title: `Pago fallido: ${details.amount}`,
    body: `No se pudo cobrar la factura ${details.invoiceNumber}. Actualiza el medio de pago para mantener el plan.`,
  }),
  trialEndingEmail: (details) =>
    email(`Tu prueba de ${details.planName} termina el ${details.trialEndsAt}`, [
      `La prueba de ${details.planName} de ${details.organizationName} termina el ${details.trialEndsAt}.`,
      "Entonces se cobrará el primer período a tu medio de pago; verifica que esté al día, o cancela antes de esa fecha si no quieres continuar.",
    ]),
  trialEndingNotice: (details) => ({
    title: `La prueba termina el ${details.trialEndsAt}`,
    body: `La prueba de ${details.planName} termina el ${details.trialEndsAt}; entonces se cobra el primer período.`,
  }),
  subscriptionEndedEmail: (details) =>
    email(`Tu suscripción a ${details.planName} terminó`, [
      details.reason === "expired"
        ? `La suscripción a ${details.planName} de ${details.organizationName} llegó al final de su plazo el ${details.endedAt}.`
        : details.reason === "payment_failed"
          ? `La suscripción a ${details.planName} de ${details.organizationName} se canceló el ${details.endedAt} porque no se pudo cobrar su pago.`
          : `La suscripción a ${details.planName} de ${details.organizationName} se canceló el ${details.endedAt}.`,
      "Tu organización está ahora en el plan gratuito. Puedes volver a suscribirte cuando quieras.",
    ]),
  subscriptionEndedNotice: (details) => ({
    title: `${details.planName} terminó`,
    body: `${details.organizationName} está en el plan gratuito desde el ${details.endedAt}.`,
  }),
  creditNoteEmail: (details) =>
    email(`Emitimos un crédito de ${details.amount}`, [
      `Emitimos a ${details.organizationName} un crédito de ${details.amount} (nota de crédito ${details.invoiceNumber}${details.corrects?.length ? `, que corrige la factura ${details.corrects.join(", ")}` : ""}). ${
        details.creditedTo === "payment_method"
          ? "Se devolvió a tu medio de pago; tu banco puede tardar unos días en mostrarlo."
          : "Se sumó a tu saldo a favor y se aplica a tus próximas facturas de suscripción."
      }`,
      "La nota de crédito va adjunta en PDF.",
    ]),
  creditNoteNotice: (details) => ({
    title: `Crédito emitido: ${details.amount}`,
    body:
      details.creditedTo === "payment_method"
        ? `Se devolvieron ${details.amount} a tu medio de pago (${details.invoiceNumber}).`
        : `Se sumaron ${details.amount} al saldo a favor (${details.invoiceNumber}).`,
  }),
  usageThresholdEmail: (details) =>
    email(`Usaste el ${details.threshold} % de tus ${details.featureName}`, [
      `${details.organizationName} usó ${details.used} de ${details.limit} ${details.featureName} (${details.threshold} %).`,
      details.threshold >= 100
        ? "Llegaste al límite: compra un paquete o pasa a un plan mayor para seguir."
        : "Considera un paquete o un plan mayor antes de llegar al límite.",
    ]),
  usageThresholdNotice: (details) => ({
    title: `${details.threshold} % de ${details.featureName} usado`,
    body: `Usaste ${details.used} de ${details.limit} ${details.featureName}.`,
  }),
  storeSubscriptionEmail: (details) => {
    const { planName, storeName, organizationName, until } = details;
    const manage = `${storeName} cobra esta suscripción: adminístrala o cancélala en ${storeName} (tus suscripciones en la configuración de tu cuenta de la tienda).`;
    switch (details.change) {
      case "subscribed":
        return email(`Tu suscripción a ${planName} por ${storeName} está activa`, [
          `${organizationName} está suscrita a ${planName} por ${storeName}${until ? ` hasta el ${until}, con renovación automática` : ""}.`,
          `${storeName} envía el recibo de cada cobro. ${manage}`,
        ]);
      case "recovered":
        return email(`Tu suscripción a ${planName} por ${storeName} está activa de nuevo`, [
          `${storeName} cobró el pago de la suscripción a ${planName} de ${organizationName}: el acceso está restablecido${until ? ` hasta el ${until}, con renovación automática` : ""}.`,
          `No tienes que hacer nada más. ${manage}`,
        ]);
      case "renewal_failed":
        return email(`${storeName} no pudo renovar tu suscripción a ${planName}`, [
          until
            ? `${storeName} no pudo cobrar la renovación de la suscripción a ${planName} de ${organizationName}. Sigue intentándolo; tu acceso continúa hasta el ${until}.`
            : `${storeName} no pudo cobrar la renovación de la suscripción a ${planName} de ${organizationName}, y el acceso queda en pausa mientras sigue intentándolo.`,
          `Actualiza el medio de pago en ${storeName} para conservar el plan. ${manage}`,
        ]);
      case "expired":
        return email(`Tu suscripción a ${planName} por ${storeName} terminó`, [
          `La suscripción a ${planName} de ${organizationName} por ${storeName} terminó${until ? ` (${until})` : ""}.`,
          "Tu organización ahora está en el plan gratuito. Puedes volver a suscribirte cuando quieras.",
        ]);
      case "refunded":
        return email(`${storeName} reembolsó tu suscripción a ${planName}`, [
          `${storeName} reembolsó o revocó la suscripción a ${planName} de ${organizationName}, así que su acceso terminó.`,
          "Tu organización ahora está en el plan gratuito. Puedes volver a suscribirte cuando quieras.",
        ]);
    }
  },
  storeSubscriptionNotice: (details) => {
    const { planName, storeName, until } = details;
    switch (details.change) {
      case "subscribed":
        return {
          title: `${planName} por ${storeName}`,
          body: `Suscrita${until ? ` hasta el ${until}` : ""}; la cobra ${storeName}.`,
        };
      case "recovered":
        return {
          title: `${planName} está activa de nuevo`,
          body: `${storeName} cobró el pago; el acceso está restablecido.`,
        };
      case "renewal_failed":
        return {
          title: `${storeName} no pudo renovar ${planName}`,
          body: until
            ? `El acceso continúa hasta el ${until} mientras ${storeName} reintenta.`
            : `El acceso está en pausa mientras ${storeName} reintenta.`,
        };
      case "expired":
        return {
          title: `${planName} terminó`,
          body: `La suscripción de ${storeName} terminó; estás en el plan gratuito.`,
        };
      case "refunded":
        return {
          title: `${planName} fue reembolsado`,
          body: `${storeName} reembolsó la suscripción; estás en el plan gratuito.`,
        };
    }
  },
  packRevokedEmail: ({ organizationName, storeName, featureName, quantity, removed }) =>
    email(`${storeName} reembolsó un paquete de ${quantity} ${featureName}`, [
      `${storeName} reembolsó o canceló la compra de ${quantity} ${featureName} de ${organizationName}, así que se quitaron de tu saldo los ${removed} ${featureName} que le quedaban.`,
      `Si no pediste este reembolso, contacta al soporte de ${storeName}. Puedes volver a comprar el paquete en la app cuando quieras.`,
    ]),
  packRevokedNotice: ({ storeName, featureName, quantity, removed }) => ({
    title: `${storeName} reembolsó ${quantity} ${featureName}`,
    body: `Se quitaron ${removed} ${featureName} de tu saldo.`,
  }),
};

export function eventMessages(locale: Locale): EventMessages {
  return locale === "es" ? spanish : english;
}
