// The egress guard: every outbound connection telltale makes (HTTP(S) checks, webhooks, RDAP,
// WHOIS, TCP and SIP checks, ping, importers) goes through createEgress. README, "Outbound network".
import type { Socket } from 'node:net'
import { budget } from './deadline'
import { type FetchOptions, type FetchResponse, fetchChecked } from './fetch'
import { type NetworkOptions, networkPolicy } from './options'
import { type CheckedAddress, resolveChecked } from './resolve'
import { type ConnectOptions, connectChecked, type ExchangeOptions, type ExchangeResult, exchange } from './socket'

export { EgressError, type EgressReason, isEgressError } from './errors'
export type { FetchOptions, FetchResponse } from './fetch'
export type { Certificate, Timings } from './http'
export { checkNetworkOption, type NetworkOptions, type ResolvedAddress } from './options'
export type { CheckedAddress } from './resolve'
export type { ConnectOptions, ExchangeOptions, ExchangeResult } from './socket'

export interface Egress {
  /** Every address `host` resolves to, each checked; an EgressError if one is refused. */
  resolve(host: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CheckedAddress[]>
  /**
   * The checked address to send to: for a dgram socket (SIP over UDP), or the IP literal to hand
   * to the system `ping`, never the name (which `ping` would look up again).
   */
  target(host: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CheckedAddress>
  /** An HTTP(S) request; redirects are followed by hand, each one checked. */
  fetch(url: string | URL, options?: FetchOptions): Promise<FetchResponse>
  /** A TCP socket connected to a checked address (the caller bounds its life). */
  connect(options: ConnectOptions): Promise<Socket>
  /** Connect, send, read the answer until the server closes: WHOIS, SIP over TCP. */
  exchange(options: ExchangeOptions): Promise<ExchangeResult>
}

/** The egress guard for one `network` option (checked: a mistake is a config error). */
export function createEgress(options?: NetworkOptions): Egress {
  const policy = networkPolicy(options)
  const resolve: Egress['resolve'] = async (host, { timeoutMs = 10_000, signal } = {}) =>
    (await resolveChecked(host, policy, budget(timeoutMs, signal))).addresses
  return {
    resolve,
    target: async (host, lookup) => (await resolve(host, lookup))[0],
    fetch: (url, fetchOptions = {}) => fetchChecked(url, fetchOptions, policy),
    connect: (connectOptions) => connectChecked(connectOptions, policy),
    exchange: (exchangeOptions) => exchange(exchangeOptions, policy),
  }
}

const egresses = new WeakMap<NetworkOptions, Egress>()

/** The egress guard of a telltale instance's `network` option (`ctx.network`), made once. */
export function egressOf(ctx: { network: NetworkOptions }): Egress {
  const made = egresses.get(ctx.network)
  if (made) return made
  const egress = createEgress(ctx.network)
  egresses.set(ctx.network, egress)
  return egress
}
