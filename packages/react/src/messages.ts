/** The locales with built-in messages. */
export type AbonoLocale = "es" | "en";

const en = {
  "interval.legend": "Billing interval",
  "interval.month": "Monthly",
  "interval.year": "Yearly",
  "price.perMonth": "/ month",
  "price.perYear": "/ year",
  "price.none": "Not offered per {period}",
  "period.month": "month",
  "period.year": "year",
  "plan.current": "Current plan",
  "plan.recommended": "Recommended for you",
  "plan.trial": "{days}-day free trial",
  "plan.trial.one": "{days}-day free trial",
  "plan.choose": "Choose {plan}",
  "plan.featureValue": "{name}: {value}",
  "plan.included": "included",
  "plan.notIncluded": "not included",
  "plan.unlimited": "Unlimited",
  "plans.label": "Plans",
  "plans.empty": "No plans are offered yet.",
  loading: "Loading…",
  error: "Could not load this. Try again.",
  retry: "Try again",
  "usage.used": "{used} of {limit} used",
  "usage.usedUnlimited": "{used} used · unlimited",
  "usage.remaining": "{remaining} left",
  "usage.remaining.one": "{remaining} left",
  "usage.nearLimit": "Close to the limit",
  "usage.overLimit": "Limit reached",
  "usage.unlimited": "Unlimited",
  "usage.bar": "{name}: {used} of {limit}",
  "paywall.heading": "Upgrade to use {feature}",
  "paywall.body": "Your current plan does not include {feature}.",
  "paywall.limitHeading": "You have reached your {feature} limit",
  "paywall.limitBody": "You have used all the {feature} your plan includes.",
  "paywall.action": "See plans",
} as const;

export type AbonoMessageKey = keyof typeof en;
export type AbonoMessages = Record<AbonoMessageKey, string>;

const es: AbonoMessages = {
  "interval.legend": "Periodo de facturación",
  "interval.month": "Mensual",
  "interval.year": "Anual",
  "price.perMonth": "/ mes",
  "price.perYear": "/ año",
  "price.none": "No se ofrece por {period}",
  "period.month": "mes",
  "period.year": "año",
  "plan.current": "Plan actual",
  "plan.recommended": "Recomendado para ti",
  "plan.trial": "{days} días de prueba gratis",
  "plan.trial.one": "{days} día de prueba gratis",
  "plan.choose": "Elegir {plan}",
  "plan.featureValue": "{name}: {value}",
  "plan.included": "incluido",
  "plan.notIncluded": "no incluido",
  "plan.unlimited": "Ilimitado",
  "plans.label": "Planes",
  "plans.empty": "Todavía no hay planes disponibles.",
  loading: "Cargando…",
  error: "No se pudo cargar. Vuelve a intentarlo.",
  retry: "Reintentar",
  "usage.used": "{used} de {limit} usados",
  "usage.usedUnlimited": "{used} usados · ilimitado",
  "usage.remaining": "Quedan {remaining}",
  "usage.remaining.one": "Queda {remaining}",
  "usage.nearLimit": "Cerca del límite",
  "usage.overLimit": "Límite alcanzado",
  "usage.unlimited": "Ilimitado",
  "usage.bar": "{name}: {used} de {limit}",
  "paywall.heading": "Mejora tu plan para usar {feature}",
  "paywall.body": "Tu plan actual no incluye {feature}.",
  "paywall.limitHeading": "Alcanzaste el límite de {feature}",
  "paywall.limitBody": "Ya usaste todo lo que tu plan incluye de {feature}.",
  "paywall.action": "Ver planes",
};

/**
 * Messages that depend on a count: `key` is the plural form (CLDR "other"), `key.one` the singular, chosen
 * by the locale's plural rules ("Queda 1", "Quedan 2").
 */
export type AbonoPluralKey = {
  [Key in AbonoMessageKey]: `${Key}.one` extends AbonoMessageKey ? Key : never;
}[AbonoMessageKey];

/** The built-in messages, per locale; the provider's `messages` prop overrides any of them. */
export const abonoMessages: Record<AbonoLocale, AbonoMessages> = { en, es };

/** `{name}` placeholders replaced by their values; an unknown placeholder stays as written. */
export function fillMessage(
  template: string,
  values: Record<string, string | number> = {},
): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The message of `key` for `count` in `locale`: `key.one` where the locale's plural rules say "one". */
export function pluralKey(key: AbonoPluralKey, count: number, locale: string): AbonoMessageKey {
  return new Intl.PluralRules(locale).select(count) === "one" ? `${key}.one` : key;
}
