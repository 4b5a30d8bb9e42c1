import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { useAdminText } from "../admin-text.ts";
import { errorUnder, FormField, fieldErrors, minorUnits } from "./form-field.tsx";

type FeatureValue = boolean | number | null;
export interface CatalogPrice {
  interval: "month" | "year";
  currency: string;
  unitAmount: number;
}
/** A plan or an add-on as the API answers it (the fields the forms edit). */
export interface PricedEntry {
  id: string;
  name: string;
  version: number;
  prices: CatalogPrice[];
  features: Record<string, FeatureValue>;
  trialDays?: number;
  overage?: Record<string, { unitAmount: number; currency: string }>;
  kind?: "license" | "service";
}

/** A feature value as typed: true, false, a whole number (a limit), or empty (unlimited). */
export function parseFeatureValue(text: string): FeatureValue {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "") return null;
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}
const showFeatureValue = (value: FeatureValue) => (value === null ? "" : String(value));

/** The form's shared ending: the API's message (when no field took it), save and cancel. */
function FormEnd({
  error,
  shownByField,
  busy,
  submit,
  cancel,
}: {
  error: unknown;
  shownByField: boolean;
  busy: boolean;
  submit: string;
  cancel: () => void;
}) {
  const { t, errorOf } = useAdminText();
  return (
    <>
      {error ? (
        <Alert tone="error" testId="form-error">
          {shownByField ? t("author.fixFields") : errorOf(error)}
        </Alert>
      ) : null}
      <div className="actions">
        <Button type="submit" busy={busy}>
          {submit}
        </Button>
        <Button variant="ghost" onClick={cancel}>
          {t("plans.cancel")}
        </Button>
      </div>
    </>
  );
}

/** A new catalog feature: key, name, kind and (for metered ones) its unit. */
export function FeatureForm({ done }: { done: (saved: string | null) => void }) {
  const { t } = useAdminText();
  const id = useId();
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"boolean" | "limit" | "metered">("boolean");
  const [unit, setUnit] = useState("");
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/features", {
          body: { key, name, kind, ...(unit.trim() ? { unit: unit.trim() } : {}) },
        }),
      ),
    onSuccess: (feature) => done(feature.key),
  });
  const errors = fieldErrors(save.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="confirm-box" onSubmit={onSubmit} data-testid="feature-form">
      <h3>{t("author.newFeature")}</h3>
      <FormField id={`${id}-key`} label={t("plans.key")} error={errors.key}>
        {(describedBy) => (
          <input
            id={`${id}-key`}
            type="text"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-describedby={describedBy}
            aria-invalid={describedBy ? true : undefined}
          />
        )}
      </FormField>
      <FormField id={`${id}-name`} label={t("plans.name")} error={errors.name}>
        {(describedBy) => (
          <input
            id={`${id}-name`}
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-describedby={describedBy}
          />
        )}
      </FormField>
      <FormField id={`${id}-kind`} label={t("plans.kind")} error={errors.kind}>
        {(describedBy) => (
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(event) => setKind(event.target.value as typeof kind)}
            aria-describedby={describedBy}
          >
            <option value="boolean">{t("author.kind.boolean")}</option>
            <option value="limit">{t("author.kind.limit")}</option>
            <option value="metered">{t("author.kind.metered")}</option>
          </select>
        )}
      </FormField>
      <FormField id={`${id}-unit`} label={t("author.unitOptional")} error={errors.unit}>
        {(describedBy) => (
          <input
            id={`${id}-unit`}
            type="text"
            value={unit}
            onChange={(event) => setUnit(event.target.value)}
            aria-describedby={describedBy}
          />
        )}
      </FormField>
      <FormEnd
        error={save.error}
        shownByField={Object.keys(errors).length > 0}
        busy={save.isPending}
        submit={t("author.create")}
        cancel={() => done(null)}
      />
    </form>
  );
}

interface PriceRow {
  interval: "month" | "year";
  currency: string;
  amount: string;
}
interface ValueRow {
  feature: string;
  value: string;
}
interface OverageRow {
  feature: string;
  currency: string;
  amount: string;
}

