import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { runWithAuditContext } from "../audit/audit-context.ts";
import { access } from "../auth/principal.ts";
import { findUnstorableText } from "../db/storable-text.ts";
import { validationError } from "../errors.ts";
import { eventWebhooksDocument } from "../events/event-webhooks-document.ts";
import { newId } from "../ids.ts";
import type { App, AppDependencies, RouteModule } from "./app-types.ts";
import { registerAuthentication } from "./authenticate.ts";
import { clientErrorHandler } from "./client-error-handler.ts";
import { clientRequestId } from "./client-request-id.ts";
import { handleError } from "./error-handler.ts";
import { registerIdempotency } from "./idempotency.ts";
import { documentOperation } from "./openapi-operation.ts";
import { portalPages } from "./portal-pages.ts";
import { registerReadYourWrites } from "./read-your-writes.ts";
import { registerRootOnlyRoutes } from "./root-routes.ts";
import { addonRoutes } from "./routes/addons.ts";
import { adminDashboardRoutes } from "./routes/admin-dashboard.ts";
import { adminSessionRoutes } from "./routes/admin-session.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { auditLogRoutes } from "./routes/audit-logs.ts";
import { checkoutRoutes } from "./routes/checkouts.ts";
import { couponRoutes } from "./routes/coupons.ts";
import { creditNoteRoutes } from "./routes/credit-notes.ts";
import { entitlementStreamRoutes } from "./routes/entitlement-stream.ts";
import { entitlementRoutes } from "./routes/entitlements.ts";
import { eventRoutes } from "./routes/events.ts";
import { featureRoutes } from "./routes/features.ts";
import { healthRoutes } from "./routes/health.ts";
import { invoiceRoutes } from "./routes/invoices.ts";
import { meRoutes } from "./routes/me.ts";
import { messagePreferenceRoutes } from "./routes/message-preferences.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { organizationBillingRoutes } from "./routes/organization-billing.ts";
import { organizationRoutes } from "./routes/organizations.ts";
import { packRoutes } from "./routes/packs.ts";
import { paymentEventRoutes } from "./routes/payment-events.ts";
import { paymentMethodSetupRoutes } from "./routes/payment-method-setups.ts";
import { planRoutes } from "./routes/plans.ts";
import { portalSessionRoutes } from "./routes/portal-sessions.ts";
import { rootRoutes } from "./routes/root.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { storeWebhookRoutes } from "./routes/store-webhooks.ts";
import { storeRoutes } from "./routes/stores.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import { taxRateRoutes } from "./routes/tax-rates.ts";
import { testClockRoutes } from "./routes/test-clocks.ts";
import { webhookDeliveryRoutes } from "./routes/webhook-deliveries.ts";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/** Every route group of the API, in documentation order. */
const routeModules: readonly RouteModule[] = [
  healthRoutes,
  meRoutes,
  apiKeyRoutes,
  featureRoutes,
  planRoutes,
  addonRoutes,
  packRoutes,
  couponRoutes,
  taxRateRoutes,
  testClockRoutes,
  organizationRoutes,
  organizationBillingRoutes,
  subscriptionRoutes,
  invoiceRoutes,
  creditNoteRoutes,
  paymentMethodSetupRoutes,
  entitlementRoutes,
  entitlementStreamRoutes,
  checkoutRoutes,
  storeRoutes,
  storeWebhookRoutes,
  webhookRoutes,
  paymentEventRoutes,
  notificationRoutes,
  messagePreferenceRoutes,
  eventRoutes,
  webhookEndpointRoutes,
  webhookDeliveryRoutes,
  rootRoutes,
  settingsRoutes,
  auditLogRoutes,
  portalSessionRoutes,
  adminSessionRoutes,
  adminDashboardRoutes,
  portalPages,
];

/**
 * JSON bodies are parsed as before (`__proto__` and `constructor` refused), then refused with 400 when a string
 * holds text PostgreSQL cannot store (NUL, an unpaired surrogate). Such text can only arrive as a `\u` escape,
 * so bodies without one are not walked.
 */
