// Local servers for the egress guard's tests: each counts the connections it accepted, so a test
// can say that a refused address was never connected to.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { isIP, createServer as netServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NetworkOptions, ResolvedAddress } from '../../src/net'

export interface Listening {
  port: number
  /** Connections accepted so far. */
  connections: number
  /** The sockets accepted, to see what became of them. */
  sockets: Socket[]
  close(): Promise<void>
}

/** Listens on `host` (default 127.0.0.1) and a free port, or the port given. */
export async function listen<S extends Server>(server: S, host = '127.0.0.1', port = 0): Promise<Listening> {
  const state: Listening = {
    port: 0,
    connections: 0,
    sockets: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of state.sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
  // Every TCP connection counts, TLS or not: "never connected to" means no connection at all.
  server.on('connection', (socket: Socket) => {
    state.connections++
    state.sockets.push(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  state.port = (server.address() as { port: number }).port
  return state
}

export const httpServer = (handler: http.RequestListener, host?: string, port?: number) =>
  listen(http.createServer(handler), host, port)

/** A TCP server; by default it reads and never answers (a silent server, or a trap nothing should reach). */
export const tcpServer = (
  onSocket: (socket: Socket) => void = (socket) => socket.resume(),
  host?: string,
  port?: number,
) => listen(netServer(onSocket), host, port)

/** `network.resolve` from a map of names; counts its calls. Unknown names fail like DNS does. */
export function resolver(names: Record<string, string | string[] | (() => string)>) {
  const calls: string[] = []
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname)
    const entry = names[hostname]
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    const addresses = typeof entry === 'function' ? [entry()] : Array.isArray(entry) ? entry : [entry]
    return addresses.map((address) => ({ address, family: isIP(address) }))
  }
  return { resolve, calls }
}

/** Network options for a test: the map of names, and what is opened. */
export function network(
  names: Record<string, string | string[] | (() => string)>,
  open?: NetworkOptions['allowPrivateAddresses'],
) {
  const { resolve, calls } = resolver(names)
  return { options: { resolve, allowPrivateAddresses: open } satisfies NetworkOptions, calls }
}

/** A self-signed certificate for `names` (openssl), or undefined when openssl is not installed. */
export function selfSigned(names: string[]): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-tls-'))
  try {
    const san = names.map((name) => `DNS:${name}`).join(',')
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2']
        .concat(['-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    )
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Resolves once `socket` has closed. */
export const closed = (socket: Socket) =>
  new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())))