/**
 * A plan or an add-on: created with an id (and an add-on's kind), or edited, which makes the next version
 * (existing subscriptions stay on theirs). Prices per interval and currency, feature values (limits) and,
 * for plans, trial days and overage prices per metered feature.
 */
export function PricedEntryForm({
  type,
  entry,
  features,
  done,
}: {
  type: "plan" | "addon";
  /** The entry to edit; absent to create one. */
  entry?: PricedEntry;
  /** The catalog's feature keys, offered for new rows. */
  features: string[];
  done: (saved: PricedEntry | null) => void;
}) {
  const { t } = useAdminText();
  const id = useId();
  const [entryId, setEntryId] = useState("");
  const [addonKind, setAddonKind] = useState<"license" | "service">(entry?.kind ?? "license");
  const [name, setName] = useState(entry?.name ?? "");
  const [trialDays, setTrialDays] = useState(String(entry?.trialDays ?? 0));
  const [prices, setPrices] = useState<PriceRow[]>(
    entry
      ? entry.prices.map((price) => ({
          interval: price.interval,
          currency: price.currency,
          amount: String(price.unitAmount),
        }))
      : [{ interval: "month", currency: "USD", amount: "" }],
  );
  const [values, setValues] = useState<ValueRow[]>(
    Object.entries(entry?.features ?? {}).map(([feature, value]) => ({
      feature,
      value: showFeatureValue(value),
    })),
  );
  const [overage, setOverage] = useState<OverageRow[]>(
    Object.entries(entry?.overage ?? {}).map(([feature, price]) => ({
      feature,
      currency: price.currency,
      amount: String(price.unitAmount),
    })),
  );
  const [added, setAdded] = useState(features[0] ?? "");
  const unused = features.filter((key) => !values.some((row) => row.feature === key));
  const body = () => ({
    name,
    prices: prices.map((row) => ({
      interval: row.interval,
      currency: row.currency.trim(),
      unitAmount: minorUnits(row.amount),
    })),
    features: Object.fromEntries(values.map((row) => [row.feature, parseFeatureValue(row.value)])),
    ...(type === "plan"
      ? {
          trialDays: minorUnits(trialDays),
          overage: Object.fromEntries(
            overage.map((row) => [
              row.feature,
              { currency: row.currency.trim(), unitAmount: minorUnits(row.amount) },
            ]),
          ),
        }
      : {}),
  });
  const save = useMutation({
    mutationFn: async (): Promise<PricedEntry> => {
      if (type === "plan") {
        return (await unwrap(
          entry
            ? api.PATCH("/v1/plans/{planId}", {
                params: { path: { planId: entry.id } },
                body: body() as never,
              })
            : api.POST("/v1/plans", { body: { id: entryId, ...body() } as never }),
        )) as PricedEntry;
      }
      return (await unwrap(
        entry
          ? api.PATCH("/v1/addons/{addonId}", {
              params: { path: { addonId: entry.id } },
              body: body() as never,
            })
          : api.POST("/v1/addons", {
              body: { id: entryId, kind: addonKind, ...body() } as never,
            }),
      )) as PricedEntry;
    },
    onSuccess: (saved) => done(saved),
  });
  const errors = fieldErrors(save.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const title = entry
    ? t("plans.editTitle", { plan: entry.id, version: entry.version + 1 })
    : type === "plan"
      ? t("author.newPlan")
      : t("author.newAddon");
  const testId = entry ? `${type}-editor-${entry.id}` : `${type}-form`;
  return (
    <form className="confirm-box" onSubmit={onSubmit} data-testid={testId}>
      <h3>{title}</h3>
      {entry ? <p className="small muted">{t("plans.editLead")}</p> : null}
      {entry ? null : (
        <FormField id={`${id}-id`} label={t("plans.key")} error={errors.id}>
          {(describedBy) => (
            <input
              id={`${id}-id`}
              type="text"
              value={entryId}
              onChange={(event) => setEntryId(event.target.value)}
              aria-describedby={describedBy}
              data-testid="entry-id"
            />
          )}
        </FormField>
      )}
      {type === "addon" && !entry ? (
        <FormField id={`${id}-kind`} label={t("plans.kind")} error={errors.kind}>
          {(describedBy) => (
            <select
              id={`${id}-kind`}
              value={addonKind}
              onChange={(event) => setAddonKind(event.target.value as "license" | "service")}
              aria-describedby={describedBy}
            >
              <option value="license">{t("author.addon.license")}</option>
              <option value="service">{t("author.addon.service")}</option>
            </select>
          )}
        </FormField>
      ) : null}
      <FormField id={`${id}-name`} label={t("plans.name")} error={errors.name}>
        {(describedBy) => (
          <input
            id={`${id}-name`}
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-describedby={describedBy}
            data-testid="entry-name"
          />
        )}
      </FormField>
      {type === "plan" ? (
        <FormField id={`${id}-trial`} label={t("author.trialDays")} error={errors.trialDays}>
          {(describedBy) => (
            <input
              id={`${id}-trial`}
              type="number"
              step={1}
              min={0}
              value={trialDays}
              onChange={(event) => setTrialDays(event.target.value)}
              aria-describedby={describedBy}
            />
          )}
        </FormField>
      ) : null}

      <fieldset className="rows">
        <legend>{t("plans.prices")}</legend>
        {errors.prices ? <p className="field-error">{errors.prices}</p> : null}
        {prices.map((row, index) => {
          const update = (change: Partial<PriceRow>) =>
            setPrices(prices.map((item, at) => (at === index ? { ...item, ...change } : item)));
          // The amount's own problems, and any about the row as a whole (e.g. a repeated interval).
          const rowError = Object.entries(errors)
            .filter(
              ([field]) => field === `prices.${index}` || field === `prices.${index}.unitAmount`,
            )
            .map(([, message]) => message)
            .join("; ");
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, never reordered
            <div className="row" key={index}>
              <FormField
                id={`${id}-interval-${index}`}
                label={t("org.interval")}
                error={errors[`prices.${index}.interval`]}
              >
                {(describedBy) => (
                  <select
                    id={`${id}-interval-${index}`}
                    value={row.interval}
                    onChange={(event) => update({ interval: event.target.value as "month" })}
                    aria-describedby={describedBy}
                  >
                    <option value="month">{t("author.month")}</option>
                    <option value="year">{t("author.year")}</option>
                  </select>
                )}
              </FormField>
              <FormField
                id={`${id}-currency-${index}`}
                label={t("author.currency")}
                error={errors[`prices.${index}.currency`]}
              >
                {(describedBy) => (
                  <input
                    id={`${id}-currency-${index}`}
                    type="text"
                    value={row.currency}
                    onChange={(event) => update({ currency: event.target.value })}
                    aria-describedby={describedBy}
                    aria-invalid={describedBy ? true : undefined}
                  />
                )}
              </FormField>
              <FormField
                id={`${id}-amount-${index}`}
                label={t("author.amountMinor")}
                error={rowError || undefined}
              >
                {(describedBy) => (
                  <input
                    id={`${id}-amount-${index}`}
                    type="text"
                    inputMode="numeric"
                    value={row.amount}
                    onChange={(event) => update({ amount: event.target.value })}
                    aria-describedby={describedBy}
                    aria-invalid={describedBy ? true : undefined}
                    data-testid={`price-${row.interval}-${row.currency}`}
                  />
                )}
              </FormField>
              <Button
                variant="ghost"
                onClick={() => setPrices(prices.filter((_, at) => at !== index))}
                aria-label={t("author.removePrice", { index: index + 1 })}
              >
                {t("author.remove")}
              </Button>
            </div>
          );
        })}
        <Button
          variant="secondary"
          onClick={() =>
            setPrices([
              ...prices,
              { interval: "year", currency: prices[0]?.currency ?? "USD", amount: "" },
            ])
          }
        >
          {t("author.addPrice")}
        </Button>
      </fieldset>

      <fieldset className="rows">
        <legend>{t("author.limits")}</legend>
        {values.map((row, index) => (
          <FormField
            key={row.feature}
            id={`${id}-feature-${row.feature}`}
            label={t("plans.featureValue", { feature: row.feature })}
            error={errorUnder(errors, `features.${row.feature}`)}
          >
            {(describedBy) => (
              <span className="inline">
                <input
                  id={`${id}-feature-${row.feature}`}
                  type="text"
                  value={row.value}
                  onChange={(event) =>
                    setValues(
                      values.map((item, at) =>
                        at === index ? { ...item, value: event.target.value } : item,
                      ),
                    )
                  }
                  aria-describedby={describedBy}
                  data-testid={`feature-${row.feature}`}
                />
                <Button
                  variant="ghost"
                  onClick={() => setValues(values.filter((_, at) => at !== index))}
                  aria-label={t("author.removeFeature", { feature: row.feature })}
                >
                  {t("author.remove")}
                </Button>
              </span>
            )}
          </FormField>
        ))}
        {errorUnder(errors, "features") && values.length === 0 ? (
          <p className="field-error">{errorUnder(errors, "features")}</p>
        ) : null}
        {unused.length === 0 ? null : (
          <div className="field inline">
            <label htmlFor={`${id}-add-feature`}>{t("author.addFeature")}</label>
            <select
              id={`${id}-add-feature`}
              value={added}
              onChange={(event) => setAdded(event.target.value)}
              data-testid="add-feature"
            >
              {unused.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
            <Button
              variant="secondary"
              onClick={() => {
                const key = unused.includes(added) ? added : unused[0];
                if (key) setValues([...values, { feature: key, value: "true" }]);
              }}
            >
              {t("author.add")}
            </Button>
          </div>
        )}
      </fieldset>

      {type === "plan" ? (
        <fieldset className="rows">
          <legend>{t("author.overage")}</legend>
          {overage.map((row, index) => {
            const update = (change: Partial<OverageRow>) =>
              setOverage(overage.map((item, at) => (at === index ? { ...item, ...change } : item)));
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, never reordered
              <div className="row" key={index}>
                <div className="field">
                  <label htmlFor={`${id}-overage-feature-${index}`}>{t("plans.feature")}</label>
                  <select
                    id={`${id}-overage-feature-${index}`}
                    value={row.feature}
                    onChange={(event) => update({ feature: event.target.value })}
                  >
                    {features.map((key) => (
                      <option key={key} value={key}>
                        {key}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`${id}-overage-currency-${index}`}>{t("author.currency")}</label>
                  <input
                    id={`${id}-overage-currency-${index}`}
                    type="text"
                    value={row.currency}
                    onChange={(event) => update({ currency: event.target.value })}
                  />
                </div>
                <FormField
                  id={`${id}-overage-amount-${index}`}
                  label={t("author.unitPriceMinor")}
                  error={errorUnder(errors, `overage.${row.feature}`)}
                >
                  {(describedBy) => (
                    <input
                      id={`${id}-overage-amount-${index}`}
                      type="text"
                      inputMode="numeric"
                      value={row.amount}
                      onChange={(event) => update({ amount: event.target.value })}
                      aria-describedby={describedBy}
                    />
                  )}
                </FormField>
                <Button
                  variant="ghost"
                  onClick={() => setOverage(overage.filter((_, at) => at !== index))}
                  aria-label={t("author.removeOverage", { index: index + 1 })}
                >
                  {t("author.remove")}
                </Button>
              </div>
            );
          })}
          <Button
            variant="secondary"
            onClick={() =>
              setOverage([
                ...overage,
                { feature: features[0] ?? "", currency: prices[0]?.currency ?? "USD", amount: "" },
              ])
            }
          >
            {t("author.addOverage")}
          </Button>
        </fieldset>
      ) : null}
      <FormEnd
        error={save.error}
        shownByField={Object.keys(errors).length > 0}
        busy={save.isPending}
        submit={entry ? t("plans.save") : t("author.create")}
        cancel={() => done(null)}
      />
    </form>
  );
}
