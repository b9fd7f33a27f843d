import { defineConfig } from 'vite';

// Served by the gateway under /console (gateway/src/http/console.ts); built to dist/, never committed.
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  // `npm run dev` proxies the API to a gateway started with PORT=8080.
  server: { proxy: { '/v1': 'http://localhost:8080', '/readyz': 'http://localhost:8080' } },
});
