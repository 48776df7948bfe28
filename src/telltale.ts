import { cronerScheduler } from '../adapters/croner'
import { createApi, type TelltaleApi } from './api'
import { type Clock, systemClock } from './core/clock'
import type { CoreContext, Location, NetworkOptions } from './core/context'
import type { Domain } from './core/domain'
import { isTelltaleError, TelltaleError } from './core/errors'
import { HOUSEKEEPING_EVERY_MS, housekeeping } from './core/housekeeping'
import { randomBase62 } from './core/ids'
import { DOMAINS, operationsOf } from './domains'
import { createHttpApp, normalizeBasePath, routePath } from './http/app'
import type { AuthResolver } from './http/auth'
import type { RouteRunner } from './http/route'
import { type LimitsOption, resolveLimits } from './limits'
import { checkOptions, locationOf } from './options'
import type { Scheduler } from './scheduler'
import type { Storage } from './storage'
import { checkSurfaces, routeMatcher, SURFACES, type Surface, type SurfaceSwitches, servedSurfaces } from './surfaces'

export interface TelltaleOptions {
  /** Where everything is kept: `sqliteStorage(...)`, `postgresStorage(...)`. */
  storage: Storage
  /** Runs background work. Default: `cronerScheduler()` (in-process timers). */
  scheduler?: Scheduler
  /** The path telltale is mounted under when the host passes full URLs (e.g. `/telltale`). */
  basePath?: string
  /** Default: the system clock. Tests pass a fake one. */
  clock?: Clock
  /** Resolve a request to `{ projectId, scopes }` with the host's own sessions (falls back to API keys). */
  auth?: AuthResolver
  /** Body size, batch sizes, timestamp tolerance, rate limits per surface and rule. */
  limits?: LimitsOption
  /**
   * Leaves a surface out (`{ flux: false }`): its routes are not served or claimed, so a host
   * whose own app owns those paths keeps them. Keyed by surface id; every surface is on by default.
   */
  surfaces?: SurfaceSwitches
  /**
   * How many proxies stand in front of the host (as Express's `trust proxy` counts them). Then
   * the client address of public routes' rate limits is the one those proxies report in
   * `X-Forwarded-For`, never an entry the client could have written. Default 0: the socket's.
   */
  trustProxy?: number
  /**
   * The egress policy of every outbound connection (monitor checks, webhooks, WHOIS/RDAP, imports):
   * `{ allowPrivateAddresses: true }` opens loopback and private ranges (tests, intranets);
   * `resolve` answers host names instead of DNS. Cloud metadata addresses stay refused.
   */
  network?: NetworkOptions
  /**
   * Signs user tokens (StatusCore login): at least 32 characters, the same on every instance.
   * Without it, one is generated once and kept in the store, so tokens hold across restarts and
   * instances. Changing it ends every token made before.
   */
  secret?: string
  /**
   * This instance's check location, for uptime monitors: `{ id: 'eu-frankfurt', name: 'EU (Frankfurt)' }`
   * or an id alone (its name is then the id). Instances in one place share it. Default `default`.
   */
  location?: string | Location
  /**
   * @internal The API surfaces to serve. Default: all of them. Tests add a surface of their own
   * this way to prove that a surface is a folder and a line.
   */
  surfaceList?: readonly Surface[]
  /**
   * @internal The domains to run. Default: all of them. Tests add a domain of their own this way
   * to prove that a domain is a folder and a line.
   */
  domains?: readonly Domain[]
}

/**
 * telltale's h3 (v2) app, typed by what hosts call on it, so that h3's own declarations stay out
 * of telltale's public types (they need a newer `lib` than many apps use). It is an h3 `H3`.
 */
export interface TelltaleApp {
  /** Web-standard handler: `Request` in, `Response` out. */
  fetch(request: Request): Response | Promise<Response>
  /** A request by URL or path, as h3's `app.request` (tests, server-side calls). */
  request(request: Request | URL | string, init?: RequestInit): Response | Promise<Response>
  /** h3's event handler, which Nitro 3 calls for `export default telltale.app`. */
  handler(event: unknown): unknown
}

