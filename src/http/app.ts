import { H3 } from 'h3'
import type { CoreContext } from '../core/context'
import { type Surface, surfaceOf } from '../surfaces'
import { laravelErrors } from '../surfaces/errors'
import type { AuthResolver } from './auth'
import { sendError, toErrorReply } from './reply'
import { toRouteHandler } from './route'

export interface HttpOptions {
  basePath: string
  auth?: AuthResolver
  ready: () => Promise<void>
  surfaces: Surface[]
}

/** Errors outside every surface's prefixes (telltale served on its own): Laravel's `{message}`. */
const fallbackErrors = laravelErrors({})

/**
 * The h3 app that serves every surface. Each route is registered at its path and, with a base
 * path, at `basePath + path` too: the same app then works whether the host strips its mount path
 * (Express `app.use('/x', ...)`) or passes the full URL (Nitro catch-all routes, `node:http`).
 * Unknown routes answer 404 in the shape of the surface whose prefix they fall under.
 */
export function createHttpApp(ctx: CoreContext, options: HttpOptions): H3 {
  const app = new H3({
    onError: (error, event) => {
      const surface = surfaceOf(options.surfaces, routePath(event.url.pathname, options.basePath))
      return sendError(event, toErrorReply(error, surface?.errors ?? fallbackErrors, event.url.pathname))
    },
  })
  const prefixes = options.basePath ? ['', options.basePath] : ['']
  for (const surface of options.surfaces) {
    for (const route of surface.routes) {
      const handler = toRouteHandler(ctx, surface, route, options)
      for (const prefix of prefixes) app.on(route.method, prefix + route.path, handler)
    }
  }
  return app
}

/** Normalises a base path option: `'/telltale/'` → `'/telltale'`, `'/'` → `''`. */
export function normalizeBasePath(basePath = ''): string {
  const trimmed = basePath.trim().replace(/\/+$/, '')
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** The request path with the base path removed. */
export function routePath(pathname: string, basePath: string): string {
  return basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`)) ? pathname.slice(basePath.length) || '/' : pathname
}
