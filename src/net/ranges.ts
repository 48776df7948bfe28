import { parseCidr } from './ip'

/**
 * - `private`: not reachable from the internet, used by hosts and intranets: refused unless
 *   `network.allowPrivateAddresses` opens it.
 * - `reserved`: not a destination anyone monitors (unspecified, multicast, broadcast,
 *   documentation, reserved): always refused.
 * - `metadata`: cloud metadata and credential endpoints: always refused.
 * - `public`: allowed; for the IPv6 forms that carry an IPv4 address, that address is judged too.
 */
export type RangeClass = 'private' | 'reserved' | 'metadata'

export interface Range {
  cidr: string
  class: RangeClass | 'public'
  /** How a message names it: "a loopback address (127.0.0.0/8)". */
  name: string
  bytes: Uint8Array
  bits: number
}

/** The first range that holds an address decides; no range: public. README, "Outbound network". */
const TABLE: Array<[cidr: string, cls: Range['class'], name: string]> = [
  // IPv4
  ['0.0.0.0/8', 'reserved', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private', 'private'],
  ['100.100.100.200/32', 'metadata', 'cloud metadata (Alibaba Cloud)'],
  ['100.64.0.0/10', 'private', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'private', 'loopback'],
  ['168.63.129.16/32', 'metadata', 'cloud metadata (Azure WireServer)'],
  ['169.254.169.254/32', 'metadata', 'cloud metadata'],
  ['169.254.0.0/16', 'metadata', 'link-local (cloud metadata and credentials)'],
  ['172.16.0.0/12', 'private', 'private'],
  ['192.0.0.192/32', 'metadata', 'cloud metadata (Oracle Cloud)'],
  ['192.0.0.0/24', 'reserved', 'IETF protocol assignment'],
  ['192.0.2.0/24', 'reserved', 'documentation'],
  ['192.88.99.0/24', 'reserved', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private', 'private'],
  ['198.18.0.0/15', 'private', 'benchmarking'],
  ['198.51.100.0/24', 'reserved', 'documentation'],
  ['203.0.113.0/24', 'reserved', 'documentation'],
  ['224.0.0.0/4', 'reserved', 'multicast'],
  ['255.255.255.255/32', 'reserved', 'broadcast'],
  ['240.0.0.0/4', 'reserved', 'reserved'],
  // IPv6
  ['::/128', 'reserved', 'unspecified'],
  ['::1/128', 'private', 'loopback'],
  ['::ffff:0:0/96', 'public', 'IPv4-mapped'],
  ['::ffff:0:0:0/96', 'public', 'IPv4-translated'],
  ['::/96', 'reserved', 'IPv4-compatible (deprecated)'],
  ['64:ff9b::/96', 'public', 'NAT64'],
  // Local-use NAT64 may carry the IPv4 address at any of six places (RFC 6052): telltale cannot tell which.
  ['64:ff9b:1::/48', 'reserved', 'local-use NAT64'],
  ['100::/64', 'reserved', 'discard-only'],
  ['2001::/32', 'public', 'Teredo'],
  ['2001::/23', 'reserved', 'IETF protocol assignment'],
  ['2001:db8::/32', 'reserved', 'documentation'],
  ['2002::/16', 'public', '6to4'],
  ['3fff::/20', 'reserved', 'documentation'],
  ['2000::/3', 'public', 'global unicast'],
  ['fd00:ec2::/32', 'metadata', 'cloud metadata (AWS)'],
  ['fd20:ce::254/128', 'metadata', 'cloud metadata (Google Cloud)'],
  ['fc00::/7', 'private', 'unique-local'],
  ['fe80::/10', 'private', 'link-local'],
  ['fec0::/10', 'private', 'site-local (deprecated)'],
  ['ff00::/8', 'reserved', 'multicast'],
  ['::/0', 'reserved', 'unassigned (outside 2000::/3)'],
]

export const RANGES: Range[] = TABLE.map(([cidr, cls, name]) => ({ cidr, class: cls, name, ...parseCidr(cidr)! }))
