import type { IncomingHttpHeaders } from 'node:http'
import { abortError, budget } from './deadline'
import { EgressError } from './errors'
import { type Certificate, hop, type Timings } from './http'
import type { NetworkPolicy } from './options'
import { resolveChecked } from './resolve'

export interface FetchOptions {
  /** Default `GET`. */
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  /** The whole call, redirects included, from the DNS lookup to the last byte. Default 30 s. */
  timeoutMs?: number
  /** Each TCP connection. Default 10 s (never more than what is left of `timeoutMs`). */
  connectTimeoutMs?: number
  /** The largest response body read; a larger one is an error (`too_large`). Default 1 MiB. */
  maxBytes?: number
  /** Redirects followed, each checked like the first request. Default 5. */
  maxRedirects?: number
  /** `manual` returns a redirect as it is. Default `follow`. */
  redirect?: 'follow' | 'manual'
  signal?: AbortSignal
  /** For HTTPS: extra trusted certificates, or `rejectUnauthorized: false` to read an invalid one. */
  tls?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean }
}

export interface FetchResponse {
  status: number
  statusText: string
  headers: IncomingHttpHeaders
  /** At most `maxBytes`, as it came (no decompression). */
  body: Buffer
  /** The final URL, after redirects (without credentials). */
  url: string
  /** The address the final request connected to: one the guard checked. */
  address: string
  certificate?: Certificate
  timings: Timings
}

export const FETCH_DEFAULTS = {
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxBytes: 1024 * 1024,
  maxRedirects: 5,
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
/** Headers that do not follow a redirect to another origin (a caller's Host would also name its SNI). */
const ORIGIN_BOUND = ['authorization', 'cookie', 'proxy-authorization', 'host']

/**
 * An HTTP(S) request through the guard: the host is resolved and checked before each connection,
 * redirects are followed by hand and each target is checked the same way before it is connected to.
 */
export async function fetchChecked(
  input: string | URL,
  options: FetchOptions,
  policy: NetworkPolicy,
): Promise<FetchResponse> {
  const started = performance.now()
  const { timeoutMs, connectTimeoutMs, maxBytes, maxRedirects } = { ...FETCH_DEFAULTS, ...defined(options) }
  const limits = budget(timeoutMs, options.signal)
  const follow = options.redirect !== 'manual'
  let url = httpUrl(input)
  let method = (options.method ?? 'GET').toUpperCase()
  let body = options.body
  let headers: Record<string, string> = { 'user-agent': 'telltale', ...lowercase(options.headers ?? {}) }
  for (let redirects = 0; ; redirects++) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    if (limits.signal?.aborted) throw abortError(host)
    const resolveStart = performance.now()
    const { host: name, addresses } = await resolveChecked(host, policy, limits)
    const resolveMs = performance.now() - resolveStart
    const skipBody = (status: number, responseHeaders: IncomingHttpHeaders) =>
      follow && REDIRECTS.has(status) && responseHeaders.location !== undefined
    const answer = await hop(
      name,
      addresses[0],
      { url, method, headers, body, skipBody, connectTimeoutMs, maxBytes, tls: options.tls },
      limits,
    )
    if (!skipBody(answer.status, answer.headers)) {
      const timings = { resolveMs, ...answer.timings, totalMs: performance.now() - started }
      return { ...answer, url: withoutCredentials(url), timings }
    }
    if (redirects >= maxRedirects)
      throw new EgressError('too_many_redirects', name, `${name}: more than ${maxRedirects} redirects`)
    const next = httpUrl(answer.headers.location!, url)
    if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET'
      body = undefined
      headers = omit(headers, ['content-type', 'content-length'])
    }
    if (next.origin !== url.origin) headers = omit(headers, ORIGIN_BOUND)
    url = next
  }
}

function httpUrl(input: string | URL, base?: URL): URL {
  const text = String(input)
  let url: URL
  try {
    url = new URL(text, base)
  } catch {
    throw new EgressError('invalid', base?.hostname ?? text, `${clip(text)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new EgressError('invalid', url.hostname, `${clip(text)} is not an http or https URL`)
  return url
}

const clip = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 99)}…` : text)

function withoutCredentials(url: URL): string {
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  return copy.href
}

const lowercase = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))

const omit = (headers: Record<string, string>, names: string[]) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)))

/** The options that are set, so `undefined` does not replace a default. */
const defined = (options: FetchOptions) =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<
    typeof FETCH_DEFAULTS
  >
