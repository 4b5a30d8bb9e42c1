import { isSupportedCurrency } from "../money/index.ts";
import type { Feature, FeatureValues, OveragePrice, Price } from "./catalog-types.ts";

/**
 * Pure checks of a catalog entry against the defined features. Each returns the problems found, phrased
 * so the operator knows what to fix; callers report all of them at once.
 */

/** `currency` must be one whose number of decimals is known, or amounts in it cannot be read. */
export function validateCurrency({ currency, path }: { currency: string; path: string }) {
  return isSupportedCurrency(currency)
    ? []
    : [
        `${path}: "${currency}" is not an ISO 4217 currency with a known number of decimals; use a code such as USD, EUR, CLP or MXN`,
      ];
}

export function validatePrices({ prices, path = "prices" }: { prices: Price[]; path?: string }) {
  const problems: string[] = [];
  if (prices.length === 0) {
    problems.push(`${path}: add at least one price (use unitAmount 0 for a free plan)`);
  }
  const seen = new Set<string>();
  prices.forEach((price, index) => {
    problems.push(
      ...validateCurrency({ currency: price.currency, path: `${path}[${index}].currency` }),
    );
    if (price.unitAmount < 0n) {
      problems.push(`${path}[${index}].unitAmount: must not be negative`);
    }
    const key = `${price.interval}/${price.currency}`;
    if (seen.has(key)) {
      problems.push(
        `${path}[${index}]: a second ${price.interval}ly price in ${price.currency}; keep one price per interval and currency`,
      );
    }
    seen.add(key);
  });
  return problems;
}

/**
 * Plans give each feature its value: `true`/`false` for boolean features, an integer limit or `null`
 * (unlimited) for limit and metered ones (`false` = not included). Add-ons add to a plan: `true` turns a
 * boolean feature on, a positive integer raises a limit or allowance per unit bought.
 */
export function validateFeatureValues({
  values,
  features,
  owner,
}: {
  values: FeatureValues;
  features: ReadonlyMap<string, Feature>;
  owner: "plan" | "addon";
}) {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const feature = features.get(key);
    if (!feature) {
      problems.push(
        `features.${key}: no feature with key "${key}"; create it with POST /v1/features first`,
      );
      continue;
    }
    if (feature.kind === "boolean") {
      if (typeof value !== "boolean" || (owner === "addon" && value === false)) {
        problems.push(
          `features.${key}: "${key}" is a boolean feature; use ${owner === "plan" ? "true or false" : "true"}`,
        );
      }
      continue;
    }
    if (owner === "addon") {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
        problems.push(
          `features.${key}: "${key}" is a ${feature.kind} feature; an add-on adds a positive whole number of ${feature.unit ?? "units"} per unit bought`,
        );
      }
      continue;
    }
    if (value === true) {
      problems.push(
        `features.${key}: "${key}" is a ${feature.kind} feature; give a whole-number limit, or null for unlimited`,
      );
    } else if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
      problems.push(`features.${key}: the limit must be a whole number ≥ 0, or null for unlimited`);
    }
  }
  return problems;
}

export function validateOverage({
  overage,
  values,
  features,
  priceCurrencies,
}: {
  overage: Record<string, OveragePrice>;
  values: FeatureValues;
  features: ReadonlyMap<string, Feature>;
  priceCurrencies: ReadonlySet<string>;
}) {
  const problems: string[] = [];
  for (const [key, price] of Object.entries(overage)) {
    const feature = features.get(key);
    if (!feature) {
      problems.push(
        `overage.${key}: no feature with key "${key}"; create it with POST /v1/features first`,
      );
      continue;
    }
    if (feature.kind !== "metered") {
      problems.push(
        `overage.${key}: overage is priced only for metered features; "${key}" is ${feature.kind}`,
      );
      continue;
    }
    const allowance = values[key];
    if (typeof allowance !== "number") {
      problems.push(
        `overage.${key}: the plan must include "${key}" with a whole-number allowance for overage beyond it to make sense`,
      );
    }
    if (price.unitAmount < 0n) problems.push(`overage.${key}.unitAmount: must not be negative`);
    if (!priceCurrencies.has(price.currency)) {
      problems.push(
        `overage.${key}.currency: ${price.currency} is not one of the plan's price currencies (${[...priceCurrencies].join(", ")})`,
      );
    }
  }
  return problems;
}
