import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "../trackio/dashboard/dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      "/api": process.env.TRACKIO_DEV_API || "http://127.0.0.1:7860",
    },
  },
});
