import type { IncomingMessage } from 'node:http'
import { TelltaleError } from '../core/errors'
import { MAX_JSON_DEPTH } from '../schemas/text'
import type { RouteRequest } from './route'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i

/**
 * Reads a JSON object body of at most `maxBytes`. A declared `content-length` over the limit is
 * refused before reading; a chunked body is cut off at the first chunk past it. A missing content
 * type is accepted (some clients omit it); a non-JSON one is refused.
 */
export async function readJsonObject(request: RouteRequest, maxBytes: number): Promise<Record<string, unknown>> {
  const contentType = request.header('content-type')
  if (contentType && contentType !== 'application/json' && !JSON_TYPE.test(contentType.split(';')[0].trim())) {
    throw new TelltaleError('unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).')
  }
  if (Number(request.header('content-length') ?? Number.NaN) > maxBytes) throw tooLarge(maxBytes)

  const text = await request.text(maxBytes).catch((error: unknown) => {
    if (error instanceof TelltaleError) throw error
    // The client closed the connection mid-body: nobody is left to read a reply, so no log either.
    throw new TelltaleError('bad_request', 'The request body could not be read.')
  })
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new TelltaleError('invalid_json', 'The request body is not valid JSON.')
  }
  // Nesting past MAX_DEPTH takes more than MAX_DEPTH brackets: shorter bodies need no walk.
  if (text.length > MAX_DEPTH && depthOver(value, MAX_DEPTH)) {
    throw new TelltaleError('invalid_json', `The request body must not be nested more than ${MAX_DEPTH} levels deep.`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TelltaleError('validation', 'The request body must be a JSON object.', {
      issues: [{ rule: 'invalid', message: 'The request body must be a JSON object.', path: [] }],
    })
  }
  return value as Record<string, unknown>
}

/** A web `Request`'s body as text, at most `maxBytes`. */
export async function readWebText(request: Request, maxBytes: number): Promise<string> {
  // With a declared length (already checked against the limit), HTTP framing bounds the body, so
  // it is read in one go; only chunked bodies are counted while streaming.
  // (An in-process Request can declare less than it carries, hence the check after reading.)
  if (request.headers.has('content-length')) {
    const text = await request.text()
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes)
    return text
  }
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw cutOff(maxBytes)
    }
    chunks.push(value)
  }
  return chunks.length === 1 ? decoder.decode(chunks[0]) : decoder.decode(Buffer.concat(chunks))
}

/**
 * Past the limit, a Node body is still read (and dropped) for up to this long and this many more
 * bytes, and the 413 goes out when it ends: a client still uploading then reads the answer
 * instead of a connection reset (EPIPE) when the connection closes under it.
 */
const DRAIN_MS = 2000
const DRAIN_BYTES = 8 * 1024 * 1024

/**
 * A Node request's body as text, at most `maxBytes`. Node's HTTP parser already bounds a body
 * by its declared length; chunked bodies are counted as they arrive.
 */
export function readNodeText(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let draining: NodeJS.Timeout | undefined
    const settle = (result: () => void) => {
      clearTimeout(draining)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      result()
    }
    const refuse = () => settle(() => reject(cutOff(maxBytes)))
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      if (draining === undefined) {
        chunks.length = 0
        draining = setTimeout(refuse, DRAIN_MS)
      }
      if (size > maxBytes + DRAIN_BYTES) refuse()
    }
    const onEnd = () => {
      if (draining !== undefined) return refuse()
      settle(() => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')))
    }
    const onError = (error: Error) => settle(() => reject(error))
    const onClose = () =>
      draining === undefined ? onError(new Error('The client closed the connection before the body ended.')) : refuse()
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/**
 * The rest of the body stays unread on the socket: closing the connection after the reply keeps
 * the next request on it from being parsed out of the leftover bytes (or waiting forever).
 */
const cutOff = (maxBytes: number) => tooLarge(maxBytes, { Connection: 'close' })

const decoder = new TextDecoder()

/**
 * Deeper values are refused up front: every later step (validation, `JSON.stringify` into the
 * store) recurses, and a 1 MiB body can nest 200,000 levels, enough to overflow the stack.
 */
const MAX_DEPTH = MAX_JSON_DEPTH

/** Whether `value` nests more than `max` arrays/objects deep. Iterative, so it cannot overflow. */
function depthOver(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > max) return true
    for (const child of Object.values(current))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return false
}

function tooLarge(maxBytes: number, headers?: Record<string, string>): TelltaleError {
  return new TelltaleError('payload_too_large', `The request body must not be larger than ${maxBytes} bytes.`, {
    headers,
  })
}