export interface Telltale {
  /** The h3 app (Nitro 3: `export default telltale.app`). */
  app: TelltaleApp
  /** Web-standard handler: `Request` in, `Response` out. */
  fetch: (request: Request) => Promise<Response>
  /** The same operations as the HTTP API, in-process. */
  api: TelltaleApi
  /** Runs migrations once and starts the scheduler. Concurrent calls share one run. */
  ready: () => Promise<void>
  /** Stops the scheduler and releases what telltale opened (not a client you passed in). */
  close: () => Promise<void>
  /**
   * Whether telltale serves a route at `method` + `pathname` (with or without `basePath`).
   * Middleware adapters pass every other request on to the host, whatever its prefix.
   */
  handles: (pathname: string, method: string) => boolean
  /** @internal The route runner for `toNodeHandler`'s direct path (see `HttpApp.routeFor`). */
  routeFor?: (method: string, pathname: string) => RouteRunner | undefined
}

export function createTelltale(options: TelltaleOptions): Telltale {
  checkOptions(options)
  const allSurfaces = options.surfaceList ?? SURFACES
  checkSurfaces(allSurfaces)
  const surfaces = servedSurfaces(allSurfaces, options.surfaces)
  const domains = options.domains ?? DOMAINS
  const operations = operationsOf(domains)
  const ctx: CoreContext = {
    storage: options.storage,
    clock: options.clock ?? systemClock,
    limits: resolveLimits(options.limits, allSurfaces),
    hooks: { onEventsStored: domains.flatMap((d) => (d.onEventsStored ? [d.onEventsStored] : [])) },
    network: options.network ?? {},
    secret: options.secret,
    location: locationOf(options.location),
  }
  const scheduler = options.scheduler ?? cronerScheduler()
  /** Identifies this instance's claims on shared jobs. */
  const instanceId = randomBase62(12)
  scheduler.every('telltale:housekeeping', { intervalMs: HOUSEKEEPING_EVERY_MS }, () =>
    housekeeping(ctx, instanceId).then(() => {}),
  )
  for (const job of domains.flatMap((d) => d.jobs ?? []))
    scheduler.every(`telltale:${job.name}`, { intervalMs: job.everyMs }, () => job.run(ctx, instanceId).then(() => {}))

  let readying: Promise<void> | undefined
  let closed = false
  const ready = (): Promise<void> => {
    if (closed) return Promise.reject(new TelltaleError('unavailable', 'This telltale instance is shut down.'))
    readying ??= (async () => {
      await ctx.storage.migrate()
      scheduler.start()
    })().catch((error) => {
      if (!isTelltaleError(error))
        error = new TelltaleError(
          'unavailable',
          `telltale: the ${ctx.storage.name} storage could not be opened: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        )
      readying = undefined // a failed start (database down) may be retried
      throw error
    })
    return readying
  }

  // A request that finds the store unopenable gets a 503 that names nothing of the setup; the
  // reason (which host, which option) goes to the log, once until it changes.
  let loggedReason: string | undefined
  const readyForRequests = (): Promise<void> =>
    ready().catch((error: TelltaleError) => {
      if (closed) throw error
      if (error.message !== loggedReason) console.error(`[telltale] cannot serve requests: ${error.message}`)
      loggedReason = error.message
      throw new TelltaleError('unavailable', 'The service is unavailable.', { cause: error })
    })

  const basePath = normalizeBasePath(options.basePath)
  const { app, routeFor } = createHttpApp(ctx, {
    basePath,
    auth: options.auth,
    ready: readyForRequests,
    surfaces,
    trustProxy: options.trustProxy ?? 0,
  })
  const servesRoute = routeMatcher(surfaces)
  return {
    app,
    fetch: async (request) => app.fetch(request),
    api: createApi(ctx, operations, ready),
    ready,
    handles: (pathname, method) => servesRoute(routePath(pathname, basePath), method),
    routeFor,
    async close() {
      if (closed) return
      closed = true
      // A ready() still migrating starts the scheduler when it finishes: let it, then stop it.
      await readying?.catch(() => {})
      await scheduler.stop()
      await ctx.storage.close()
    },
  }
}
