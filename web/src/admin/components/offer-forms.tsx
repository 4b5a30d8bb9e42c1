import { AbonoError } from "@abono/client";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { useAdminText } from "../admin-text.ts";
import { FormField, fieldErrors, minorUnits } from "./form-field.tsx";

/** A text or number input for the simple forms, its API problem beside it. */
function Input({
  id,
  label,
  value,
  set,
  error,
  numeric = false,
  testId,
}: {
  id: string;
  label: ReactNode;
  value: string;
  set: (value: string) => void;
  error: string | undefined;
  numeric?: boolean;
  testId?: string;
}) {
  return (
    <FormField id={id} label={label} error={error}>
      {(describedBy) => (
        <input
          id={id}
          type="text"
          inputMode={numeric ? "numeric" : undefined}
          value={value}
          onChange={(event) => set(event.target.value)}
          aria-describedby={describedBy}
          aria-invalid={describedBy ? true : undefined}
          data-testid={testId}
        />
      )}
    </FormField>
  );
}

function Ending({ error, busy, cancel }: { error: unknown; busy: boolean; cancel: () => void }) {
  const { t, errorOf } = useAdminText();
  const byField = Object.keys(fieldErrors(error)).length > 0;
  return (
    <>
      {error ? (
        <Alert tone="error" testId="form-error">
          {byField && error instanceof AbonoError ? t("author.fixFields") : errorOf(error)}
        </Alert>
      ) : null}
      <div className="actions">
        <Button type="submit" busy={busy}>
          {t("author.create")}
        </Button>
        <Button variant="ghost" onClick={cancel}>
          {t("plans.cancel")}
        </Button>
      </div>
    </>
  );
}

const optionalNumber = (text: string) => (text.trim() === "" ? undefined : minorUnits(text));

