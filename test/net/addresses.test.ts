// The egress guard's check, without connecting: each address is answered for a name through
// network.resolve (the path every request takes) and also given as a literal.
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createEgress, type EgressReason } from '../../src/net'
import { resolver } from './servers'

const answering = (address: string, allowPrivateAddresses?: boolean | string[]) =>
  createEgress({ resolve: async () => [{ address, family: isIP(address) }], allowPrivateAddresses })

const PRIVATE = [
  '127.0.0.1',
  '127.255.255.254',
  '10.0.0.1',
  '10.255.255.255',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.0.1',
  '192.168.255.255',
  '100.64.0.1', // CGNAT
  '100.127.255.255',
  '198.18.0.1', // benchmarking
  '198.19.255.255',
  '::1',
  'fc00::1', // unique-local
  'fd12:3456:789a::1',
  'fe80::1', // link-local
  'fe80::1%lo',
  'febf:ffff::1',
  'fec0::1', // site-local
  '::ffff:127.0.0.1', // IPv4-mapped
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::ffff:0:10.0.0.1', // IPv4-translated
  '64:ff9b::7f00:1', // NAT64
  '64:ff9b::192.168.1.1',
  '2002:c0a8:101::1', // 6to4 of 192.168.1.1
  '2002:7f00:1::',
  '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1
  '2001:0:a00:1::f5f5:f5f5', // Teredo, server 10.0.0.1, client 10.10.10.10
]

const RESERVED = [
  '0.0.0.0', // reaches this machine on Linux
  '0.1.2.3',
  '224.0.0.1', // multicast
  '239.255.255.250',
  '255.255.255.255', // broadcast
  '240.0.0.1',
  '192.0.2.1', // documentation
  '198.51.100.7',
  '203.0.113.9',
  '192.0.0.8', // IETF protocol assignments
  '192.88.99.1', // 6to4 relay anycast
  '::',
  'ff02::1',
  '2001:db8::1',
  '3fff::1',
  '100::1', // discard-only
  '2001:2::1', // benchmarking, in 2001::/23
  '::127.0.0.1', // IPv4-compatible (deprecated)
  '64:ff9b:1::a00:1', // local-use NAT64
  '4000::1', // outside 2000::/3
  '::ffff:224.0.0.1',
  '64:ff9b::ffff:ffff',
  '2002:0:1::1', // 6to4 of 0.0.1.0
]

const METADATA = [
  '169.254.169.254',
  '169.254.170.2', // ECS task credentials
  '169.254.0.1', // the rest of 169.254.0.0/16
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
  '168.63.129.16', // Azure WireServer
  'fd00:ec2::254', // AWS IPv6
  'fd00:ec2::23', // EKS pod identity
  'fd20:ce::254', // Google Cloud IPv6
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::ffff:0:169.254.169.254',
  '::169.254.169.254',
  '64:ff9b::169.254.169.254',
  '64:ff9b::a9fe:a9fe',
  '2002:a9fe:a9fe::1',
  '2001:0:4136:e378:8000:63bf:5601:5601', // Teredo, client 169.254.169.254
]

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '9.255.255.255',
  '11.0.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '126.255.255.255',
  '128.0.0.1',
  '168.63.129.17',
  '169.253.255.255',
  '169.255.0.1',
  '172.15.255.255',
  '172.32.0.1',
  '192.0.1.255',
  '192.0.3.1',
  '192.167.255.255',
  '192.169.0.1',
  '198.17.255.255',
  '198.20.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '2a00:1450:4001::1',
  '2001:200::1', // past 2001::/23
  '2001:db9::1', // past the documentation /32
  '::ffff:8.8.8.8',
  '64:ff9b::8.8.8.8',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo, client 8.8.8.8
]

const TABLE: Array<[string, EgressReason]> = [
  ...PRIVATE.map((address) => [address, 'private_address'] as [string, EgressReason]),
  ...RESERVED.map((address) => [address, 'reserved_address'] as [string, EgressReason]),
  ...METADATA.map((address) => [address, 'metadata_address'] as [string, EgressReason]),
]

