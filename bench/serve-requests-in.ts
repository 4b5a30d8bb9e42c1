import type { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * Serves every request of `server` inside `storage` with the store `storeOf(request)`, so that what the
 * server does while answering a request (the statements it sends to PostgreSQL) can be told apart from
 * what it does meanwhile for others (the worker, the listeners).
 */
export function serveRequestsIn<Store>(
  server: Server,
  storage: AsyncLocalStorage<Store>,
  storeOf: (request: IncomingMessage) => Store,
): void {
  const listeners = server.listeners("request") as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  server.removeAllListeners("request");
  for (const listener of listeners) {
    server.on("request", (request: IncomingMessage, response: ServerResponse) =>
      storage.run(storeOf(request), () => listener(request, response)),
    );
  }
}
