import type { H3Event } from 'h3'
import type { CoreContext } from '../core/context'
import { parseInput, runParsed } from '../core/operation'
import { consumeRateLimit, rateLimitHeaders } from '../core/rate-limit'
import { SYSTEM_PROJECT } from '../storage'
import { isRawReply, type RawReply, type Route, type RouteContext, type Surface } from '../surfaces'
import { type AuthContext, type AuthResolver, authenticate, requireScope } from './auth'
import { readJsonObject, readWebText } from './body'
import { addressBucket, clientAddressOf } from './client-address'
import { toErrorReply } from './reply'

export interface RouteOptions {
  auth?: AuthResolver
  ready: () => Promise<void>
  /** Proxies in front of the host whose `X-Forwarded-For` entries are trusted (the `trustProxy` option). */
  trustProxy: number
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
  /** The address of the peer the request came from (a proxy, with `trustProxy`), if the server knows it. */
  socketAddress(): string | undefined
}

/** A route's answer: a status, headers, and a JSON body or a `RawReply` (HTML, CSV, a stream). */
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
      const clientAddress = clientAddressOf(
        request.socketAddress(),
        request.header('x-forwarded-for'),
        options.trustProxy,
      )
      const auth = route.public ? undefined : await authenticate(ctx, request, options.auth)
      if (auth) requireScope(auth, scope)
      // Who rate limits count: the user, the API key or the host's session; on a public route the
      // client address (an IPv6 client per /64). Buckets are per surface and rule.
      const who = auth ? credentialOf(auth) : `address:${addressBucket(clientAddress)}`
      const projectId = auth?.projectId ?? SYSTEM_PROJECT
      if (limit)
        headers = rateLimitHeaders(
          await consumeRateLimit(ctx, { projectId, bucket: `${surface.id}.${route.rateLimit}:${who}`, rule: limit }),
        )
      const routeContext: RouteContext = { auth, batchSize: ctx.limits.batchSize[surface.id] ?? 1, clientAddress }
      const wire = route.body
        ? route.body(await readJsonObject(request, ctx.limits.maxBodyBytes), routeContext)
        : route.query
          ? route.query(request.query(), routeContext)
          : {}
      // Path parameters after the body (a body cannot rename the resource in the path), and the
      // caller's project last: no body, query or path can name another project. A public route's
      // operation finds its project from the path itself, so no `projectId` reaches it at all.
      const input = parseInput(route.operation, {
        ...wire,
        ...route.params?.(request.params()),
        projectId: auth?.projectId,
      })
      const keyed = route.rateLimitBy
      const keyedRule = keyed && ctx.limits.rateLimits[surface.id]?.[keyed.rule]
      if (keyed && keyedRule)
        headers = rateLimitHeaders(
          await consumeRateLimit(ctx, {
            projectId,
            bucket: `${surface.id}.${keyed.rule}:${who}:${keyed.by(input)}`,
            rule: keyedRule,
          }),
        )
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

/** Who is counted: the user, the API key, or the host's session (one bucket per project). */
const credentialOf = (auth: AuthContext) =>
  auth.userId !== undefined ? `user:${auth.userId}` : (auth.keyId ?? 'session')

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
      // srvx (Node, Nitro 3) and toNitroHandler set `ip`; some runtimes put it on the context.
      socketAddress: () => {
        const req = event.req as Request & { ip?: string; context?: { clientAddress?: string } }
        return req.ip ?? req.context?.clientAddress
      },
    })
    const body = reply.body
    if (isRawReply(body))
      return new Response(toBodyInit(body.body), { status: reply.status, headers: rawHeaders(reply, body) })
    event.res.status = reply.status
    for (const name in reply.headers) event.res.headers.set(name, reply.headers[name])
    return reply.body
  }
}

/** A raw reply's headers: the route's own, its content type, and the rate-limit headers counted. */
export function rawHeaders(reply: RouteReply, raw: RawReply): Record<string, string> {
  return { ...reply.headers, ...raw.headers, 'content-type': raw.contentType }
}

/** A raw body as a web body; an async iterable becomes a stream that pulls one chunk at a time. */
function toBodyInit(body: RawReply['body']): BodyInit {
  if (typeof body === 'string' || body instanceof Uint8Array) return body as string | Uint8Array<ArrayBuffer>
  const iterator = body[Symbol.asyncIterator]()
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next()
      if (done) controller.close()
      else controller.enqueue(typeof value === 'string' ? encoder.encode(value) : value)
    },
    async cancel() {
      await iterator.return?.()
    },
  })
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
