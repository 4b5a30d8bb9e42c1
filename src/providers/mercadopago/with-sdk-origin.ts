import { AppConfig } from "mercadopago/dist/utils/config/index.js";

/** `BASE_URL` is typed `readonly` but is an ordinary static property at run time. */
const sdkAppConfig = AppConfig as { BASE_URL: string };

/**
 * Runs one SDK call with its requests sent to `apiUrl` (an API origin such as the fake MercadoPago in
 * tests); with `apiUrl` undefined the SDK is left alone and talks to https://api.mercadopago.com.
 *
 * Why this way. The `mercadopago` SDK (3.6.1) has no base-URL option: `MercadoPagoConfig` takes only an
 * access token and request options, and every request goes through `RestClient.fetch`, which builds its
 * URL as `${AppConfig.BASE_URL}${endpoint}` and calls the global `fetch`; there is no fetch hook.
 * `AppConfig.BASE_URL` is a static field of the SDK's own configuration class. It is not a supported
 * option (the class is not exported from the package's entry point, hence the deep import, and the
 * field is typed `readonly`), but changing it is the least invasive way: the SDK still builds the path,
 * the headers (Authorization Bearer, X-Idempotency-Key, User-Agent, X-Product-Id, X-Tracking-Id) and
 * the body, retries, and parses the response; only the origin changes. The alternatives reach further:
 * replacing the global `fetch` reroutes every HTTP call of the process, and an undici `dispatcher`
 * slipped through the SDK's request options relies on two undocumented pass-throughs.
 *
 * The field is process-wide, so it is set only for the duration of the call and restored before this
 * function returns. That is enough because `RestClient.fetch` reads `BASE_URL` synchronously, before
 * its first `await` (the SDK methods call it synchronously), and keeps the finished URL for retries;
 * concurrent calls to other origins, or to the real API, never see each other's origin. The adapter's
 * tests run two fakes concurrently, so an SDK upgrade that changes this fails them instead of sending
 * test traffic to api.mercadopago.com unnoticed (the fakes' access tokens are not real ones either).
 */
export function withSdkOrigin<T>({
  apiUrl,
  call,
}: {
  apiUrl: string | undefined;
  call: () => Promise<T>;
}): Promise<T> {
  if (apiUrl === undefined) return call();
  const previous = sdkAppConfig.BASE_URL;
  sdkAppConfig.BASE_URL = apiUrl;
  try {
    return call();
  } finally {
    sdkAppConfig.BASE_URL = previous;
  }
}
