import type { H3, H3Event, HTTPMethod } from 'h3'
import { type ErrorReply, toErrorReply } from './errors'

export type RouteHandler = (event: H3Event) => Promise<unknown>

export interface Router {
  on(method: HTTPMethod, path: string, handler: RouteHandler): void
}

/**
 * Registers each route at `path` and, when a base path is set, at `basePath + path` too: the same
 * app then works whether the host strips its mount path (Express `app.use('/x', ...)`) or passes
 * the full URL (Nitro catch-all routes, plain `node:http`). Every handler waits for `ready()`
 * (migrations) and turns any error into its surface's documented reply.
 */
export function createRouter(app: H3, options: { basePath: string; ready: () => Promise<void> }): Router {
  const prefixes = options.basePath ? ['', options.basePath] : ['']
  return {
    on(method, path, handler) {
      const wrapped = async (event: H3Event) => {
        try {
          await options.ready()
          return await handler(event)
        } catch (error) {
          return sendError(event, toErrorReply(error, path))
        }
      }
      for (const prefix of prefixes) app.on(method, prefix + path, wrapped)
    },
  }
}

export function sendError(event: H3Event, reply: ErrorReply): unknown {
  event.res.status = reply.status
  for (const [name, value] of Object.entries(reply.headers)) event.res.headers.set(name, value)
  return reply.body
}

/** Normalises a base path option: `'/telltale/'` → `'/telltale'`, `'/'` → `''`. */
export function normalizeBasePath(basePath = ''): string {
  const trimmed = basePath.trim().replace(/\/+$/, '')
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** The request path with the base path removed, for error wording of unmatched routes. */
export function routePath(pathname: string, basePath: string): string {
  return basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`)) ? pathname.slice(basePath.length) || '/' : pathname
}
