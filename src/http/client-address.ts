import { isIP } from 'node:net'

/**
 * The client's address: the socket's, or with `trustProxy: n` (n proxies in front of the host,
 * counted as Express's `trust proxy` counts them) the address the outermost trusted proxy saw.
 * `X-Forwarded-For` is read from the right: each trusted proxy appended the address it was
 * connected from, so only the last n entries are proxies' words; anything left of them may have
 * been written by the client and is never used. Without a socket address or a valid entry there,
 * the address is unknown (`undefined`).
 */
export function clientAddressOf(
  socketAddress: string | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: number,
): string | undefined {
  let address = socketAddress
  if (trustProxy > 0) {
    // Nearest first: the socket is the last proxy; each entry from the right is one hop further out.
    const hops = (forwardedFor ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean)
      .reverse()
    const chain = [socketAddress, ...hops]
    address = chain[Math.min(trustProxy, chain.length - 1)]
  }
  return normalizeAddress(address)
}

/** An IP literal without port, brackets or IPv4-mapped prefix (`::ffff:1.2.3.4` → `1.2.3.4`), or `undefined`. */
export function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  let address = raw.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address)
  if (bracketed) address = bracketed[1]
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'))
  address = address.replace(/%.*$/, '') // an IPv6 zone id
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) address = mapped[1]
  const family = isIP(address)
  if (family === 0) return undefined
  return family === 6 ? address.toLowerCase() : address
}

/**
 * What one client's requests are counted under: the IPv4 address, or the /64 of an IPv6 one
 * (one host usually holds a whole /64, so counting single addresses would let it rotate through
 * 2^64 of them). Unknown addresses share one bucket.
 */
export function addressBucket(address: string | undefined): string {
  if (address === undefined) return 'unknown'
  if (isIP(address) !== 6) return address
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] {
  let text = address
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number)
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const left = head ? head.split(':') : []
  const right = tail === undefined ? [] : tail ? tail.split(':') : []
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16))
}
