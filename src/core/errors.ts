import { issueMessage } from './issue-wording'

/**
 * The one error class of telltale. Core operations throw it; each HTTP surface turns it into its
 * documented response shape in one place (`src/http/reply.ts`, worded by `src/surfaces/errors.ts`); `api` callers catch it directly.
 */
export type ErrorKind =
  | 'validation' // 422: the input broke a rule (see `issues`)
  | 'invalid_json' // 400: the body is not JSON
  | 'bad_request' // 400: the body could not be read (the client went away)
  | 'unsupported_media_type' // 415
  | 'payload_too_large' // 413
  | 'unauthorized' // 401: no valid credential
  | 'forbidden' // 403: valid credential, missing scope
  | 'not_found' // 404
  | 'conflict' // 409
  | 'rate_limited' // 429
  | 'unavailable' // 503: shut down, or the store does not answer (the message says what to start)
  | 'config' // a misconfiguration found by createTelltale or ready(): the message names the option or package and the fix
  | 'internal' // 500: a bug or a store failure; the details go to the log, not to the client

const STATUS: Record<ErrorKind, number> = {
  validation: 422,
  invalid_json: 400,
  bad_request: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  config: 500,
  internal: 500,
}

/** A broken rule, kept structured so each surface can word it in its own style. */
export type Rule =
  | { rule: 'required' }
  | { rule: 'string' }
  | { rule: 'number' }
  | { rule: 'boolean' }
  | { rule: 'object' }
  | { rule: 'array' }
  | { rule: 'email' }
  | { rule: 'date' }
  | { rule: 'date_range'; min: number; max: number } // epoch ms
  | { rule: 'text' } // NUL or an unpaired surrogate
  | { rule: 'timezone' } // not an IANA zone
  | { rule: 'json'; message: string } // not plain JSON (the message says why)
  | { rule: 'max'; max: number } // string length
  | { rule: 'max_items'; max: number }
  | { rule: 'min_items'; min: number }
  | { rule: 'not_future'; toleranceMs: number }
  | { rule: 'in'; values: string[] }
  | { rule: 'integer_range'; min: number; max: number }
  | { rule: 'invalid'; message: string }
  /** A whole sentence written for the API user (a formula's parse error, a metric still in use). */
  | { rule: 'message'; message: string }

/** Path segments as the caller wrote them in core terms, e.g. `['events', 3, 'name']`. */
export type IssuePath = Array<string | number>
export type ValidationIssue = Rule & { path: IssuePath }

export class TelltaleError extends Error {
  readonly status: number
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: { issues?: ValidationIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'TelltaleError'
    this.status = STATUS[kind]
  }

  get issues(): ValidationIssue[] {
    return this.details.issues ?? []
  }
}

/**
 * A validation error whose message a person can act on: the first issue worded as HTTP words it,
 * with the caller's own (core) field names (`events.3.name`), then `(and N more errors)`. Each
 * surface words `issues` again with its wire names.
 */
export function validationError(issues: ValidationIssue[]): TelltaleError {
  const first = issues[0]
  if (!first) return new TelltaleError('validation', 'The given data was invalid.', { issues })
  const more = issues.length - 1
  const message = issueMessage(first, first.path.length === 0 ? 'input' : first.path.join('.'))
  return new TelltaleError(
    'validation',
    more > 0 ? `${message} (and ${more} more error${more === 1 ? '' : 's'})` : message,
    { issues },
  )
}

/** A misconfiguration: one line that names the option or package and says what to do. */
export function configError(message: string, cause?: unknown): TelltaleError {
  return new TelltaleError('config', `telltale: ${message}`, { cause })
}

export function isTelltaleError(error: unknown): error is TelltaleError {
  return error instanceof TelltaleError
}
