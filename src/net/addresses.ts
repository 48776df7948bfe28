import { isIP } from 'node:net'
import { formatIPv4, inPrefix, parseIPv4, parseIPv6, withoutZone } from './ip'
import { RANGES, type RangeClass } from './ranges'

/**
 * What an IP address is, for the egress guard: `public`, or the range that makes it private
 * (allowPrivateAddresses opens it), reserved or metadata (never opened). IPv6 forms that carry an
 * IPv4 address (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by
 * the worst of the form itself and every IPv4 address they carry.
 */
export interface Verdict {
  class: RangeClass | 'public'
  /** The range that decided, e.g. `{ name: 'loopback', cidr: '127.0.0.0/8' }`; absent when public. */
  range?: { name: string; cidr: string }
  /** The address that decided: the carried IPv4 address when it was one (`127.0.0.1` for `::ffff:7f00:1`). */
  address: string
  /** How the deciding IPv4 address was carried, e.g. `IPv4-mapped`. */
  form?: string
}

const SEVERITY = { public: 0, private: 1, reserved: 2, metadata: 3 } as const

/** `address` is an IP literal (`isIP` says 4 or 6; an IPv6 zone such as `%eth0` is ignored). */
export function classify(address: string): Verdict {
  const text = withoutZone(address)
  const family = isIP(text)
  if (family === 4) return classifyBytes(parseIPv4(text), text)
  if (family !== 6) throw new TypeError(`not an IP address: ${address}`)
  const bytes = parseIPv6(text)
  const own = classifyBytes(bytes, text)
  const carried = embedded(bytes).map(({ form, ipv4 }) => ({ ...classifyBytes(ipv4, formatIPv4(ipv4)), form }))
  return [own, ...carried].reduce((worst, next) => (SEVERITY[next.class] > SEVERITY[worst.class] ? next : worst))
}

function classifyBytes(bytes: Uint8Array, text: string): Verdict {
  const range = RANGES.find((candidate) => inPrefix(bytes, candidate))
  if (!range || range.class === 'public') return { class: 'public', address: text }
  return { class: range.class, range: { name: range.name, cidr: range.cidr }, address: text }
}

/** The IPv4 addresses an IPv6 address carries, by the form it has. */
function embedded(b: Uint8Array): Array<{ form: string; ipv4: Uint8Array }> {
  const zero = (from: number, to: number) => b.subarray(from, to).every((byte) => byte === 0)
  const word = (i: number) => (b[i] << 8) | b[i + 1]
  const last = b.slice(12, 16)
  if (zero(0, 10) && word(10) === 0xffff) return [{ form: 'IPv4-mapped', ipv4: last }]
  if (zero(0, 8) && word(8) === 0xffff && zero(10, 12)) return [{ form: 'IPv4-translated', ipv4: last }]
  // ::/96 but not :: and ::1, which are themselves.
  if (zero(0, 15) && b[15] <= 1) return []
  if (zero(0, 12)) return [{ form: 'IPv4-compatible', ipv4: last }]
  if (word(0) === 0x64 && word(2) === 0xff9b && zero(4, 12)) return [{ form: 'NAT64', ipv4: last }]
  if (word(0) === 0x2002) return [{ form: '6to4', ipv4: b.slice(2, 6) }]
  if (word(0) === 0x2001 && word(2) === 0)
    return [
      { form: 'Teredo server', ipv4: b.slice(4, 8) },
      { form: 'Teredo client', ipv4: last.map((byte) => byte ^ 0xff) },
    ]
  return []
}

/**
 * A host as a person or a URL wrote it, as telltale will look it up: IPv4 in any spelling
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) becomes dotted decimal, `[::1]` loses its
 * brackets, names become lowercase ASCII (punycode). Undefined when it is not a host name.
 */
export function normalizeHost(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  // An IPv6 literal; its zone (`%eth0`) names an interface, and keeps its case.
  if (isIP(withoutZone(bare)) === 6) return bare.replace(/^[^%]*/, (address) => address.toLowerCase())
  // Whitespace, controls, and what a URL would read as something else than the host.
  if (bare === '' || bare.length > 253 || /[\s/\\?#@:%[\]\p{Cc}]/u.test(bare)) return undefined
  try {
    // The WHATWG URL host parser, the one http URLs go through: it turns every IPv4 spelling
    // getaddrinfo would accept into dotted decimal and refuses the invalid ones (`1.2.3.256`).
    const hostname = new URL(`http://${bare}/`).hostname
    return hostname === '' ? undefined : hostname
  } catch {
    return undefined
  }
}
