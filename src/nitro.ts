import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Telltale } from './telltale'

/**
 * The parts of an h3 v1 `H3Event` (nitropack 2, Nuxt 3 and 4) this adapter reads. Structural, so
 * telltale does not depend on h3 v1: its own h3 is v2, which Nitro 3 mounts directly.
 */
export interface H3V1Event {
  /** The path after Nitro's `app.baseURL`, with the query. */
  path: string
  method: string
  node: { req: IncomingMessage & { body?: unknown; rawBody?: unknown }; res?: ServerResponse }
  /** Set when h3 v1 runs on a web runtime (workers); then it holds the incoming `Request`. */
  web?: { request?: Request }
  /** h3 v1's router sets `matchedRoute.path`, the route pattern (`/telltale/**` for `routes/telltale/[...].ts`). */
  context: { matchedRoute?: { path?: string } }
}

/** An h3 v1 event handler: a function marked the way `defineEventHandler` marks it. */
export interface H3V1EventHandler {
  (event: H3V1Event): Promise<Response>
  __is_handler__: true
}

export interface NitroHandlerOptions {
  /**
   * The path the handler is mounted at, stripped before telltale routes the request (`/telltale`).
   * Default: derived from the route that matched, so `server/routes/telltale/[...].ts` serves
   * telltale's `/api/events` at `/telltale/api/events` with no `basePath`.
   */
  prefix?: string
}

/**
 * Mounts telltale in nitropack 2 and Nuxt (h3 v1), from a catch-all route file:
 *
 * ```ts
 * // server/routes/telltale/[...].ts
 * import { toNitroHandler } from 'telltale/nitro'
 * export default toNitroHandler(telltale) // `telltale` from server/utils/telltale.ts
 * ```
 *
 * The event becomes a web `Request` (as h3 v1's `toWebRequest` does: the body is streamed, so the
 * body size limit holds while reading), the mount prefix is cut from its path, and telltale's
 * `Response` is returned, which h3 v1 sends as it is. Nitro 3 needs none of this: its route files
 * `export default telltale.app` (with `basePath`).
 */
export function toNitroHandler(telltale: Pick<Telltale, 'fetch'>, options: NitroHandlerOptions = {}): H3V1EventHandler {
  const handler = async (event: H3V1Event) => telltale.fetch(toRequest(event, options.prefix))
  return Object.assign(handler, { __is_handler__: true as const })
}

function toRequest(event: H3V1Event, prefix?: string): Request {
  const path = stripPrefix(event.path, prefix ?? prefixOf(event))
  // On a web runtime the original request is there already: only its path changes.
  if (event.web?.request) return new Request(new URL(event.web.request.url).origin + path, event.web.request)
  const req = event.node.req
  const url = `${isEncrypted(req) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${path}`
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue // HTTP/2 pseudo-headers
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const method = event.method.toUpperCase()
  const body = method === 'GET' || method === 'HEAD' ? undefined : bodyOf(req, event.node.res)
  if (body !== undefined && !(body instanceof ReadableStream)) {
    // a body read before us is sent re-encoded: its length is no longer the announced one
    headers.delete('content-length')
    headers.delete('transfer-encoding')
  }
  const request = new Request(url, { method, headers, body, duplex: 'half' } as RequestInit)
  // The socket's address, where srvx puts it (`request.ip`), for public routes' rate limits.
  return Object.defineProperty(request, 'ip', { value: req.socket?.remoteAddress, enumerable: false })
}

/**
 * The mounted prefix: as many leading segments of the path as the matched route has before its
 * `**` (so `/telltale/**` gives `/telltale`, and `/:org/telltale/**` gives `/acme/telltale`).
 */
function prefixOf(event: H3V1Event): string {
  const route = event.context.matchedRoute?.path
  const wildcard = route?.indexOf('/**') ?? -1
  if (!route || wildcard === -1) return ''
  const segments = route.slice(0, wildcard).split('/').filter(Boolean).length
  return `/${pathOf(event.path).split('/').filter(Boolean).slice(0, segments).join('/')}`
}

function stripPrefix(path: string, prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '')
  if (!trimmed || (path !== trimmed && !path.startsWith(`${trimmed}/`) && !path.startsWith(`${trimmed}?`))) return path
  const rest = path.slice(trimmed.length)
  return rest.startsWith('/') ? rest : `/${rest}`
}

/**
 * The body as a stream that reads `req` only while telltale reads the stream. A body that
 * something already read (Nitro's internal `$fetch`, a body parser) sits on `req.body` or
 * `req.rawBody` instead.
 */
function bodyOf(
  req: H3V1Event['node']['req'],
  res: H3V1Event['node']['res'],
): BodyInit | ReadableStream<Uint8Array> | undefined {
  const parsed = req.rawBody ?? req.body
  if (parsed !== undefined && parsed !== null) {
    if (typeof parsed === 'string' || parsed instanceof Uint8Array) return parsed as BodyInit
    return JSON.stringify(parsed)
  }
  if (req.readableEnded) return undefined
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let reading = false
  let open = true // after cancel or end, the controller throws on use
  const onData = (chunk: Buffer) => {
    if (!open) return
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    if ((controller.desiredSize ?? 0) <= 0) req.pause()
  }
  const stop = (): boolean => {
    const was = open
    open = false
    req.off('data', onData)
    return was
  }
  // Whatever telltale left unread (a body refused by its Content-Length, or cut off at the
  // limit) is drained, so that the answer goes out and the connection stays usable.
  const drain = () => {
    if (stop() && reading && !req.readableEnded) req.resume()
  }
  res?.once('finish', drain)
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      // The first read attaches the listeners: a body never read is left to Node, which drains it.
      pull() {
        if (!reading) {
          reading = true
          req.on('data', onData)
          req.once('end', () => {
            if (stop()) controller.close()
          })
          req.once('error', (error) => {
            if (stop()) controller.error(error)
          })
        }
        req.resume()
      },
      cancel: drain,
    },
    { highWaterMark: 0 },
  )
}

function isEncrypted(req: IncomingMessage): boolean {
  return Boolean((req.socket as { encrypted?: boolean } | null)?.encrypted)
}

function pathOf(path: string): string {
  const end = path.search(/[?#]/)
  return end === -1 ? path : path.slice(0, end)
}
