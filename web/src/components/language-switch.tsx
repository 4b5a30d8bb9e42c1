import { useId } from "react";
import { isLocale, useI18n } from "../i18n/i18n.tsx";

const names = { en: "English", es: "Español" } as const;

export function LanguageSwitch() {
  const { t, locale, setLocale } = useI18n();
  const id = useId();
  return (
    <div className="language">
      <label htmlFor={id} className="visually-hidden">
        {t("app.language")}
      </label>
      <select
        id={id}
        value={locale}
        onChange={(event) => {
          if (isLocale(event.target.value)) setLocale(event.target.value);
        }}
        data-testid="language"
      >
        {Object.entries(names).map(([value, name]) => (
          <option key={value} value={value} lang={value}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
