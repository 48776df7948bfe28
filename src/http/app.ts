import { H3 } from 'h3'
import type { CoreContext } from '../core/context'
import type { AuthResolver } from './auth'
import { toErrorReply } from './errors'
import { createRouter, routePath, sendError } from './router'
import { fluxTrackRoutes } from './flux/events'
import { fluxQueryRoutes } from './flux/queries'
import { statusBlocksEventRoutes } from './status-blocks/events'

export interface HttpOptions {
  basePath: string
  auth?: AuthResolver
  ready: () => Promise<void>
}

/** The h3 app that serves every surface. Unknown routes answer 404 JSON in the surface's shape. */
export function createHttpApp(ctx: CoreContext, options: HttpOptions): H3 {
  const app = new H3({
    onError: (error, event) => sendError(event, toErrorReply(error, routePath(event.url.pathname, options.basePath))),
  })
  const router = createRouter(app, options)
  statusBlocksEventRoutes(router, ctx, options.auth)
  fluxTrackRoutes(router, ctx, options.auth)
  fluxQueryRoutes(router, ctx, options.auth)
  return app
}
