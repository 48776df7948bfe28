// The client address of public routes' rate limits: the socket's, or with trustProxy: n the
// address the n-th proxy reported, read from the right of X-Forwarded-For; IPv6 counted per /64.
import { describe, expect, test } from 'vitest'
import { addressBucket, clientAddressOf, normalizeAddress } from '../../src/http/client-address'

describe('clientAddressOf', () => {
  test.each([
    ['no proxy trusted: the socket, whatever the header says', '10.0.0.1', '1.2.3.4', 0, '10.0.0.1'],
    ['one proxy: the last entry', '10.0.0.1', '6.6.6.6, 1.2.3.4', 1, '1.2.3.4'],
    ['two proxies: the second entry from the right', '10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2', 2, '1.2.3.4'],
    ['more proxies trusted than hops: the outermost hop', '10.0.0.1', '1.2.3.4', 5, '1.2.3.4'],
    ['a trusted proxy without the header: the socket', '10.0.0.1', null, 1, '10.0.0.1'],
    ['IPv4-mapped socket address', '::ffff:127.0.0.1', undefined, 0, '127.0.0.1'],
    ['a port on the hop', '10.0.0.1', '1.2.3.4:5678', 1, '1.2.3.4'],
    ['a bracketed IPv6 hop with port', '10.0.0.1', '[2001:DB8::1]:443', 1, '2001:db8::1'],
    ['a hop that is not an address: unknown', '10.0.0.1', 'unknown', 1, undefined],
    ['no socket address (fetch host)', undefined, undefined, 0, undefined],
  ])('%s', (_case, socket, header, trust, expected) => {
    expect(clientAddressOf(socket, header, trust)).toBe(expected)
  })
})

test('addressBucket: IPv4 as is, IPv6 per /64 however written, unknown shared', () => {
  expect(addressBucket('192.0.2.1')).toBe('192.0.2.1')
  expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
  expect(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
  expect(addressBucket('2001:db8::')).toBe('2001:db8:0:0::/64')
  expect(addressBucket('::1')).toBe('0:0:0:0::/64')
  expect(addressBucket('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
  expect(addressBucket(undefined)).toBe('unknown')
  expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1')
})
