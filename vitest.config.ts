import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^telltale\/adapters\/(.*)$/, replacement: r('./adapters/$1.ts') },
      { find: /^telltale\/node$/, replacement: r('./src/node.ts') },
      { find: /^telltale$/, replacement: r('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
