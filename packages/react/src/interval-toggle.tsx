import { useId } from "react";
import { useAbono } from "./provider.js";
import type { Interval } from "./types.js";

/** Monthly / yearly, as a radio group (keyboard and screen readers see one choice of two). */
export function IntervalToggle({
  value,
  onChange,
  intervals = ["month", "year"],
}: {
  value: Interval;
  onChange(value: Interval): void;
  intervals?: readonly Interval[];
}) {
  const { t } = useAbono();
  const name = useId();
  return (
    <fieldset className="abono-interval">
      <legend className="abono-visually-hidden">{t("interval.legend")}</legend>
      {intervals.map((interval) => (
        <label key={interval} className={value === interval ? "abono-selected" : undefined}>
          <input
            type="radio"
            name={name}
            value={interval}
            checked={value === interval}
            onChange={() => onChange(interval)}
          />
          {t(interval === "month" ? "interval.month" : "interval.year")}
        </label>
      ))}
    </fieldset>
  );
}
