import type { Abono } from "@abono/client";
import {
  type CSSProperties,
  createContext,
  type ReactNode,
  useContext,
  useInsertionEffect,
  useMemo,
} from "react";
import { EntitlementStore, type EntitlementStoreOptions } from "./entitlement-store.js";
import { formatMoney } from "./format-money.js";
import {
  type AbonoLocale,
  type AbonoMessageKey,
  type AbonoMessages,
  type AbonoPluralKey,
  abonoMessages,
  fillMessage,
  pluralKey,
} from "./messages.js";
import { abonoStyles } from "./styles.js";

/** Values for the components' CSS custom properties (`--abono-accent`, …): see the package README. */
export interface AbonoTheme {
  accent?: string;
  accentContrast?: string;
  accentSoft?: string;
  text?: string;
  muted?: string;
  surface?: string;
  border?: string;
  success?: string;
  warning?: string;
  danger?: string;
  radius?: string;
  font?: string;
}

export interface AbonoContextValue {
  client: Abono;
  organizationId: string | null;
  locale: AbonoLocale;
  t(key: AbonoMessageKey, values?: Record<string, string | number>): string;
  /** A message that depends on `count`, in the locale's singular or plural form (`key` / `key.one`). */
  plural(key: AbonoPluralKey, count: number, values?: Record<string, string | number>): string;
  money(minor: number | bigint, currency: string): string;
  number(value: number): string;
  /** The organization's entitlement, shared by every hook and component (null without an organization). */
  entitlements: EntitlementStore | null;
}

const AbonoContext = createContext<AbonoContextValue | null>(null);

export interface AbonoProviderProps {
  /**
   * An `@abono/client` instance. In a browser, one that carries a portal session (its cookie, or its token
   * as `apiKey`), never a secret key.
   */
  client: Abono;
  /** The organization whose entitlement `useEntitlement`, `<UsageMeter>` and `<Paywall>` read. */
  organizationId?: string | null;
  locale: AbonoLocale;
  theme?: AbonoTheme;
  /** Any of the built-in messages, replaced (per key; `{name}` placeholders as in the originals). */
  messages?: Partial<AbonoMessages>;
  /** How the entitlement is kept current (refetch interval, on focus): see `EntitlementStore`. */
  entitlementOptions?: EntitlementStoreOptions;
  /** Adds the components' stylesheet to the document (default true); false to bring your own. */
  injectStyles?: boolean;
  children: ReactNode;
}

const themeProperties: Record<keyof AbonoTheme, string> = {
  accent: "--abono-accent",
  accentContrast: "--abono-accent-contrast",
  accentSoft: "--abono-accent-soft",
  text: "--abono-text",
  muted: "--abono-muted",
  surface: "--abono-surface",
  border: "--abono-border",
  success: "--abono-success",
  warning: "--abono-warning",
  danger: "--abono-danger",
  radius: "--abono-radius",
  font: "--abono-font",
};

const styleElementId = "abono-react-styles";

/** Gives the components below it a client, an organization, a locale and a theme. */
export function AbonoProvider({
  client,
  organizationId = null,
  locale,
  theme,
  messages,
  entitlementOptions,
  injectStyles = true,
  children,
}: AbonoProviderProps) {
  useInsertionEffect(() => {
    if (!injectStyles || document.getElementById(styleElementId)) return;
    const style = document.createElement("style");
    style.id = styleElementId;
    style.textContent = abonoStyles;
    document.head.prepend(style);
  }, [injectStyles]);

  const refreshIntervalMs = entitlementOptions?.refreshIntervalMs;
  const staleMs = entitlementOptions?.staleMs;
  const refetchOnFocus = entitlementOptions?.refetchOnFocus;
  const entitlements = useMemo(
    () =>
      organizationId === null
        ? null
        : new EntitlementStore(() => client.entitlements.get(organizationId), {
            refreshIntervalMs,
            staleMs,
            refetchOnFocus,
          }),
    [client, organizationId, refreshIntervalMs, staleMs, refetchOnFocus],
  );

  const value = useMemo<AbonoContextValue>(() => {
    const catalog = { ...abonoMessages[locale], ...messages };
    const numberFormat = new Intl.NumberFormat(locale);
    return {
      client,
      organizationId,
      locale,
      t: (key, values) => fillMessage(catalog[key], values),
      plural: (key, count, values) => fillMessage(catalog[pluralKey(key, count, locale)], values),
      money: (minor, currency) => formatMoney(minor, currency, locale),
      number: (input) => numberFormat.format(input),
      entitlements,
    };
  }, [client, organizationId, locale, messages, entitlements]);

  const style = useMemo(() => {
    if (!theme) return null;
    const properties: Record<string, string> = {};
    for (const [name, property] of Object.entries(themeProperties)) {
      const themed = theme[name as keyof AbonoTheme];
      if (themed !== undefined) properties[property] = themed;
    }
    return properties as CSSProperties;
  }, [theme]);

  return (
    <AbonoContext.Provider value={value}>
      {style ? (
        <div className="abono-theme" style={style}>
          {children}
        </div>
      ) : (
        children
      )}
    </AbonoContext.Provider>
  );
}

/** The provider's client, organization, locale and formatters. */
export function useAbono(): AbonoContextValue {
  const context = useContext(AbonoContext);
  if (!context) throw new Error("Abono components and hooks need an <AbonoProvider> above them");
  return context;
}
