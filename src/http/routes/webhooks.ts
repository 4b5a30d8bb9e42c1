import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { handlePaymentNotice, summarizeNotice } from "../../checkout/handle-payment-notice.ts";
import { AbonoError } from "../../errors.ts";
import { WebhookVerificationError } from "../../payments/checkout-provider.ts";
import { checkoutProviderOf } from "../../payments/checkout-providers.ts";
import { completePaymentEvent, recordPaymentEvent } from "../../payments/payment-events.ts";
import type { RouteModule } from "../app-types.ts";
import { billingServices } from "./subscriptions.ts";

const webhookProviders = ["stripe", "mercadopago", "paypal", "apple", "google"] as const;

/**
 * `POST /v1/webhooks/:provider` (docs/payments.md "Webhooks"). The body is read as raw bytes (signatures are
 * computed over them) and stored before anything else; then the provider's adapter verifies it, says what
 * it means, and the notice runs the payment success pipeline, a decline or a refund. A bad, stale or
 * unverifiable signature → 400 `webhook_signature_invalid`, nothing changed; a repeat → 200, no effect.
 */
export const webhookRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, logger } = dependencies;
  const services = billingServices(dependencies);

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });

    scope.withTypeProvider<ZodTypeProvider>().post(
      "/v1/webhooks/:provider",
      {
        config: { access: access.public, errors: ["webhook_signature_invalid"] },
        schema: {
          tags: ["payments"],
          summary: "Receive a payment provider's webhook",
          description:
            "Stripe (`Stripe-Signature`, 300 s tolerance), MercadoPago (`x-signature` over `id:…;request-id:…;ts:…;`, then the payment is fetched to confirm it), PayPal (verify-webhook-signature). Every request is stored in `payment_events`, verified or not. Apple and Google answer 400 until configured.",
          params: z.object({
            provider: z.enum(webhookProviders, {
              error: `provider must be one of ${webhookProviders.join(", ")}`,
            }),
          }),
          response: { 200: z.object({ received: z.literal(true), outcome: z.string() }) },
        },
      },
      async (request) => {
        const systemNow = clock();
        const provider = request.params.provider;
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [
            name.toLowerCase(),
            Array.isArray(value) ? value.join(",") : value,
          ]),
        );
        const query = request.query as Record<string, string | undefined>;
        const eventId = await recordPaymentEvent({
          db,
          provider,
          headers,
          query,
          body: rawBody,
          now: systemNow,
        });

        const adapter = checkoutProviderOf(services.providers, provider);
        let verified: Awaited<ReturnType<NonNullable<typeof adapter>["verifyWebhook"]>>;
        try {
          if (!adapter) {
            throw new WebhookVerificationError(
              `${provider} is not configured here, so its webhooks cannot be verified.`,
            );
          }
          verified = await adapter.verifyWebhook({ rawBody, headers, query, now: systemNow });
        } catch (error) {
          if (!(error instanceof WebhookVerificationError)) throw error;
          await completePaymentEvent({
            db,
            id: eventId,
            result: { verified: false, verificationError: error.message, outcome: "rejected" },
            now: systemNow,
          });
          logger.warn(
            { provider, paymentEventId: eventId, reason: error.message },
            "webhook rejected",
          );
          throw new AbonoError("webhook_signature_invalid", error.message, {
            paymentEventId: eventId,
          });
        }

        const recordFailure = (error: unknown) =>
          completePaymentEvent({
            db,
            id: eventId,
            result: {
              verified: true,
              providerEventId: verified.eventId,
              eventType: verified.eventType,
              outcome: `failed: ${error instanceof Error ? error.message : String(error)}`,
            },
            now: systemNow,
          });
        // Failures are not acknowledged: the provider delivers the event again later.
        let notice: Awaited<ReturnType<typeof adapter.interpretWebhook>>;
        try {
          notice = await adapter.interpretWebhook(verified);
        } catch (error) {
          await recordFailure(error);
          throw new AbonoError(
            "provider_error",
            `${provider} could not confirm the event: ${error instanceof Error ? error.message : String(error)}`,
            { paymentEventId: eventId },
          );
        }
        try {
          const summary = summarizeNotice(
            await handlePaymentNotice({ services, provider, notice, systemNow }),
          );
          await completePaymentEvent({
            db,
            id: eventId,
            result: {
              verified: true,
              providerEventId: verified.eventId,
              eventType: verified.eventType,
              ...summary,
            },
            now: systemNow,
          });
          return { received: true as const, outcome: summary.outcome };
        } catch (error) {
          await recordFailure(error);
          throw error;
        }
      },
    );
  });
};
