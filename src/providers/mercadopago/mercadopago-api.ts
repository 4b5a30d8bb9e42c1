import {
  MercadoPagoError,
  Payment,
  PaymentRefund,
  Preference,
  MercadoPagoConfig as SdkConfig,
} from "mercadopago";
import {
  providerMaxNetworkRetries,
  providerRequestTimeoutMs,
  providerRetryDelayCapMs,
} from "../../payments/provider-timeouts.ts";
import { MercadoPagoApiError } from "./mercadopago-api-error.ts";
import { withSdkOrigin } from "./with-sdk-origin.ts";

export type PreferenceRequest = Parameters<Preference["create"]>[0]["body"];
export type PreferenceResponse = Awaited<ReturnType<Preference["create"]>>;
export type PaymentResponse = Awaited<ReturnType<Payment["get"]>>;
export type RefundResponse = Awaited<ReturnType<PaymentRefund["create"]>>;

/** The three MercadoPago API calls Abono makes, through the official SDK. */
export interface MercadoPagoApi {
  createPreference(args: {
    body: PreferenceRequest;
    idempotencyKey: string;
  }): Promise<PreferenceResponse>;
  getPayment(args: { paymentId: string }): Promise<PaymentResponse>;
  /** `amount` in major units, as MercadoPago takes it. */
  createRefund(args: {
    paymentId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<RefundResponse>;
}

/**
 * Each call gets a new SDK `MercadoPagoConfig`: the SDK clients merge a call's `requestOptions` into the
 * config object they were given and keep them, so a shared config would carry one call's idempotency
 * key into the next write. SDK errors become `MercadoPagoApiError`s.
 */
export function createMercadoPagoApi({
  accessToken,
  apiUrl,
}: {
  accessToken: string;
  apiUrl: string | undefined;
}): MercadoPagoApi {
  const origin = apiOrigin(apiUrl);
  // The SDK's defaults (60 s per try, 3 retries up to 30 s apart) could outlast an Idempotency-Key lease.
  const bounds = {
    timeout: providerRequestTimeoutMs,
    maxRetries: providerMaxNetworkRetries,
    maxDelay: providerRetryDelayCapMs,
  };
  const sdkConfig = (idempotencyKey?: string) =>
    new SdkConfig({
      accessToken,
      options: idempotencyKey ? { ...bounds, idempotencyKey } : bounds,
    });
  const send = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await withSdkOrigin({ apiUrl: origin, call });
    } catch (error) {
      throw apiError(operation, error);
    }
  };
  return {
    createPreference: ({ body, idempotencyKey }) =>
      send("create preference", () => new Preference(sdkConfig(idempotencyKey)).create({ body })),
    getPayment: ({ paymentId }) =>
      send(`get payment ${paymentId}`, () => new Payment(sdkConfig()).get({ id: paymentId })),
    createRefund: ({ paymentId, amount, idempotencyKey }) =>
      send(`refund payment ${paymentId}`, () =>
        new PaymentRefund(sdkConfig(idempotencyKey)).create({
          payment_id: paymentId,
          body: { amount },
        }),
      ),
  };
}

function apiError(operation: string, error: unknown): MercadoPagoApiError {
  if (!(error instanceof MercadoPagoError)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new MercadoPagoApiError({
      operation,
      status: null,
      message: `MercadoPago ${operation} failed: ${reason}`,
    });
  }
  // The SDK reports connection errors and timeouts with status 0.
  const status = error.status > 0 ? error.status : null;
  const hint =
    status === 401
      ? " Check ABONO_MERCADOPAGO_ACCESS_TOKEN."
      : status === null
        ? " MercadoPago could not be reached; try again."
        : "";
  return new MercadoPagoApiError({
    operation,
    status,
    message: `MercadoPago ${operation} failed${status === null ? "" : ` (HTTP ${status})`}: ${error.message}.${hint}`,
  });
}

/** `apiUrl` without trailing slashes, since the SDK appends paths that start with "/". */
function apiOrigin(apiUrl: string | undefined): string | undefined {
  if (apiUrl === undefined) return undefined;
  const url = new URL(apiUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(
      `ABONO_MERCADOPAGO_API_URL must be an http(s) URL such as http://127.0.0.1:54321, got ${JSON.stringify(apiUrl)}.`,
    );
  }
  return apiUrl.replace(/\/+$/, "");
}
