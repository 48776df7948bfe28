import { connect, type Socket } from 'node:net'
import { type Budget, budget, watch } from './deadline'
import { EgressError, toEgressError } from './errors'
import { sameAddress } from './ip'
import type { NetworkPolicy } from './options'
import { resolveChecked } from './resolve'

interface Target {
  /** A name or an IP address in any spelling (`127.1`, `0x7f.1`, `[::1]`): normalized, then checked. */
  host: string
  port: number
  signal?: AbortSignal
}

export interface ConnectOptions extends Target {
  /** The lookup and the TCP connection. Default 10 s. */
  timeoutMs?: number
}

export interface ExchangeOptions extends Target {
  /** The whole exchange, from the lookup to the last byte. Default 30 s. */
  timeoutMs?: number
  /** The lookup and the TCP connection. Default 10 s (never more than `timeoutMs`). */
  connectTimeoutMs?: number
  /** Written once connected: a WHOIS query (`example.com\r\n`), a SIP OPTIONS request. */
  send?: string | Uint8Array
  /** The largest answer read; a larger one is an error (`too_large`). Default 1 MiB. */
  maxBytes?: number
  /** The answer is complete (default: when the server closes the connection). */
  until?: (received: Buffer) => boolean
}

export interface ExchangeResult {
  data: Buffer
  address: string
  timings: { connectMs: number; totalMs: number }
}

/**
 * A TCP connection to a checked address of `host`. The socket is the caller's once connected:
 * bound its life with timers of its own, or use `exchange`, which does.
 */
export async function connectChecked(options: ConnectOptions, policy: NetworkPolicy): Promise<Socket> {
  const { socket } = await open(options, policy, budget(options.timeoutMs ?? 10_000, options.signal))
  return socket
}

async function open(options: Target, policy: NetworkPolicy, limits: Budget): Promise<{ socket: Socket; host: string }> {
  const port = options.port
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new EgressError('invalid', options.host, `${options.host}: ${port} is not a port (1 to 65535)`)
  const { host, addresses } = await resolveChecked(options.host, policy, limits)
  const { address, family } = addresses[0]
  return new Promise((resolve, reject) => {
    // An IP literal: Node connects to it without a lookup.
    const socket = connect({ host: address, port, family })
    const fail = (error: unknown) => {
      unwatch()
      socket.destroy()
      reject(toEgressError(error, host, address))
    }
    const unwatch = watch(limits, host, fail, 'no connection')
    socket.on('error', fail)
    socket.once('connect', () => {
      if (!sameAddress(socket.remoteAddress ?? '', address))
        return fail(
          new EgressError('connect', host, `${host}: connected to ${socket.remoteAddress}, not the checked ${address}`),
        )
      unwatch()
      socket.off('error', fail)
      resolve({ socket, host })
    })
  })
}

/**
 * Connect, send, read the answer: WHOIS on port 43, a SIP request over TCP, a banner. The answer
 * ends when the server closes (or `until` says so), within `timeoutMs` and `maxBytes`.
 */
export async function exchange(options: ExchangeOptions, policy: NetworkPolicy): Promise<ExchangeResult> {
  const started = performance.now()
  const total = budget(options.timeoutMs ?? 30_000, options.signal)
  const connectMs = Math.min(options.connectTimeoutMs ?? 10_000, options.timeoutMs ?? 30_000)
  const { socket, host } = await open(options, policy, budget(connectMs, options.signal))
  const connected = performance.now()
  const address = socket.remoteAddress ?? ''
  const maxBytes = options.maxBytes ?? 1024 * 1024
  return new Promise<ExchangeResult>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (error?: unknown) => {
      if (settled) return
      settled = true
      unwatch()
      socket.destroy()
      if (error !== undefined) return reject(toEgressError(error, host, address))
      const timings = { connectMs: connected - started, totalMs: performance.now() - started }
      resolve({ data: Buffer.concat(chunks), address, timings })
    }
    const unwatch = watch(total, host, settle)
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes)
        return settle(new EgressError('too_large', host, `${host}: the answer is larger than ${maxBytes} bytes`))
      chunks.push(chunk)
      if (options.until?.(Buffer.concat(chunks))) settle()
    })
    socket.once('end', () => settle())
    socket.on('error', settle)
    if (options.send !== undefined) socket.write(options.send)
  })
}
