import { AbonoError } from "@abono/client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, setCsrfToken, unwrap } from "../api/client.ts";

export interface Operator {
  id: string;
  actor: string;
  email: string | null;
  csrfToken: string;
  testMode: boolean;
}

/**
 * Every request of the backoffice says so: the service then authenticates it with the backoffice cookie
 * (never the portal's, which the same browser may hold). Registered once, when the backoffice loads.
 */
let marked = false;
export function markBackofficeRequests() {
  if (marked) return;
  marked = true;
  api.use({
    onRequest({ request }) {
      request.headers.set("x-abono-backoffice", "1");
      return request;
    },
  });
}

/** The signed-in operator (its CSRF token set on the API client), or null before sign-in. */
async function loadOperator(): Promise<Operator | null> {
  try {
    const operator = await unwrap(api.GET("/v1/admin-session"));
    setCsrfToken(operator.csrfToken);
    return operator;
  } catch (error) {
    if (error instanceof AbonoError && (error.status === 401 || error.status === 404)) return null;
    throw error;
  }
}

export const operatorKey = ["admin", "operator"] as const;

export function useOperator() {
  return useQuery({ queryKey: operatorKey, queryFn: loadOperator, staleTime: Infinity });
}

/** Signs in with a root credential; the cookie is set by the answer. */
export async function signIn(credential: string): Promise<Operator> {
  const operator = await unwrap(api.POST("/v1/admin-session", { body: { credential } }));
  setCsrfToken(operator.csrfToken);
  return operator;
}

export function useSignedIn() {
  const client = useQueryClient();
  return (operator: Operator | null) => {
    // Nothing read by a previous operator outlives the session.
    client.removeQueries({ predicate: (query) => query.queryKey[1] !== operatorKey[1] });
    client.setQueryData(operatorKey, operator);
  };
}
