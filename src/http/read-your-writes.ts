import type { App, AppDependencies } from "./app-types.ts";

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Read-your-writes for feature checks answered from memory: a request that may have committed a change
 * does not answer before this process has handled the change's notification (one barrier round trip on
 * the listener connection, shared by concurrent requests). So a client that got the answer to a write sees
 * it in its next check to this process; other processes see it once their listener has handled it
 * (docs/entitlements.md "Caching"). Reads, and routes marked `changesNothing` (previews), answer at once.
 */
export function registerReadYourWrites(app: App, { entitlementCache }: AppDependencies) {
  app.addHook("onSend", (request, _reply, payload, done) => {
    if (readMethods.has(request.method) || request.routeOptions.config.changesNothing) {
      done(null, payload);
      return;
    }
    void entitlementCache.settle().then(() => done(null, payload));
  });
}
