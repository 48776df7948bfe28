/**
 * Why the egress guard refused or gave up:
 * - `invalid`: not a URL, host or port telltale can use (`ftp://…`, `a b`, port 0)
 * - `private_address`: loopback, private, CGNAT, unique-local, link-local IPv6… (network.allowPrivateAddresses opens them)
 * - `reserved_address`: unspecified, multicast, broadcast, documentation, reserved: never a destination
 * - `metadata_address`: a cloud metadata or credential endpoint: always refused
 * - `dns`: the name has no address, or the lookup failed
 * - `connect`: refused, reset or unreachable
 * - `timeout`: the connection, or the whole request, took longer than allowed
 * - `tls`: the handshake or the certificate failed
 * - `protocol`: the answer is not HTTP (or breaks it)
 * - `too_large`: the answer is larger than allowed
 * - `too_many_redirects`
 * - `aborted`: the caller's signal aborted
 */
export type EgressReason =
  | 'invalid'
  | 'private_address'
  | 'reserved_address'
  | 'metadata_address'
  | 'dns'
  | 'connect'
  | 'timeout'
  | 'tls'
  | 'protocol'
  | 'too_large'
  | 'too_many_redirects'
  | 'aborted'

/**
 * Every error of the egress guard. `message` is one line a user can read as a check's cause: it
 * names the host and what happened (`api.example.com resolves to 10.0.0.5, a private address
 * (10.0.0.0/8): …`), with a system error's code but never its stack. The system error, if any,
 * is the `cause`.
 */
export class EgressError extends Error {
  /** The address telltale connected to, or refused. */
  readonly address?: string

  constructor(
    readonly reason: EgressReason,
    /** The host as telltale looked it up (normalized: `127.1` is `127.0.0.1`). */
    readonly host: string,
    message: string,
    options: { cause?: unknown; address?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'EgressError'
    this.address = options.address
  }
}

export function isEgressError(error: unknown): error is EgressError {
  return error instanceof EgressError
}

const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  EADDRNOTAVAIL: 'address not available',
}

/**
 * A system error from a socket, TLS or the HTTP parser, as an EgressError: one line, the code in
 * parentheses. An EgressError passes as it is.
 */
export function toEgressError(error: unknown, host: string, address?: string): EgressError {
  if (error instanceof EgressError) return error
  const code = String((error as { code?: unknown })?.code ?? '')
  const text = firstLine(error)
  const at = address && address !== host ? ` (${address})` : ''
  const tagged = (words: string) => `${words}${code && !words.includes(code) ? ` (${code})` : ''}`
  const options = { cause: error, address }
  if (code in CONNECT_WORDS)
    return new EgressError('connect', host, `${host}${at}: ${tagged(CONNECT_WORDS[code])}`, options)
  if (code.startsWith('HPE_') || code === 'ERR_HTTP_CONTENT_LENGTH_MISMATCH')
    return new EgressError('protocol', host, `${host}${at}: invalid HTTP response: ${tagged(text)}`, options)
  if (isTlsError(error, code)) return new EgressError('tls', host, `${host}${at}: TLS failed: ${tagged(text)}`, options)
  if (code === 'ECONNABORTED' || text === 'socket hang up')
    return new EgressError('connect', host, `${host}${at}: the server closed the connection`, options)
  return new EgressError('connect', host, `${host}${at}: ${tagged(text)}`, options)
}

function isTlsError(error: unknown, code: string): boolean {
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_|ERR_OSSL_)/.test(code)) return true
  return typeof (error as { library?: unknown })?.library === 'string'
}

/** The first line of an error's message, at most 200 characters. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n', 1)[0].trim()
  return line.length > 200 ? `${line.slice(0, 199)}…` : line || 'failed'
}
