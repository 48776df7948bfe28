// Ports for tests that need one nothing listens on (a refused connection) or one to listen on.
import { createServer, type Server } from 'node:net'

/** A server listening on a free port of 127.0.0.1 (close it when done). */
export function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

export const portOf = (server: Server) => (server.address() as { port: number }).port
export const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

/** A port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = await listenOnFreePort()
  const port = portOf(server)
  await closeServer(server)
  return port
}
