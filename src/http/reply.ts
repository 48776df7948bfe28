import { type H3Event, HTTPError } from 'h3'
import { TelltaleError } from '../core/errors'
import type { ErrorFormatter } from '../surfaces'

export interface ErrorReply {
  status: number
  body: unknown
  headers: Record<string, string>
}

/**
 * Every error any route raises becomes a response here, in the shape of the surface the request
 * came in on. Anything that is not a `TelltaleError` is a bug or a store failure: it is logged
 * and answered with a bare 500 that reveals nothing.
 */
export function toErrorReply(error: unknown, format: ErrorFormatter, pathname: string): ErrorReply {
  let known = asTelltaleError(error)
  if (!known) {
    console.error('[telltale] unexpected error on', pathname, error)
    known = new TelltaleError('internal', 'Server Error')
  }
  return { status: known.status, body: format(known), headers: known.details.headers ?? {} }
}

function asTelltaleError(error: unknown): TelltaleError | undefined {
  if (error instanceof TelltaleError) return error
  if (error instanceof HTTPError) {
    if (error.cause instanceof TelltaleError) return error.cause
    if (error.status === 404 || error.status === 405) return new TelltaleError('not_found', 'Not found.')
    if (error.status === 400) return new TelltaleError('invalid_json', error.message || 'Bad request.')
  }
  return undefined
}

export function sendError(event: H3Event, reply: ErrorReply): unknown {
  event.res.status = reply.status
  for (const [name, value] of Object.entries(reply.headers)) event.res.headers.set(name, value)
  return reply.body
}