describe('the address check', () => {
  it.each(TABLE)('refuses %s (%s), answered for a name and as a literal', async (address, reason) => {
    await expect(answering(address).resolve('host.test')).rejects.toMatchObject({ reason, host: 'host.test', address })
    const literal = resolver({})
    await expect(createEgress({ resolve: literal.resolve }).resolve(address)).rejects.toMatchObject({ reason })
    expect(literal.calls).toEqual([])
  })

  it.each(PUBLIC)('lets %s through', async (address) => {
    expect(await answering(address).resolve('host.test')).toEqual([{ address, family: isIP(address) }])
    expect(await createEgress({ resolve: resolver({}).resolve }).resolve(address)).toEqual([
      { address, family: isIP(address) },
    ])
  })

  it.each([
    ['0177.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7F.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['0xa.0.0.1', '10.0.0.1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '0:0:0:0:0:0:0:1'],
    ['[::FFFF:127.0.0.1]', '::ffff:127.0.0.1'],
    ['FE80::1%Eth0', 'fe80::1%Eth0'],
  ])('reads the spelling %s as %s before the check', async (host, address) => {
    const literal = resolver({})
    await expect(createEgress({ resolve: literal.resolve }).resolve(host)).rejects.toMatchObject({
      reason: 'private_address',
      host: address,
      address,
    })
    expect(literal.calls).toEqual([])
  })

  it.each([['0251.0376.0251.0376'], ['2852039166'], ['0xa9fea9fe'], ['169.254.43518']])(
    'reads %s as 169.254.169.254, refused even with allowPrivateAddresses',
    async (host) => {
      await expect(createEgress({ allowPrivateAddresses: true }).resolve(host)).rejects.toMatchObject({
        reason: 'metadata_address',
        address: '169.254.169.254',
      })
    },
  )

  it('says in one line which host, which address and why', async () => {
    await expect(answering('10.0.0.5').resolve('Intranet.Example')).rejects.toThrow(
      /^intranet\.example resolves to 10\.0\.0\.5, a private address \(10\.0\.0\.0\/8\): refused unless network\.allowPrivateAddresses opens it$/,
    )
    await expect(createEgress().resolve('::ffff:169.254.169.254')).rejects.toThrow(
      '::ffff:169.254.169.254 (IPv4-mapped 169.254.169.254) is a cloud metadata address (169.254.169.254/32): always refused',
    )
  })

  it('refuses a name when any of its addresses is refused, whatever the order', async () => {
    for (const answers of [
      ['93.184.216.34', '10.0.0.5'],
      ['10.0.0.5', '93.184.216.34'],
      ['2606:4700::1', '::1', '8.8.8.8'],
    ]) {
      const egress = createEgress({ resolve: resolver({ 'mixed.test': answers }).resolve })
      await expect(egress.resolve('mixed.test')).rejects.toMatchObject({ reason: 'private_address' })
    }
    const both = createEgress({ resolve: resolver({ 'both.test': ['93.184.216.34', '2606:4700::1'] }).resolve })
    expect(await both.resolve('both.test')).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ])
  })

  it('allowPrivateAddresses: true opens the private ranges, never reserved or metadata ones', async () => {
    for (const address of PRIVATE)
      expect(await answering(address, true).resolve('host.test')).toEqual([{ address, family: isIP(address) }])
    for (const [address, reason] of TABLE.filter(([, reason]) => reason !== 'private_address'))
      await expect(answering(address, true).resolve('host.test')).rejects.toMatchObject({ reason })
  })

  it('allowPrivateAddresses: [ranges] opens those ranges only', async () => {
    const open = ['10.1.0.0/16', '127.0.0.1', 'fd12::/16']
    for (const address of ['10.1.2.3', '127.0.0.1', '::ffff:127.0.0.1', 'fd12:3456:789a::1', '8.8.8.8'])
      expect(await answering(address, open).resolve('host.test')).toHaveLength(1)
    for (const address of ['10.2.0.1', '127.0.0.2', '::1', '192.168.1.1', 'fd13::1'])
      await expect(answering(address, open).resolve('host.test')).rejects.toMatchObject({ reason: 'private_address' })
  })

  it('allowPrivateAddresses: [ranges] never opens reserved or metadata addresses', async () => {
    const everything = ['0.0.0.0/0', '::/0', '169.254.169.254', 'fd00:ec2::254']
    for (const address of PRIVATE) expect(await answering(address, everything).resolve('host.test')).toHaveLength(1)
    for (const [address, reason] of TABLE.filter(([, reason]) => reason !== 'private_address'))
      await expect(answering(address, everything).resolve('host.test')).rejects.toMatchObject({ reason })
  })

  it('names DNS failures and bad answers', async () => {
    const egress = createEgress({ resolve: resolver({ 'empty.test': [], 'odd.test': 'not-an-ip' }).resolve })
    await expect(egress.resolve('nowhere.test')).rejects.toMatchObject({
      reason: 'dns',
      message: 'nowhere.test: no such host (ENOTFOUND)',
    })
    await expect(egress.resolve('empty.test')).rejects.toMatchObject({ reason: 'dns' })
    await expect(egress.resolve('odd.test')).rejects.toMatchObject({ reason: 'dns' })
    const slow = createEgress({ resolve: () => new Promise(() => {}) })
    await expect(slow.resolve('slow.test', { timeoutMs: 50 })).rejects.toMatchObject({
      reason: 'timeout',
      message: 'slow.test: no DNS answer within 50 ms',
    })
  })

  it.each(['', 'a b', 'a/b', 'user@host', 'host:80', '1.2.3.256', 'a\nb', '[::1', '%31.0.0.1'])(
    'refuses %j as a host',
    async (host) => {
      const literal = resolver({})
      await expect(createEgress({ resolve: literal.resolve }).resolve(host)).rejects.toMatchObject({
        reason: 'invalid',
      })
      expect(literal.calls).toEqual([])
    },
  )
})