function refuseUnstorableJson(app: App) {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    parseJson(request, text, (error, value) => {
      if (error) return done(error);
      const found = text.includes("\\u") ? findUnstorableText(value) : null;
      if (found === null) return done(null, value);
      const path = found.path === "" ? "body" : `body.${found.path}`;
      done(
        validationError(`${path}: ${found.problem}, which cannot be stored; remove it.`, { path }),
      );
    });
  });
}

/**
 * Connections beyond `max` open ones are closed by Node as they arrive; the operator hears of it at most
 * once a minute.
 */
function capConnections(app: App, max: number, logger: AppDependencies["logger"]) {
  app.server.maxConnections = max;
  let lastWarning = 0;
  let dropped = 0;
  app.server.on("drop", () => {
    dropped += 1;
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    logger.warn(
      { dropped, maxConnections: max },
      "connections refused: ABONO_MAX_CONNECTIONS are open",
    );
    dropped = 0;
  });
}

/** Trust the first `hops` proxies in front of the service (as Fastify's numeric `trustProxy` does). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export async function buildApp(
  dependencies: AppDependencies,
  { extraRoutes = [] }: { extraRoutes?: readonly RouteModule[] } = {},
): Promise<App> {
  const limits = dependencies.config.http;
  const app = Fastify({
    loggerInstance: dependencies.logger as FastifyBaseLogger,
    bodyLimit: dependencies.config.bodyLimitBytes,
    // A slow client cannot hold a connection: the request must arrive in time, idle connections close.
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // How often Node looks for requests over their timeout (its default, 30 s, would let one run late).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    trustProxy:
      typeof limits.trustProxy === "number" ? trustHops(limits.trustProxy) : limits.trustProxy,
    // Always our own id: a caller's X-Request-Id is kept apart, validated (see clientRequestId).
    genReqId: () => newId("req"),
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Requests Node's HTTP parser refuses before routing: the same error body as any other.
    clientErrorHandler,
    // A path the router cannot decode, or a parameter over `maxParamLength`: the same error body as any other.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      return handleError(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();

  capConnections(app, limits.maxConnections, dependencies.logger);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: "not_found",
        message: `No route ${request.method} ${request.url.split("?")[0]}. See /docs for the API.`,
      },
    }),
  );
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    if (request.url.includes("%00")) {
      throw validationError(
        "The URL contains a NUL character (%00), which no id, key or value can hold; remove it.",
      );
    }
  });
  refuseUnstorableJson(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Abono API",
        version: "1",
        description:
          "Subscription billing and entitlements. Authenticate with `Authorization: Bearer <API key or JWT>`. Every authenticated POST/PUT/PATCH/DELETE accepts `Idempotency-Key`. Error codes, their statuses and what to do: docs/errors.md in the repository.",
      },
      components: {
        securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
      },
      // What Abono sends to webhook endpoints: one entry per event type (docs/events.md).
      webhooks: eventWebhooksDocument(),
    },
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      return {
        ...transformed,
        schema: documentOperation({
          schema: transformed.schema as Record<string, unknown>,
          method: String(input.route.method),
          url: input.url,
          routeAccess: input.route.config?.access ?? access.authenticated,
          declaredErrors: input.route.config?.errors ?? [],
        }),
      } as typeof transformed;
    },
  });
  registerRootOnlyRoutes(app);
  registerAuthentication(app, dependencies);
  // Everything from here to the handler runs in the request's audit context: audit entries get its id.
  app.addHook("preHandler", (request, _reply, done) =>
    runWithAuditContext(
      { requestId: request.id, clientRequestId: clientRequestId(request.headers["x-request-id"]) },
      done,
    ),
  );
  registerIdempotency(app, dependencies);
  registerReadYourWrites(app, dependencies);
  // After the request decorations above, so the documentation pages' requests carry them too.
  await app.register(async (documentation) => {
    documentation.addHook("onRoute", (route) => {
      route.config = { ...route.config, access: access.public };
    });
    await documentation.register(swaggerUi, { routePrefix: "/docs" });
    documentation.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  });
  for (const routes of [...routeModules, ...extraRoutes]) routes(app, dependencies);
  return app;
}
