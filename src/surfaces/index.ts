import { configError } from '../core/errors'
import type { RateLimitRule } from '../core/rate-limit'
import type { Surface } from './define'
import { flux } from './flux'
import { statusBlocks } from './status-blocks'
import { statusBlocksMetrics } from './status-blocks-metrics'
import { statusCore } from './status-core'

/**
 * Every API surface telltale serves. Adding one is a folder beside this file and a line here;
 * the router, the error shapes, `surfaceOf`, `routeMatcher` (what middleware claims) and the rate-limit
 * options all follow from it; `checkSurfaces` refuses what would clash.
 */
export const SURFACES = [statusBlocks, statusBlocksMetrics, flux, statusCore] as const

type BuiltinSurface = (typeof SURFACES)[number]
type RulesOf<S> = S extends Surface<string, infer Rule> ? Rule : never

/**
 * `limits.rateLimits`, typed from the surfaces: `{ flux: { event, batch, query }, ... }`, each
 * `{ limit, windowMs }` or `false`. A surface added through `surfaces` is accepted by id.
 */
export type RateLimits = { [S in BuiltinSurface as S['id']]?: { [Rule in RulesOf<S>]?: RateLimitRule | false } } & {
  [surface: string]: Record<string, RateLimitRule | false> | undefined
}

/** The `surfaces` option: `false` leaves a surface out (`{ flux: false }`). */
export type SurfaceSwitches = { [S in BuiltinSurface as S['id']]?: boolean }

/** The surfaces the `surfaces` option leaves on; an id that names no surface is a config error. */
export function servedSurfaces(surfaces: readonly Surface[], switches: Record<string, unknown> = {}): Surface[] {
  const ids = surfaces.map((s) => s.id)
  for (const [id, on] of Object.entries(switches)) {
    if (!ids.includes(id))
      throw configError(
        `surfaces.${id} is not a surface; the surfaces are ${ids.join(', ')}, e.g. { surfaces: { flux: false } }`,
      )
    if (typeof on !== 'boolean') throw configError(`surfaces.${id} must be true or false (got ${JSON.stringify(on)})`)
  }
  return surfaces.filter((s) => switches[s.id] !== false)
}

/** `limits.batchSize`: items per batch request, by the id of a surface with batches (`statusBlocks`, `flux`). */
export type BatchSizes = { [S in BuiltinSurface as S['id']]?: number } & { [surface: string]: number | undefined }

/**
 * What a surface cannot check alone, refused at createTelltale with one line naming the surfaces:
 * two surfaces with one id, two routes with the same method and path (one would silently hide the
 * other), and a route whose rate limit names no rule of its surface (it would go uncounted).
 */
export function checkSurfaces(surfaces: readonly Surface[]): void {
  const ids = new Set<string>()
  const owners = new Map<string, string>()
  for (const surface of surfaces) {
    if (ids.has(surface.id)) throw configError(`two surfaces have the id "${surface.id}": give each its own`)
    ids.add(surface.id)
    for (const route of surface.routes) {
      // `:uuid` and `:slug` in the same place match the same requests (a suffix after one does not).
      const key = `${route.method} ${route.path.replace(PARAM, ':')}`
      const owner = owners.get(key)
      if (owner !== undefined)
        throw configError(
          `${route.method} ${route.path} is a route of both the ${owner} and the ${surface.id} surface: one would hide the other`,
        )
      owners.set(key, surface.id)
      if (route.public && takesProjectId(route))
        throw configError(
          `${route.method} ${route.path} of the ${surface.id} surface is public, but its operation takes a projectId: a public route names its project from its path`,
        )
      const keyed = route.rateLimitBy?.rule
      if (keyed !== undefined && !Object.hasOwn(surface.rateLimits ?? {}, keyed))
        throw configError(
          `${route.method} ${route.path} of the ${surface.id} surface counts the rate limit "${keyed}", which the surface does not define`,
        )
      if (route.rateLimit !== undefined && !Object.hasOwn(surface.rateLimits ?? {}, route.rateLimit))
        throw configError(
          `${route.method} ${route.path} of the ${surface.id} surface counts the rate limit "${route.rateLimit}", which the surface does not define (it has: ${Object.keys(surface.rateLimits ?? {}).join(', ') || 'none'})`,
        )
    }
  }
}

/** A path parameter: `:name`, up to the end of its name (a literal suffix such as `.html` may follow). */
const PARAM = /:[A-Za-z_]\w*/g

/** A route path as a regular expression: each parameter one non-empty segment part, the rest literal. */
function routePattern(path: string): RegExp {
  const source = path
    .split(PARAM)
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+?')
  return new RegExp(`^${source}/?$`)
}

/** Whether a route's operation reads a `projectId` (a zod object schema with that key). */
function takesProjectId(route: Surface['routes'][number]): boolean {
  const shape = (route.operation.input as { shape?: Record<string, unknown> }).shape
  return shape !== undefined && Object.hasOwn(shape, 'projectId')
}

/** The surface whose prefix holds `pathname` (the longest prefix wins), or `undefined`. */
export function surfaceOf(surfaces: readonly Surface[], pathname: string): Surface | undefined {
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

/**
 * Whether some route of `surfaces` answers `method` (HEAD as GET) on `pathname`: what telltale
 * claims when mounted as middleware. Route paths may have `:param` segments.
 */
export function routeMatcher(surfaces: readonly Surface[]): (pathname: string, method: string) => boolean {
  const exact = new Map<string, Set<string>>()
  const patterns: Array<{ pattern: RegExp; method: string }> = []
  for (const { routes } of surfaces) {
    for (const { method, path } of routes) {
      if (path.includes('/:')) patterns.push({ pattern: routePattern(path), method })
      else
        for (const variant of [path, `${path}/`])
          (exact.get(variant) ?? exact.set(variant, new Set()).get(variant)!).add(method)
    }
  }
  return (pathname, method) => {
    const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase()
    return (
      exact.get(pathname)?.has(wanted) === true || patterns.some((p) => p.method === wanted && p.pattern.test(pathname))
    )
  }
}

export type { AuthContext, ErrorFormatter, RawReply, Route, RouteContext, Surface } from './define'
export { defineRoute, defineSurface, isRawReply, rawReply } from './define'