/** A new top-up pack: a quantity of a metered feature for a one-off price, optionally expiring. */
export function PackForm({
  features,
  done,
}: {
  features: string[];
  done: (saved: string | null) => void;
}) {
  const { t } = useAdminText();
  const id = useId();
  const [packId, setPackId] = useState("");
  const [name, setName] = useState("");
  const [feature, setFeature] = useState(features[0] ?? "");
  const [quantity, setQuantity] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [amount, setAmount] = useState("");
  const [expires, setExpires] = useState("");
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/packs", {
          body: {
            id: packId,
            name,
            feature,
            quantity: minorUnits(quantity),
            price: { currency: currency.trim(), unitAmount: minorUnits(amount) },
            ...(optionalNumber(expires) === undefined
              ? {}
              : { expiresAfterDays: optionalNumber(expires) }),
          },
        }),
      ),
    onSuccess: (pack) => done(pack.id),
  });
  const errors = fieldErrors(save.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="confirm-box" onSubmit={onSubmit} data-testid="pack-form">
      <h3>{t("author.newPack")}</h3>
      <Input
        id={`${id}-id`}
        label={t("plans.key")}
        value={packId}
        set={setPackId}
        error={errors.id}
      />
      <Input
        id={`${id}-name`}
        label={t("plans.name")}
        value={name}
        set={setName}
        error={errors.name}
      />
      <FormField id={`${id}-feature`} label={t("plans.feature")} error={errors.feature}>
        {(describedBy) => (
          <select
            id={`${id}-feature`}
            value={feature}
            onChange={(event) => setFeature(event.target.value)}
            aria-describedby={describedBy}
          >
            {features.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <Input
        id={`${id}-quantity`}
        label={t("plans.quantity")}
        value={quantity}
        set={setQuantity}
        error={errors.quantity}
        numeric
      />
      <Input
        id={`${id}-currency`}
        label={t("author.currency")}
        value={currency}
        set={setCurrency}
        error={errors["price.currency"]}
      />
      <Input
        id={`${id}-amount`}
        label={t("author.amountMinor")}
        value={amount}
        set={setAmount}
        error={errors["price.unitAmount"]}
        numeric
      />
      <Input
        id={`${id}-expires`}
        label={t("author.expiresAfterDays")}
        value={expires}
        set={setExpires}
        error={errors.expiresAfterDays}
        numeric
      />
      <Ending error={save.error} busy={save.isPending} cancel={() => done(null)} />
    </form>
  );
}

/** A new coupon: a percentage or an amount off, once, for some months or forever, optionally capped. */
export function CouponForm({ done }: { done: (saved: string | null) => void }) {
  const { t } = useAdminText();
  const id = useId();
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [type, setType] = useState<"percent" | "amount">("percent");
  const [percent, setPercent] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [duration, setDuration] = useState<"once" | "repeating" | "forever">("once");
  const [months, setMonths] = useState("");
  const [maxRedemptions, setMaxRedemptions] = useState("");
  const [planIds, setPlanIds] = useState("");
  const save = useMutation({
    mutationFn: () => {
      const plans = planIds
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
      return unwrap(
        api.POST("/v1/coupons", {
          body: {
            code,
            ...(name.trim() ? { name: name.trim() } : {}),
            ...(type === "percent"
              ? { percentOff: minorUnits(percent) }
              : { amountOff: minorUnits(amount), currency: currency.trim() }),
            duration,
            ...(duration === "repeating" ? { durationInMonths: minorUnits(months) } : {}),
            ...(optionalNumber(maxRedemptions) === undefined
              ? {}
              : { maxRedemptions: optionalNumber(maxRedemptions) }),
            ...(plans.length > 0 ? { planIds: plans } : {}),
          },
        }),
      );
    },
    onSuccess: (coupon) => done(coupon.code),
  });
  const errors = fieldErrors(save.error);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="confirm-box" onSubmit={onSubmit} data-testid="coupon-form">
      <h3>{t("author.newCoupon")}</h3>
      <Input
        id={`${id}-code`}
        label={t("plans.code")}
        value={code}
        set={setCode}
        error={errors.code}
      />
      <Input
        id={`${id}-name`}
        label={t("author.nameOptional")}
        value={name}
        set={setName}
        error={errors.name}
      />
      <div className="field">
        <label htmlFor={`${id}-type`}>{t("plans.discount")}</label>
        <select
          id={`${id}-type`}
          value={type}
          onChange={(event) => setType(event.target.value as "percent" | "amount")}
        >
          <option value="percent">{t("author.percentOff")}</option>
          <option value="amount">{t("author.amountOff")}</option>
        </select>
      </div>
      {type === "percent" ? (
        <Input
          id={`${id}-percent`}
          label={t("author.percent")}
          value={percent}
          set={setPercent}
          error={errors.percentOff}
          numeric
        />
      ) : (
        <>
          <Input
            id={`${id}-amount`}
            label={t("author.amountMinor")}
            value={amount}
            set={setAmount}
            error={errors.amountOff}
            numeric
          />
          <Input
            id={`${id}-currency`}
            label={t("author.currency")}
            value={currency}
            set={setCurrency}
            error={errors.currency}
          />
        </>
      )}
      <div className="field">
        <label htmlFor={`${id}-duration`}>{t("author.duration")}</label>
        <select
          id={`${id}-duration`}
          value={duration}
          onChange={(event) => setDuration(event.target.value as typeof duration)}
        >
          <option value="once">{t("author.duration.once")}</option>
          <option value="repeating">{t("author.duration.repeating")}</option>
          <option value="forever">{t("author.duration.forever")}</option>
        </select>
      </div>
      {duration === "repeating" ? (
        <Input
          id={`${id}-months`}
          label={t("author.months")}
          value={months}
          set={setMonths}
          error={errors.durationInMonths}
          numeric
        />
      ) : null}
      <Input
        id={`${id}-max`}
        label={t("author.maxRedemptions")}
        value={maxRedemptions}
        set={setMaxRedemptions}
        error={errors.maxRedemptions}
        numeric
      />
      <Input
        id={`${id}-plans`}
        label={t("author.planIds")}
        value={planIds}
        set={setPlanIds}
        error={Object.entries(errors)
          .filter(([field]) => field.startsWith("planIds"))
          .map(([, message]) => message)
          .join("; ")}
      />
      <Ending error={save.error} busy={save.isPending} cancel={() => done(null)} />
    </form>
  );
}
