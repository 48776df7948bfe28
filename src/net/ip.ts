import { isIP } from 'node:net'

/** An address or a range as bytes: 4 for IPv4, 16 for IPv6, and a prefix length in bits. */
export interface Prefix {
  bytes: Uint8Array
  bits: number
}

export const withoutZone = (address: string) => address.replace(/%.*$/, '')

/** A dotted-decimal IPv4 address `isIP` accepted. */
export function parseIPv4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.'), Number)
}

export const formatIPv4 = (bytes: Uint8Array) => bytes.join('.')

/** An IPv6 address `isIP` accepted (no zone), as 16 bytes. */
export function parseIPv6(text: string): Uint8Array {
  let source = text
  const cut = source.lastIndexOf(':') + 1
  if (source.slice(cut).includes('.')) {
    const [a, b, c, d] = parseIPv4(source.slice(cut))
    source = `${source.slice(0, cut)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, rest] = source.split('::')
  const words = (part: string) => (part === '' ? [] : part.split(':'))
  const groups =
    rest === undefined
      ? words(head)
      : [...words(head), ...Array(8 - words(head).length - words(rest).length).fill('0'), ...words(rest)]
  const bytes = new Uint8Array(16)
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16)
    bytes[2 * i] = value >> 8
    bytes[2 * i + 1] = value & 0xff
  })
  return bytes
}

/** An IP address (a zone is ignored) as bytes; undefined when it is not one. */
export function addressBytes(address: string): Uint8Array | undefined {
  const text = withoutZone(address)
  const family = isIP(text)
  return family === 4 ? parseIPv4(text) : family === 6 ? parseIPv6(text) : undefined
}

/** `10.0.0.0/8`, `fd00::/8` or a bare address (a range of one); undefined when it is neither. */
export function parseCidr(text: string): Prefix | undefined {
  const [address, bits, extra] = text.split('/')
  const family = isIP(address)
  if (extra !== undefined || family === 0 || address.includes('%')) return undefined
  const max = family === 4 ? 32 : 128
  const length = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN
  if (!(length >= 0 && length <= max)) return undefined
  return { bytes: family === 4 ? parseIPv4(address) : parseIPv6(address), bits: length }
}

/** Whether `bytes` (an address) falls in `range`; never across families. */
export function inPrefix(bytes: Uint8Array, range: Prefix): boolean {
  if (bytes.length !== range.bytes.length) return false
  for (let bit = 0; bit < range.bits; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, range.bits - bit))) & 0xff
    if ((bytes[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false
  }
  return true
}

/** Two spellings of one address (`::1` and `0:0:0:0:0:0:0:1`; zones ignored). */
export function sameAddress(a: string, b: string): boolean {
  const [x, y] = [addressBytes(a), addressBytes(b)]
  return x !== undefined && y !== undefined && x.length === y.length && x.every((byte, i) => byte === y[i])
}
