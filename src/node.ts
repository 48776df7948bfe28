import type { IncomingMessage, ServerResponse } from 'node:http'
import { toNodeHandler as toStreamingNodeHandler } from 'srvx/node'
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
export function toNodeHandler(telltale: Pick<Telltale, 'fetch'> & Partial<Pick<Telltale, 'handles'>>): NodeHandler {
  const streaming = toStreamingNodeHandler((request) => telltale.fetch(request))
  return async (req, res, next) => {
    if (next && telltale.handles && !telltale.handles(pathOf(req.url), req.method ?? 'GET')) return next()
    if (bodyWasConsumed(req as ParsedRequest)) await replayParsedBody(telltale, req as ParsedRequest, res)
    else await streaming(req as never, res as never)
  }
}

function bodyWasConsumed(req: ParsedRequest): boolean {
  return req.body !== undefined && (req._body === true || req.readableEnded)
}

async function replayParsedBody(telltale: Pick<Telltale, 'fetch'>, req: ParsedRequest, res: ServerResponse): Promise<void> {
  const body = typeof req.body === 'string' ? req.body : Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : JSON.stringify(req.body)
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
