// HTTPS through the egress guard: the connection goes to the checked address while SNI and the
// certificate check use the name. The certificate is made here with openssl (skipped without it).
import { createServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEgress } from '../../src/net'
import { type Listening, listen, network, selfSigned } from './servers'

const pair = selfSigned(['public.test'])

describe.skipIf(!pair)('fetch over TLS (skipped when openssl is not installed)', () => tests(pair!))

function tests(pair: { key: string; cert: string }) {
  let server: Listening
  const seen: Array<{ servername?: string | false | null; host?: string }> = []
  beforeAll(async () => {
    server = await listen(
      createServer(pair, (req, res) => {
        seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host })
        res.end('secure hello')
      }),
    )
  })
  afterAll(() => server.close())
  const names = network({ 'public.test': '127.0.0.1', 'other.test': '127.0.0.1' }, ['127.0.0.1']).options

  it('sends the name for SNI and Host, checks the certificate against it, connects to the checked address', async () => {
    const response = await createEgress(names).fetch(`https://public.test:${server.port}/`, { tls: { ca: pair.cert } })
    expect(response.body.toString()).toBe('secure hello')
    expect(response.address).toBe('127.0.0.1')
    expect(seen.at(-1)).toEqual({ servername: 'public.test', host: `public.test:${server.port}` })
    expect(response.certificate).toMatchObject({ subject: 'public.test', issuer: 'public.test', authorized: true })
    expect(response.certificate!.validTo).toBeGreaterThan(Date.now())
    expect(response.timings.tlsMs).toBeGreaterThanOrEqual(0)
  })

  it('refuses a certificate it cannot verify, or one for another name', async () => {
    const egress = createEgress(names)
    await expect(egress.fetch(`https://public.test:${server.port}/`)).rejects.toMatchObject({
      reason: 'tls',
      message: expect.stringMatching(/^public\.test \(127\.0\.0\.1\): TLS failed: self[- ]signed certificate/),
    })
    await expect(egress.fetch(`https://other.test:${server.port}/`, { tls: { ca: pair.cert } })).rejects.toMatchObject({
      reason: 'tls',
      message: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID'),
    })
  })

  it('reads an unverified certificate with rejectUnauthorized: false, and says so', async () => {
    const response = await createEgress(names).fetch(`https://public.test:${server.port}/`, {
      tls: { rejectUnauthorized: false },
    })
    expect(response.status).toBe(200)
    expect(response.certificate).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  })

  it('refuses a name that resolves to a private address before any TLS', async () => {
    const before = server.connections
    await expect(
      createEgress({ resolve: names.resolve }).fetch(`https://public.test:${server.port}/`, { tls: { ca: pair.cert } }),
    ).rejects.toMatchObject({ reason: 'private_address' })
    expect(server.connections).toBe(before)
  })
}
