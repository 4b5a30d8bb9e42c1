import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { formatMoney } from "./format-money.ts";
import { catalogs, type Locale, locales, type MessageKey } from "./messages.ts";

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  money(minor: number | bigint, currency: string): string;
  date(value: string | Date): string;
  number(value: number): string;
}

const I18nContext = createContext<I18n | null>(null);
const storageKey = "abono.portal.locale";

export const isLocale = (value: unknown): value is Locale =>
  typeof value === "string" && (locales as readonly string[]).includes(value);

/** The locale chosen on this device, if any (the switch stores it). */
export function storedLocale(): Locale | null {
  try {
    const value = localStorage.getItem(storageKey);
    return isLocale(value) ? value : null;
  } catch {
    return null;
  }
}

/** The browser's preferred language among the portal's, for pages without an organization. */
export function browserLocale(): Locale {
  for (const language of navigator.languages ?? [navigator.language]) {
    const base = language.slice(0, 2).toLowerCase();
    if (isLocale(base)) return base;
  }
  return "en";
}

export function I18nProvider({ initial, children }: { initial: Locale; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initial);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(storageKey, next);
    } catch {}
  }, []);
  const value = useMemo<I18n>(() => {
    const messages = catalogs[locale];
    const dateFormat = new Intl.DateTimeFormat(locale, {
      dateStyle: "medium",
      timeZone: "UTC",
    });
    const numberFormat = new Intl.NumberFormat(locale);
    document.documentElement.lang = locale;
    return {
      locale,
      setLocale,
      t: (key, values = {}) =>
        messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
          name in values ? String(values[name]) : whole,
        ),
      money: (minor, currency) => formatMoney(minor, currency, locale),
      date: (input) => dateFormat.format(typeof input === "string" ? new Date(input) : input),
      number: (input) => numberFormat.format(input),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error("useI18n outside I18nProvider");
  return context;
}
