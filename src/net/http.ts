import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { LookupFunction, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { type Budget, remaining, watch } from './deadline'
import { EgressError, toEgressError } from './errors'
import { sameAddress } from './ip'
import type { CheckedAddress } from './resolve'

/** The certificate an HTTPS server showed, for certificate checks. */
export interface Certificate {
  subject: string
  issuer: string
  /** Epoch ms. */
  validFrom: number
  validTo: number
  /** Whether it verified (chain and host name); false only with `tls.rejectUnauthorized: false`. */
  authorized: boolean
  authorizationError?: string
}

/** Milliseconds spent in each step of the last request (after redirects), and in the whole call. */
export interface Timings {
  resolveMs: number
  connectMs: number
  /** HTTPS only. */
  tlsMs?: number
  /** From the connection being ready to the response headers. */
  firstByteMs: number
  totalMs: number
}

export interface HopRequest {
  url: URL
  method: string
  headers: Record<string, string>
  body?: string | Uint8Array
  /** A redirect's body is not read: the connection is closed as soon as its headers are in. */
  skipBody: (status: number, headers: IncomingHttpHeaders) => boolean
  connectTimeoutMs: number
  maxBytes: number
  tls?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean }
}

export interface Hop {
  status: number
  statusText: string
  headers: IncomingHttpHeaders
  body: Buffer
  address: string
  certificate?: Certificate
  timings: Omit<Timings, 'resolveMs' | 'totalMs'>
}

/**
 * One HTTP request to an address the guard checked. `host` (a name) stays the name Node's client
 * uses for the Host header, TLS SNI and the certificate check, while the connection goes to
 * `target`: the `lookup` Node calls answers the checked address and nothing else, and the agent is
 * this request's own (no pooled socket from another policy). The socket's peer is checked again on
 * connect. The deadline, the caller's signal, the connect timeout and `maxBytes` each end the
 * request with an EgressError.
 */
export function hop(host: string, target: CheckedAddress, request: HopRequest, limits: Budget): Promise<Hop> {
  const { url, tls } = request
  const { address, family } = target
  const lookup: LookupFunction = (_name, options, callback) => {
    if (options.all) (callback as (e: null, all: CheckedAddress[]) => void)(null, [{ address, family }])
    else callback(null, address, family)
  }
  return new Promise<Hop>((resolve, reject) => {
    const times = { start: performance.now(), connect: 0, tls: 0, firstByte: 0 }
    let certificate: Certificate | undefined
    let settled = false
    let req: http.ClientRequest | undefined
    const finish = () => {
      settled = true
      clearTimeout(connectTimer)
      unwatch()
      req?.destroy()
    }
    const fail = (error: unknown) => {
      if (settled) return
      finish()
      reject(toEgressError(error, host, address))
    }
    const done = (response: IncomingMessage, body: Buffer) => {
      if (settled) return
      finish()
      const ready = times.tls || times.connect
      resolve({
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? '',
        headers: response.headers,
        body,
        address,
        certificate,
        timings: {
          connectMs: times.connect - times.start,
          ...(times.tls ? { tlsMs: times.tls - times.connect } : {}),
          firstByteMs: times.firstByte - ready,
        },
      })
    }
    const unwatch = watch(limits, host, fail)
    const connectTimer = setTimeout(
      () =>
        fail(
          new EgressError('timeout', host, `${host} (${address}): no connection within ${request.connectTimeoutMs} ms`),
        ),
      Math.min(request.connectTimeoutMs, remaining(limits)),
    )
    try {
      req = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        auth: url.username || url.password ? `${decode(url.username)}:${decode(url.password)}` : undefined,
        agent: false,
        lookup,
        family,
        ...(url.protocol === 'https:' ? { ca: tls?.ca, rejectUnauthorized: tls?.rejectUnauthorized ?? true } : {}),
      })
    } catch (error) {
      // Node checks header names and values as the request is built.
      finish()
      return reject(new EgressError('invalid', host, `${host}: invalid request: ${(error as Error).message}`))
    }
    req.once('socket', (socket: Socket) => {
      socket.once('connect', () => {
        times.connect = performance.now()
        clearTimeout(connectTimer)
        if (!sameAddress(socket.remoteAddress ?? '', address))
          fail(
            new EgressError(
              'connect',
              host,
              `${host}: connected to ${socket.remoteAddress}, not the checked ${address}`,
            ),
          )
      })
      socket.once('secureConnect', () => {
        times.tls = performance.now()
        certificate = certificateOf(socket as TLSSocket)
      })
    })
    req.on('error', fail)
    req.once('response', (response) => {
      times.firstByte = performance.now()
      if (request.skipBody(response.statusCode ?? 0, response.headers)) return done(response, Buffer.alloc(0))
      const declared = Number(response.headers['content-length'])
      if (declared > request.maxBytes) return fail(tooLarge(host, request.maxBytes))
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > request.maxBytes) fail(tooLarge(host, request.maxBytes))
        else chunks.push(chunk)
      })
      response.once('end', () => done(response, Buffer.concat(chunks)))
      response.on('error', fail)
      response.once('close', () => {
        if (!response.complete)
          fail(new EgressError('connect', host, `${host}: the connection closed before the end of the response`))
      })
    })
    req.end(request.body)
  })
}

const tooLarge = (host: string, maxBytes: number) =>
  new EgressError('too_large', host, `${host}: the response is larger than ${maxBytes} bytes`)

const decode = (text: string) => decodeURIComponent(text)

function certificateOf(socket: TLSSocket): Certificate | undefined {
  const cert = socket.getPeerCertificate()
  if (!cert?.valid_to) return undefined
  const name = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : (value ?? ''))
  return {
    subject: name(cert.subject?.CN),
    issuer: name(cert.issuer?.CN ?? cert.issuer?.O),
    validFrom: Date.parse(cert.valid_from),
    validTo: Date.parse(cert.valid_to),
    authorized: socket.authorized,
    ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
  }
}
