import { defineConfig } from "vite";
import { resolve } from "node:path";

// Two pages: the map (index.html) and the printable site-check report (report.html).
// Relative base so the build works wherever the server mounts it.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        report: resolve(import.meta.dirname, "report.html"),
      },
    },
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/tiles": "http://127.0.0.1:8080",
      "/fonts": "http://127.0.0.1:8080",
      "/style.json": "http://127.0.0.1:8080",
    },
  },
});
