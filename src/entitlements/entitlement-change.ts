/** One notification of `drizzle/0011_entitlement_notifications.sql`, parsed. */
export type EntitlementChange =
  | { kind: "version"; organizationId: string; version: number }
  | {
      kind: "counter";
      organizationId: string;
      featureKey: string;
      periodStart: number;
      used: bigint;
      usedPurchased: bigint;
      overage: bigint;
      revision: number;
    }
  /** Something about the organization changed that is not sent along: forget what is cached for it. */
  | { kind: "organization"; organizationId: string }
  | { kind: "clock"; testClockId: string }
  /** Forget everything (the catalog changed, or a payload this version does not understand). */
  | { kind: "all" };

const text = (value: unknown): value is string => typeof value === "string";
const integer = (value: unknown): value is number => Number.isSafeInteger(value);

/** Parses a payload; anything unexpected becomes "forget everything", never a change silently dropped. */
export function parseEntitlementChange(payload: string | undefined): EntitlementChange {
  try {
    return parse(JSON.parse(payload ?? ""));
  } catch {
    return { kind: "all" };
  }
}

function parse(parts: unknown): EntitlementChange {
  if (!Array.isArray(parts)) return { kind: "all" };
  const [kind, a, b, c, d, e, f, g] = parts as unknown[];
  if (kind === "v" && text(a) && integer(b)) {
    return { kind: "version", organizationId: a, version: b };
  }
  if (
    kind === "u" &&
    text(a) &&
    text(b) &&
    integer(c) &&
    text(d) &&
    text(e) &&
    text(f) &&
    integer(g)
  ) {
    return {
      kind: "counter",
      organizationId: a,
      featureKey: b,
      periodStart: c,
      used: BigInt(d),
      usedPurchased: BigInt(e),
      overage: BigInt(f),
      revision: g,
    };
  }
  if ((kind === "x" || kind === "g") && text(a)) return { kind: "organization", organizationId: a };
  if (kind === "c" && text(a)) return { kind: "clock", testClockId: a };
  return { kind: "all" };
}
