import type { H3Event } from 'h3'
import type { CoreContext } from '../core/context'
import { parseInput, runParsed } from '../core/operation'
import { consumeRateLimit, rateLimitHeaders } from '../core/rate-limit'
import type { Route, RouteContext, Surface } from '../surfaces'
import { type AuthContext, type AuthResolver, authenticate, requireScope } from './auth'
import { readJsonObject } from './body'
import { sendError, toErrorReply } from './reply'

export interface RouteOptions {
  auth?: AuthResolver
  ready: () => Promise<void>
}

/**
 * The one prologue every route runs: wait for `ready()` (migrations), authenticate, check the
 * scope, count the rate limit, read the body or query, validate with the operation's schema,
 * run it, shape the reply. Any error becomes the surface's documented error reply.
 */
export function toRouteHandler(ctx: CoreContext, surface: Surface, route: Route, options: RouteOptions) {
  const scope = route.scope ?? route.operation.scope
  const rule = route.rateLimit
  return async (event: H3Event): Promise<unknown> => {
    try {
      await options.ready()
      const auth = await authenticate(ctx, event.req, options.auth)
      requireScope(auth, scope)
      if (rule) await countRequest(ctx, event, auth, surface.id, rule)
      const routeContext: RouteContext = { auth, limits: ctx.limits }
      const wire = route.body
        ? route.body(await readJsonObject(event.req, ctx.limits.maxBodyBytes), routeContext)
        : route.query
          ? route.query(event.url.searchParams, routeContext)
          : {}
      // The caller's project comes last: no body or query can name another project.
      const input = parseInput(route.operation, { ...wire, projectId: auth.projectId })
      const output = await runParsed(ctx, route.operation, input)
      event.res.status = typeof route.status === 'function' ? route.status(output) : (route.status ?? 200)
      return route.reply(output, input)
    } catch (error) {
      return sendError(event, toErrorReply(error, surface.errors, event.url.pathname))
    }
  }
}

/** Counts the request against `limits.rateLimits[surface][rule]`, per API key (per project for host sessions). */
async function countRequest(ctx: CoreContext, event: H3Event, auth: AuthContext, surfaceId: string, rule: string): Promise<void> {
  const limit = ctx.limits.rateLimits[surfaceId]?.[rule]
  if (!limit) return
  const state = await consumeRateLimit(ctx, { projectId: auth.projectId, bucket: `${surfaceId}.${rule}:${auth.keyId ?? 'session'}`, rule: limit })
  for (const [name, value] of Object.entries(rateLimitHeaders(state))) event.res.headers.set(name, value)
}
