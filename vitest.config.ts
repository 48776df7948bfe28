import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * Tests that build their app with `makeTelltale()` (test/helpers/app.ts): every surface's HTTP
 * tests. They run once per adapter: the `sqlite` project runs everything, the `postgres`, `redis`
 * and `kv` projects run these again on their adapter (Postgres and Redis when their
 * TELLTALE_TEST_*_URL is set; CI always sets both).
 */
const SURFACE_TESTS = [
  'test/http/**/*.test.ts',
  'test/surfaces/**/*.test.ts',
  'test/domains/**/*.test.ts',
  'test/api.test.ts',
]
const withPostgres = Boolean(process.env.TELLTALE_TEST_POSTGRES_URL) || process.env.CI === 'true'
const withRedis = Boolean(process.env.TELLTALE_TEST_REDIS_URL) || process.env.CI === 'true'
const surfaceProject = (adapter: string) => ({
  extends: true as const,
  test: { name: adapter, include: SURFACE_TESTS, env: { TELLTALE_TEST_ADAPTER: adapter } },
})

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
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { TELLTALE_TEST_ADAPTER: 'sqlite' } },
      },
      ...(withPostgres ? [surfaceProject('postgres')] : []),
      ...(withRedis ? [surfaceProject('redis')] : []),
      surfaceProject('kv'),
    ],
  },
})
