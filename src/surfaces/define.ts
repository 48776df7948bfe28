import type { z } from 'zod'
import type { TelltaleError } from '../core/errors'
import type { Operation } from '../core/operation'
import type { RateLimitRule } from '../core/rate-limit'
import type { Scope, UserRole } from '../storage'

/** Who a request acts for. Every route reads and writes only `projectId`'s data. */
export interface AuthContext {
  projectId: string
  scopes: Scope[]
  /** The API key used, when the request authenticated with one. */
  keyId?: string
  /** The user, when the request came with a user's token (StatusCore login). */
  userId?: number
  role?: UserRole
}

/** What a route's input mapping may look at besides the request's body or query. */
export interface RouteContext {
  /** The caller; `undefined` on a public route. */
  auth: AuthContext | undefined
  /** Items a batch request of this route's surface may hold (its `batchSize`, or the host's `limits.batchSize[id]`). */
  batchSize: number
  /**
   * The client's address (the socket's, or with `trustProxy` the one the host's proxies report);
   * `undefined` where the host gives none (a bare `telltale.fetch`).
   */
  clientAddress: string | undefined
}

/**
 * A reply that is not JSON: HTML, SVG, CSV... with its own `Content-Type` and headers
 * (`Cache-Control`, `Content-Disposition`). An async iterable body is streamed with backpressure,
 * so a large export is never built in memory.
 */
export interface RawReply {
  readonly raw: true
  contentType: string
  body: string | Uint8Array | AsyncIterable<string | Uint8Array>
  headers?: Record<string, string>
}

/** A route's reply that is sent as it is instead of as JSON (see `RawReply`). */
export const rawReply = (reply: Omit<RawReply, 'raw'>): RawReply => ({ raw: true, ...reply })

export const isRawReply = (body: unknown): body is RawReply =>
  typeof body === 'object' && body !== null && (body as { raw?: unknown }).raw === true && 'contentType' in body

/**
 * One endpoint: which operation it calls, how the request becomes the operation's input, and how
 * the output becomes the documented reply. The router runs the same prologue for every route:
 * ready → authenticate → scope → rate limit → read body or query → validate → run → reply.
 */
/** The methods a route may answer (h3's own type is not used, to keep h3's declarations out of telltale's public types). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Route<Schema extends z.ZodType = z.ZodType, Output = unknown, Rule extends string = string> {
  method: HttpMethod
  path: string
  operation: Operation<Schema, Output>
  /** The scope a credential needs. Default: the operation's. */
  scope?: Scope
  /**
   * No credential is asked for. The operation names its project itself, from the path (a slug or
   * an unguessable token), since no caller's project is added to its input; the route's
   * `rateLimit` counts per client address.
   */
  public?: boolean
  /** A rule of the surface's `rateLimits`, counted per credential before the body is read. */
  rateLimit?: Rule
  /**
   * A second rule counted once the input is valid, per credential (or client address) and the key
   * `by` derives from the input: login attempts per email and address, so a stranger elsewhere
   * cannot lock a user out.
   */
  rateLimitBy?: { rule: Rule; by: (input: z.output<Schema>) => string }
  /**
   * Wire → operation input from the JSON object body (read and size-checked by the router).
   * The caller's `projectId` is added after, so a body can never name another project.
   */
  body?: (body: Record<string, unknown>, route: RouteContext) => Record<string, unknown>
  /** Wire → operation input from the query string. */
  query?: (params: URLSearchParams, route: RouteContext) => Record<string, unknown>
  /**
   * Path parameters (`:uuid`, `:slug`) → operation input, merged over the body's or query's. A
   * parameter may be followed by a literal suffix in its segment (`/d/:token.html`).
   */
  params?: (params: Record<string, string>) => Record<string, unknown>
  /** Success status. Default 200. */
  status?: number | ((output: Output) => number)
  /** The documented reply: a JSON value, or a `rawReply(...)` for HTML, SVG, CSV and streams. */
  reply: (output: Output, input: z.output<Schema>) => unknown
}

/** Turns a `TelltaleError` into the documented error body of a surface. */
export type ErrorFormatter = (error: TelltaleError) => unknown

export interface Surface<Id extends string = string, Rule extends string = string> {
  /** Key of this surface in `limits.rateLimits` and `limits.batchSize` (`statusBlocks`, `flux`). */
  id: Id
  /** Path prefixes this surface answers under; every path below one is this surface's. */
  prefixes: string[]
  errors: ErrorFormatter
  /** Default rate limits by rule name; hosts override them in `limits.rateLimits[id]`. */
  rateLimits?: Record<Rule, RateLimitRule | false>
  /** Items per batch request, for a surface with batch routes; hosts override it in `limits.batchSize[id]`. */
  batchSize?: number
  routes: Array<Route<z.ZodType, unknown, Rule>>
}

/**
 * A surface, typed by its id and the names of its rate limits: a route whose `rateLimit` names
 * no rule of the surface is a type error here (and `checkSurfaces` refuses it for untyped callers),
 * and `limits.rateLimits` is typed from the surfaces (`RateLimits`).
 */
export const defineSurface = <const Id extends string, const Rule extends string = never>(
  surface: Omit<Surface<Id, Rule>, 'routes'> & { routes: Array<Route<z.ZodType, unknown, NoInfer<Rule>>> },
): Surface<Id, Rule> => surface

/** Typed route definition: `reply` sees the operation's real output and parsed input; `rateLimit` keeps its name. */
export const defineRoute = <Schema extends z.ZodType, Output, const Rule extends string = never>(
  route: Route<Schema, Output, Rule>,
): Route<z.ZodType, unknown, Rule> => route as unknown as Route<z.ZodType, unknown, Rule>
