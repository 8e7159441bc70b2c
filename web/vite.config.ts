import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The app is served by Madina itself at /; `npm run dev:web` proxies the APIs to a running server.
const server = process.env.MADINA_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // MapLibre alone is ~800 kB minified (~230 kB gzipped); the budget that matters is checked by bench:web.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': server, '/ngsi-ld': server, '/health': server },
  },
});
