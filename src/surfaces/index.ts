import type { Surface } from './define'
import { flux } from './flux'
import { statusBlocks } from './status-blocks'

/**
 * Every API surface telltale serves. Adding one is a folder beside this file and a line here;
 * the router, the error shapes, `ownsPath` and the rate-limit options all follow from it.
 */
export const SURFACES: Surface[] = [statusBlocks, flux]

/** The surface whose prefix holds `pathname` (the longest prefix wins), or `undefined`. */
export function surfaceOf(surfaces: Surface[], pathname: string): Surface | undefined {
  let found: Surface | undefined
  let length = -1
  for (const surface of surfaces) {
    for (const prefix of surface.prefixes) {
      if ((pathname === prefix || pathname.startsWith(`${prefix}/`)) && prefix.length > length) {
        found = surface
        length = prefix.length
      }
    }
  }
  return found
}

/** Default rate limits of every surface, keyed by surface id (for `resolveLimits`). */
export function surfaceRateLimits(surfaces: Surface[]): Record<string, NonNullable<Surface['rateLimits']>> {
  return Object.fromEntries(surfaces.map((s) => [s.id, s.rateLimits ?? {}]))
}

export type { Route, RouteContext, Surface, ErrorFormatter } from './define'
export { defineRoute, defineSurface } from './define'
