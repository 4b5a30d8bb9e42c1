import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The billing portal and the public pricing page: one app served by Abono under /portal (see
 * src/http/portal-static.ts). Asset names carry a content hash, so they are cached for a year.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/portal/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
