import { H3 } from 'h3'
import type { CoreContext } from '../core/context'
import { type Surface, surfaceOf } from '../surfaces'
import { laravelErrors } from '../surfaces/errors'
import type { AuthResolver } from './auth'
import { sendError, toErrorReply } from './reply'
import { createRouteRunner, type RouteRunner, toH3Handler } from './route'

export interface HttpOptions {
  basePath: string
  auth?: AuthResolver
  ready: () => Promise<void>
  surfaces: readonly Surface[]
  /** See `RouteOptions.trustProxy`. */
  trustProxy: number
}

/** Errors outside every surface's prefixes (telltale served on its own): Laravel's `{message}`. */
const fallbackErrors = laravelErrors({})

export interface HttpApp {
  app: H3
  /**
   * The runner of the route at `method` + `pathname` exactly (with or without the base path), for
   * servers that call routes without h3 (`toNodeHandler`); `undefined` for anything else, which
   * h3 answers (404s, trailing slashes, HEAD). Also `undefined` with an `auth` resolver, which
   * takes a web `Request`.
   */
  routeFor(method: string, pathname: string): RouteRunner | undefined
}

/**
 * The h3 app that serves every surface. Each route is registered at its path and, with a base
 * path, at `basePath + path` too: the same app then works whether the host strips its mount path
 * (Express `app.use('/x', ...)`) or passes the full URL (Nitro catch-all routes, `node:http`).
 * Unknown routes answer 404 in the shape of the surface whose prefix they fall under.
 */
export function createHttpApp(ctx: CoreContext, options: HttpOptions): HttpApp {
  const app = new H3({
    onError: (error, event) => {
      const surface = surfaceOf(options.surfaces, routePath(event.url.pathname, options.basePath))
      return sendError(event, toErrorReply(error, surface?.errors ?? fallbackErrors, event.url.pathname))
    },
  })
  const runners = new Map<string, RouteRunner>()
  const prefixes = options.basePath ? ['', options.basePath] : ['']
  for (const surface of options.surfaces) {
    for (const route of surface.routes) {
      const run = createRouteRunner(ctx, surface, route, options)
      const handler = toH3Handler(run)
      for (const prefix of prefixes) {
        app.on(route.method, prefix + route.path, handler)
        if (!route.path.includes('/:')) runners.set(`${route.method} ${prefix}${route.path}`, run)
      }
    }
  }
  return { app, routeFor: options.auth ? () => undefined : (method, pathname) => runners.get(`${method} ${pathname}`) }
}

/** Normalises a base path option: `'/telltale/'` → `'/telltale'`, `'/'` → `''`. */
export function normalizeBasePath(basePath = ''): string {
  const trimmed = basePath.trim().replace(/\/+$/, '')
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** The request path with the base path removed. */
export function routePath(pathname: string, basePath: string): string {
  return basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`))
    ? pathname.slice(basePath.length) || '/'
    : pathname
}
