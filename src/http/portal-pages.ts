import fs from "node:fs/promises";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply } from "fastify";
import { access } from "../auth/principal.ts";
import type { RouteModule } from "./app-types.ts";

/** Where `npm run build:web` (also run by `npm ci` and `npm start`) writes the portal. */
export const portalDistDir = path.resolve(import.meta.dirname, "../../web/dist");

/** Pages of the web app outside /portal: the public pricing page and the checkout return pages. */
const publicPagePaths = ["/plans", "/checkout/success", "/checkout/cancel"] as const;

/** The page with the configured accent color (a validated hex color) set on its root. */
function themed(html: string, accentColor: string | undefined): string {
  if (!accentColor) return html;
  return html.replace("</head>", `<style>:root{--accent:${accentColor}}</style></head>`);
}

/**
 * The billing portal (docs/portal.md), served by the API process: hashed assets under /portal/assets with a
 * year-long immutable cache; every other /portal path, /plans and the checkout return pages answer the app's
 * index.html uncached (the app routes in the browser). The portal may be framed by `portal.frameAncestors`;
 * the pricing page by anyone.
 */
export const portalPages: RouteModule = (app, { config }) => {
  app.register(async (pages) => {
    pages.addHook("onRoute", (route) => {
      route.config = { ...route.config, access: access.public };
      route.schema = { ...route.schema, hide: true };
    });
    await pages.register(fastifyStatic, {
      root: path.join(portalDistDir, "assets"),
      prefix: "/portal/assets/",
      index: false,
      immutable: true,
      maxAge: "365d",
      // A missing build answers 404 like any missing asset; the index route explains the missing build.
      allowedPath: () => true,
    });

    const sendIndex = async (reply: FastifyReply, frameAncestors: string) => {
      let html: string;
      try {
        html = await fs.readFile(path.join(portalDistDir, "index.html"), "utf8");
      } catch {
        return reply
          .code(503)
          .type("text/plain; charset=utf-8")
          .header("cache-control", "no-store")
          .send(
            "The billing portal has not been built. Run `npm run build:web` (npm ci and npm start do it).",
          );
      }
      return reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin")
        .header("content-security-policy", `frame-ancestors ${frameAncestors}`)
        .send(themed(html, config.portal.accentColor));
    };

    pages.get("/portal", (_request, reply) => reply.redirect("/portal/", 301));
    // The operator backoffice (docs/backoffice.md) is an area of the same app; it is never framed.
    pages.get("/admin", (_request, reply) => sendIndex(reply, "'none'"));
    pages.get("/admin/*", (_request, reply) => sendIndex(reply, "'none'"));
    pages.get("/portal/*", (_request, reply) => sendIndex(reply, config.portal.frameAncestors));
    // The pricing page is informative and meant to be embedded anywhere; the return pages follow the portal.
    pages.get("/plans", (_request, reply) => sendIndex(reply, "*"));
    for (const page of publicPagePaths.filter((page) => page !== "/plans")) {
      pages.get(page, (_request, reply) => sendIndex(reply, config.portal.frameAncestors));
    }
  });
};
