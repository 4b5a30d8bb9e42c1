import type { Locale } from "./billing-messages.ts";

export type PortalLinkProblem = "expired" | "used" | "unknown";

const texts: Record<
  Locale,
  {
    title: string;
    lang: string;
    reasons: Record<PortalLinkProblem, string>;
    next: string;
    back: string;
  }
> = {
  en: {
    lang: "en",
    title: "This billing link cannot be opened",
    reasons: {
      expired: "The link has expired: billing links work for 5 minutes after they are made.",
      used: "The link was already used: each billing link opens once, for your security.",
      unknown: "The link is not valid. Check that it was copied whole.",
    },
    next: "Go back to your application and open Billing again to get a new link.",
    back: "Back to the application",
  },
  es: {
    lang: "es",
    title: "Este enlace de facturación no se puede abrir",
    reasons: {
      expired:
        "El enlace venció: los enlaces de facturación funcionan durante 5 minutos después de creados.",
      used: "El enlace ya se usó: por tu seguridad, cada enlace de facturación se abre una sola vez.",
      unknown: "El enlace no es válido. Revisa que se haya copiado completo.",
    },
    next: "Vuelve a tu aplicación y abre Facturación otra vez para obtener un enlace nuevo.",
    back: "Volver a la aplicación",
  },
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** The page a customer sees for a portal link that cannot be opened: why, and what to do, in their language. */
export function portalLinkPage({
  locale,
  problem,
  returnUrl,
}: {
  locale: Locale;
  problem: PortalLinkProblem;
  returnUrl: string | null;
}): string {
  const text = texts[locale];
  const back = returnUrl
    ? `<p><a class="button" href="${escapeHtml(returnUrl)}">${escapeHtml(text.back)}</a></p>`
    : "";
  return `<!doctype html>
<html lang="${text.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(text.title)}</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; background: #f5f7fa; }
  main { max-width: 32rem; margin: 12vh auto; padding: 2rem; background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
  h1 { font-size: 1.35rem; margin: 0 0 1rem; }
  .button { display: inline-block; padding: 0.6rem 1rem; border-radius: 8px; background: #1d4ed8; color: #fff; text-decoration: none; }
  .button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(text.title)}</h1>
<p id="reason" data-problem="${problem}">${escapeHtml(text.reasons[problem])}</p>
<p>${escapeHtml(text.next)}</p>
${back}
</main>
</body>
</html>
`;
}
