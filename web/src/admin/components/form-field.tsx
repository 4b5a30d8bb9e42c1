import { AbonoError } from "@abono/client";
import type { ReactNode } from "react";

/**
 * The API's validation problems by field: `details.issues[].path` `body.prices.0.unitAmount` becomes
 * `prices.0.unitAmount`, so each form shows a problem next to the field it is about.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof AbonoError)) return {};
  const issues = error.details?.issues;
  if (!Array.isArray(issues)) return {};
  const byField: Record<string, string> = {};
  for (const issue of issues as { path?: unknown; message?: unknown }[]) {
    if (typeof issue.path !== "string" || typeof issue.message !== "string") continue;
    const field = issue.path.replace(/^body\.?/, "");
    byField[field] = byField[field] ? `${byField[field]}; ${issue.message}` : issue.message;
  }
  return byField;
}

/** The problems under `prefix` (a field or a row of a list): `prices.0` matches `prices.0.unitAmount`. */
export function errorUnder(errors: Record<string, string>, prefix: string): string | undefined {
  const found = Object.entries(errors)
    .filter(([field]) => field === prefix || field.startsWith(`${prefix}.`))
    .map(([, message]) => message);
  return found.length > 0 ? found.join("; ") : undefined;
}

/** A labelled field with its API problem below it, tied to the input by aria-describedby. */
export function FormField({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string | undefined;
  children: (describedBy: string | undefined) => ReactNode;
}) {
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(error ? errorId : undefined)}
      {error ? (
        <p className="field-error" id={errorId} data-testid="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A whole number of minor units typed by the operator, as the API takes it; NaN (refused by the API with a
 * clear message) for anything else, never a rounded float.
 */
export function minorUnits(text: string): number {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}
