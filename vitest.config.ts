import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * Tests that build their app with `makeTelltale()` (test/helpers/app.ts): every surface's HTTP
 * tests. They run once per adapter: the `sqlite` project runs everything, the `postgres` project
 * runs these again on Postgres (when TELLTALE_TEST_POSTGRES_URL is set; CI always sets it).
 */
const SURFACE_TESTS = ['test/http/**/*.test.ts', 'test/flux/flux-http.test.ts', 'test/surfaces/**/*.test.ts', 'test/api.test.ts']
const withPostgres = Boolean(process.env.TELLTALE_TEST_POSTGRES_URL) || process.env.CI === 'true'

export default defineConfig({
  resolve: {
    alias: [
      { find: /^telltale\/adapters\/(.*)$/, replacement: r('./adapters/$1.ts') },
      { find: /^telltale\/node$/, replacement: r('./src/node.ts') },
      { find: /^telltale$/, replacement: r('./src/index.ts') },
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { TELLTALE_TEST_ADAPTER: 'sqlite' } } },
      ...(withPostgres ? [{ extends: true as const, test: { name: 'postgres', include: SURFACE_TESTS, env: { TELLTALE_TEST_ADAPTER: 'postgres' } } }] : []),
    ],
  },
})
