/**
 * The caller's own `X-Request-Id`, kept beside Abono's id (never instead of it) when it is a plausible
 * trace id: 1–128 visible characters from a conservative set, and not shaped like one of Abono's ids.
 */
const clientIdPattern = /^[A-Za-z0-9._:/@+=-]{1,128}$/;
const abonoIdPattern = /^req_/i;

export function clientRequestId(header: string | string[] | undefined): string | null {
  if (typeof header !== "string") return null;
  if (!clientIdPattern.test(header) || abonoIdPattern.test(header)) return null;
  return header;
}
