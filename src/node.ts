import type { IncomingMessage, ServerResponse } from 'node:http'
import { toNodeHandler as toStreamingNodeHandler } from 'srvx/node'
import { readNodeText } from './http/body'
import { type RouteReply, type RouteRunner, rawHeaders } from './http/route'
import { isRawReply, type RawReply } from './surfaces'
import type { Telltale } from './telltale'

type ParsedRequest = IncomingMessage & { body?: unknown; _body?: boolean }
/** A `node:http` handler, and Connect/Express middleware (`next` given). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>

/**
 * Mounts telltale in Express, Connect or `node:http`: `app.use(toNodeHandler(telltale))`.
 *
 * Express strips its mount path from `req.url`, and telltale serves that at its root; hosts that
 * pass full URLs set `basePath` instead. Bodies are streamed (so size limits hold while reading).
 * If a body parser such as `express.json()` ran first and consumed the body, the parsed value is
 * re-encoded as JSON, so telltale still works, only without streaming.
 *
 * As middleware (Express passes `next`), telltale claims only the routes it serves (method and
 * path); every other request goes on to the host's own routes, whatever its prefix, so telltale
 * may be mounted at the root ahead of them.
 */
export function toNodeHandler(
  telltale: Pick<Telltale, 'fetch'> & Partial<Pick<Telltale, 'handles' | 'routeFor'>>,
): NodeHandler {
  const streaming = toStreamingNodeHandler((request) => telltale.fetch(request))
  return async (req, res, next) => {
    const pathname = pathOf(req.url)
    const method = req.method ?? 'GET'
    if (next && telltale.handles && !telltale.handles(pathname, method)) return next()
    const consumed = bodyWasConsumed(req as ParsedRequest)
    const run = consumed ? undefined : telltale.routeFor?.(method, pathname)
    if (run) await runDirect(run, req, res, pathname)
    else if (consumed) await replayParsedBody(telltale, req as ParsedRequest, res)
    else await streaming(req as never, res as never)
  }
}

/**
 * A known route, called without h3: the same runner as `telltale.app`'s, but reading Node's
 * request and writing Node's response directly, with no web `Request`, `Headers`, body stream or
 * `Response` built per request (which cost more than telltale's own work on a small event).
 */
async function runDirect(run: RouteRunner, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const reply = await run({
    pathname,
    header: (name) => headerOf(req, name),
    query: () => new URLSearchParams(req.url?.slice(pathname.length + 1) ?? ''),
    params: () => ({}), // only routes without path parameters are served directly
    text: (maxBytes) => readNodeText(req, maxBytes),
    webRequest: () => {
      throw new Error('telltale: routes with an auth resolver go through telltale.fetch')
    },
    socketAddress: () => req.socket?.remoteAddress,
  })
  await send(res, reply)
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

async function send(res: ServerResponse, reply: RouteReply): Promise<void> {
  const raw = reply.body
  if (isRawReply(raw)) return sendRaw(res, reply.status, rawHeaders(reply, raw), raw.body)
  const body = JSON.stringify(reply.body)
  res.statusCode = reply.status
  res.setHeader('content-type', 'application/json;charset=UTF-8')
  res.setHeader('content-length', Buffer.byteLength(body))
  for (const name in reply.headers) res.setHeader(name, reply.headers[name])
  res.end(body)
}

/**
 * HTML, CSV, a stream... as the route gave it. A stream is written a chunk at a time, waiting for
 * `drain` when the socket's buffer is full (so a large export never sits in memory), and stops
 * pulling chunks when the client goes away.
 */
async function sendRaw(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: RawReply['body'],
): Promise<void> {
  res.statusCode = status
  for (const name in headers) res.setHeader(name, headers[name])
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.setHeader('content-length', Buffer.byteLength(body))
    res.end(body)
    return
  }
  try {
    for await (const chunk of body) {
      if (res.destroyed) break // leaving the loop ends the iterator: the producer stops
      if (!res.write(chunk)) await drained(res)
    }
    res.end()
  } catch (error) {
    // The status line is gone: all that is left is to cut the response short, so the client sees it incomplete.
    console.error('[telltale] a streamed reply failed', error)
    res.destroy()
  }
}

/** Resolves when the response can take more (`drain`) or is gone (`close`). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done)
      resolve()
    }
    res.on('drain', done).on('close', done)
  })
}

function bodyWasConsumed(req: ParsedRequest): boolean {
  return req.body !== undefined && (req._body === true || req.readableEnded)
}

async function replayParsedBody(
  telltale: Pick<Telltale, 'fetch'>,
  req: ParsedRequest,
  res: ServerResponse,
): Promise<void> {
  const body =
    typeof req.body === 'string'
      ? req.body
      : Buffer.isBuffer(req.body)
        ? new Uint8Array(req.body)
        : JSON.stringify(req.body)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  })
  const response = await telltale.fetch(request)
  res.statusCode = response.status
  for (const [name, value] of response.headers) res.setHeader(name, value)
  res.end(Buffer.from(await response.arrayBuffer()))
}

function pathOf(url = '/'): string {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}
