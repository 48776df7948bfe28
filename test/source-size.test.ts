// Small files with one job: no source file over 500 lines (a longer one is split by concern, as
// the Redis event scripts are into src/storage/redis/lua/).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MAX_LINES = 500

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

test(`no file in src/ or adapters/ is over ${MAX_LINES} lines`, () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'adapters'))]
  expect(files.length).toBeGreaterThan(50)
  const long = files
    .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').trimEnd().split('\n').length }))
    .filter(({ lines }) => lines > MAX_LINES)
  expect(long).toEqual([])
})
