import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const packages = path.resolve(import.meta.dirname, "../packages");

/**
 * The billing portal and the public pricing page: one app served by Abono under /portal (see
 * src/http/portal-static.ts). Asset names carry a content hash, so they are cached for a year.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/portal/",
  plugins: [react()],
  // The workspace packages from their sources: a fresh clone builds the portal without building them first.
  resolve: {
    alias: {
      "@abono/client": path.join(packages, "client/src/index.ts"),
      "@abono/react": path.join(packages, "react/src/index.ts"),
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: false,
    // One bundle of about 170 kB gzipped (React included), loaded once and cached for a year.
    chunkSizeWarningLimit: 1024,
  },
  logLevel: "warn",
  // `npm run dev:web`: the portal with hot reload, its API calls sent to a service on port 8080.
  server: {
    proxy: {
      "/v1": "http://127.0.0.1:8080",
      "/portal/session": "http://127.0.0.1:8080",
    },
  },
});
