// The console's build: web/ -> dist/web (index.html and assets/ with hashed names), one chunk
// per route (lazy imports in app/routes.tsx) plus the vendor chunks they share.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Inlined assets would be data: URLs; the CSP allows them for images and fonts only.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    // No inline script: Vite's module-preload polyfill goes into the entry chunk.
    modulePreload: { polyfill: true },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:5000', '/c': 'http://127.0.0.1:5000', '/v2': 'http://127.0.0.1:5000' } },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    // npm test runs these beside the node tests (and Chromium): PatternFly in jsdom is slow under that load.
    testTimeout: 30_000,
  },
})
