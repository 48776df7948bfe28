import type { H3Event } from 'h3'
import type { CoreContext } from '../core/context'
import { parseInput, runParsed } from '../core/operation'
import { consumeRateLimit, rateLimitHeaders } from '../core/rate-limit'
import type { Route, RouteContext, Surface } from '../surfaces'
import { type AuthContext, type AuthResolver, authenticate, requireScope } from './auth'
import { readJsonObject, readWebText } from './body'
import { toErrorReply } from './reply'

export interface RouteOptions {
  auth?: AuthResolver
  ready: () => Promise<void>
}

/**
 * What a route reads from a request, whichever server it came through: h3 (`telltale.app`,
 * `telltale.fetch`) or Node directly (`toNodeHandler`, which skips building web `Request` and
 * `Response` objects for the routes it knows).
 */
export interface RouteRequest {
  /** For error logs. */
  pathname: string
  /** A request header by lower-case name. */
  header(name: string): string | null | undefined
  query(): URLSearchParams
  /** The route's path parameters (`:slug`), decoded. */
  params(): Record<string, string>
  /** The body as text: at most `maxBytes`, else a 413 `TelltaleError`. */
  text(maxBytes: number): Promise<string>
  /** The request as a web `Request`, for the host's `auth` resolver. */
  webRequest(): Request
}

/** A route's answer: a status, headers, and a JSON body. */
export interface RouteReply {
  status: number
  headers: Record<string, string>
  body: unknown
}

export type RouteRunner = (request: RouteRequest) => Promise<RouteReply>

/**
 * The one prologue every route runs: wait for `ready()` (migrations), authenticate, check the
 * scope, count the rate limit, read the body or query, validate with the operation's schema,
 * run it, shape the reply. Any error becomes the surface's documented error reply (with the
 * rate-limit headers already counted).
 */
export function createRouteRunner(
  ctx: CoreContext,
  surface: Surface,
  route: Route,
  options: RouteOptions,
): RouteRunner {
  const scope = route.scope ?? route.operation.scope
  const limit = route.rateLimit ? ctx.limits.rateLimits[surface.id]?.[route.rateLimit] : undefined
  return async (request) => {
    let headers: Record<string, string> = {}
    try {
      await options.ready()
      const auth = await authenticate(ctx, request, options.auth)
      requireScope(auth, scope)
      if (limit)
        headers = rateLimitHeaders(
          await consumeRateLimit(ctx, {
            projectId: auth.projectId,
            bucket: bucketOf(surface, route, auth),
            rule: limit,
          }),
        )
      const routeContext: RouteContext = { auth, batchSize: ctx.limits.batchSize[surface.id] ?? 1 }
      const wire = route.body
        ? route.body(await readJsonObject(request, ctx.limits.maxBodyBytes), routeContext)
        : route.query
          ? route.query(request.query(), routeContext)
          : {}
      // Path parameters after the body (a body cannot rename the resource in the path), and the
      // caller's project last: no body, query or path can name another project.
      const input = parseInput(route.operation, {
        ...wire,
        ...route.params?.(request.params()),
        projectId: auth.projectId,
      })
      const output = await runParsed(ctx, route.operation, input)
      return {
        status: typeof route.status === 'function' ? route.status(output) : (route.status ?? 200),
        headers,
        body: route.reply(output, input),
      }
    } catch (error) {
      const reply = toErrorReply(error, surface.errors, request.pathname)
      return { status: reply.status, headers: { ...headers, ...reply.headers }, body: reply.body }
    }
  }
}

/** Rate limits count per API key (per project for host sessions), per surface and rule. */
const bucketOf = (surface: Surface, route: Route, auth: AuthContext) =>
  `${surface.id}.${route.rateLimit}:${auth.keyId ?? 'session'}`

/** The runner as an h3 handler. */
export function toH3Handler(run: RouteRunner) {
  return async (event: H3Event): Promise<unknown> => {
    const reply = await run({
      pathname: event.url.pathname,
      header: (name) => event.req.headers.get(name),
      query: () => event.url.searchParams,
      params: () => decodedParams(event.context.params),
      text: (maxBytes) => readWebText(event.req, maxBytes),
      webRequest: () => event.req,
    })
    event.res.status = reply.status
    for (const name in reply.headers) event.res.headers.set(name, reply.headers[name])
    return reply.body
  }
}

/** h3 leaves path parameters percent-encoded; a parameter that does not decode stays as sent. */
function decodedParams(params: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(params ?? {})) {
    try {
      out[name] = decodeURIComponent(value)
    } catch {
      out[name] = value
    }
  }
  return out
}
