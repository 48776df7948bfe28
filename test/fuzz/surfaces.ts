// The surfaces a fuzz server serves: telltale's own (SURFACES) and test-only ones named in
// FUZZ_SURFACES, e.g. `test/surfaces/echo/index.ts#echo` (a module from the repository root, `#`,
// the export), loaded alike by the server and by the fuzzer that builds requests and reads replies.
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SURFACES, type Surface } from '../../src/surfaces'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface SurfaceRef {
  /** From the repository root. */
  module: string
  /** The export that is the surface. */
  name: string
}

/** `a.ts#x,b.ts#y` → refs. */
export function surfaceRefs(list = ''): SurfaceRef[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const [module, name] = item.split('#')
      if (!module || !name) throw new Error(`FUZZ_SURFACES: "${item}" is not <module>#<export>`)
      return { module, name }
    })
}

/** SURFACES, then the surfaces `refs` name. */
export async function loadSurfaces(refs: readonly SurfaceRef[]): Promise<Surface[]> {
  const extra = await Promise.all(
    refs.map(async ({ module, name }) => {
      const surface = (await import(pathToFileURL(resolve(ROOT, module)).href))[name] as Surface | undefined
      if (!surface?.routes) throw new Error(`FUZZ_SURFACES: ${module} has no surface export "${name}"`)
      return surface
    }),
  )
  return [...SURFACES, ...extra]
}

/** `limits.rateLimits` with every rule of every surface off: the fuzzer sends thousands of requests a minute. */
export function rateLimitsOff(surfaces: readonly Surface[]): Record<string, Record<string, false>> {
  return Object.fromEntries(
    surfaces.map((s) => [s.id, Object.fromEntries(Object.keys(s.rateLimits ?? {}).map((rule) => [rule, false]))]),
  )
}
