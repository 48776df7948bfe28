import type { Storage } from '../storage'
import type { Clock } from './clock'
import type { DomainHooks } from './domain'
import type { RateLimitRule } from './rate-limit'

/** What every operation and job receives: the store, the time, the limits, the domains' hooks. */
export interface CoreContext {
  storage: Storage
  clock: Clock
  limits: Limits
  hooks: DomainHooks
  /** The egress policy of every outbound connection (the `network` option); `src/net` enforces it. */
  network: NetworkOptions
  /** The host's secret (the `secret` option) that signs user tokens; without it one is kept in the store. */
  secret: string | undefined
  /** Where this instance checks monitors from (the `location` option). */
  location: Location
}

/** A check location: an id (`eu-frankfurt`) and the name users see (`EU (Frankfurt)`). */
export interface Location {
  id: string
  name: string
}

/**
 * Request size, batch and rate limits, resolved: every field has a value. Hosts set them through
 * `limits` (`src/limits.ts`, typed by the surfaces' own declarations).
 */
export interface Limits {
  /** Largest request body accepted, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes: number
  /** Items per batch request, by surface id (each surface's own `batchSize` by default). */
  batchSize: Record<string, number>
  /** How far in the future an event timestamp may be (clock skew). Default 1 hour. */
  futureToleranceMs: number
  /** How long a user token is valid after login. Default 7 days. */
  tokenTtlMs: number
  /**
   * Per-credential request limits by surface and rule, counted in the store (so they hold across
   * instances). `false` turns one off. Defaults live with each surface (`src/surfaces/<id>/index.ts`).
   */
  rateLimits: Record<string, Record<string, RateLimitRule | false>>
}

/** One answer for a name, as `dns.lookup(name, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string
  family: number
}

/** The `network` option: the egress policy of every outbound connection telltale makes. */
export interface NetworkOptions {
  /**
   * `true` opens loopback, private (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), benchmarking
   * (198.18/15), unique-local (fc00::/7) and link-local IPv6 (fe80::/10): for tests and self-hosted
   * intranets. A list of addresses and ranges (`['10.1.0.0/16', '127.0.0.1']`) opens only those.
   * Cloud metadata and reserved addresses stay refused whatever this says. Default `false`.
   */
  allowPrivateAddresses?: boolean | string[]
  /**
   * Answers a host name (default `dns.lookup(name, { all: true })`). Tests map names to local
   * addresses with it; a host may plug in a resolver of its own. Every answer is checked.
   */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>
}
