import rateLimit from "@fastify/rate-limit";
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
 * `POST /v1/webhooks/:provider` (docs/payments.md "Webhooks"). A provider that is not configured here is
 * refused before anything is stored; each source address gets a rate limit, and the body its own small
 * size limit. The body is read as raw bytes (signatures are computed over them) and the provider's
 * adapter verifies it; the request is then stored (whole when verified, its first bytes and hash when
 * not) before the notice runs the payment success pipeline, a decline or a refund. A bad, stale or
 * unverifiable signature → 400 `webhook_signature_invalid`, nothing changed; a repeat → 200, no effect.
 */
export const webhookRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, logger, config } = dependencies;
  const services = billingServices(dependencies);
  const limits = config.http.webhooks;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });
    // Counted per source address before the body is read; in memory, so per process.
    await scope.register(rateLimit, {
      max: limits.ratePerMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new AbonoError(
          "rate_limited",
          `Too many webhook requests from this address: at most ${context.max} a minute. Retry in ${context.after}.`,
          { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        ),
    });

    scope.withTypeProvider<ZodTypeProvider>().post(
      "/v1/webhooks/:provider",
      {
        bodyLimit: limits.bodyLimitBytes,
        config: {
          access: access.public,
          errors: ["webhook_signature_invalid", "rate_limited", "provider_error"],
        },
        schema: {
          tags: ["payments"],
          summary: "Receive a payment provider's webhook",
          description:
            "Stripe (`Stripe-Signature`, 300 s tolerance), MercadoPago (`x-signature` over `id:…;request-id:…;ts:…;`, then the payment is fetched to confirm it), PayPal (verify-webhook-signature). A provider that is not configured here answers 404 and nothing is stored. A verified request is stored whole in `payment_events`; one that fails verification keeps only its first 2 KiB with the SHA-256 and size of the whole body. Bodies over `ABONO_WEBHOOK_BODY_LIMIT_BYTES` (256 KiB by default) answer 413; more than `ABONO_WEBHOOK_RATE_LIMIT` requests a minute from one address answer 429 `rate_limited` with `Retry-After`.",
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
        const adapter = checkoutProviderOf(services.providers, provider);
        if (!adapter) {
          logger.warn({ provider }, "webhook for a provider that is not configured here refused");
          throw new AbonoError(
            "not_found",
            `Webhooks from ${provider} are not accepted here: ${provider} is not configured on this service (docs/payments.md). Nothing was stored.`,
            { provider },
          );
        }
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [
            name.toLowerCase(),
            Array.isArray(value) ? value.join(",") : value,
          ]),
        );
        const query = request.query as Record<string, string | undefined>;
        const received = { db, provider, headers, query, body: rawBody, now: systemNow };

        let verified: Awaited<ReturnType<typeof adapter.verifyWebhook>>;
        try {
          verified = await adapter.verifyWebhook({ rawBody, headers, query, now: systemNow });
        } catch (error) {
          const rejected = error instanceof WebhookVerificationError;
          const reason = error instanceof Error ? error.message : String(error);
          const paymentEventId = await recordPaymentEvent({
            ...received,
            rejection: {
              verificationError: reason,
              outcome: rejected ? "rejected" : `failed: ${reason}`,
            },
          });
          if (!rejected) throw error;
          logger.warn({ provider, paymentEventId, reason }, "webhook rejected");
          throw new AbonoError("webhook_signature_invalid", reason, { paymentEventId });
        }
        const eventId = await recordPaymentEvent(received);

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
