import { HTTPError } from 'h3'
import { type IssuePath, TelltaleError, type ValidationIssue } from '../core/errors'
import { type Surface, surfaceOf, WIRE_NAMES } from './surfaces'

export interface ErrorReply {
  status: number
  body: unknown
  headers: Record<string, string>
}

/**
 * Every error any route raises becomes a response here, in the documented shape of the surface
 * the request came in on. Unexpected errors are logged and answered with a bare 500.
 */
export function toErrorReply(error: unknown, pathname: string): ErrorReply {
  const surface = surfaceOf(pathname)
  const known = asTelltaleError(error)
  if (!known) {
    console.error('[telltale] unexpected error on', pathname, error)
    return { status: 500, body: surfaceBody(surface, 'server_error', 'Server Error'), headers: {} }
  }
  const headers = known.details.headers ?? {}
  if (known.kind === 'validation') return { status: 422, body: validationBody(surface, known.issues), headers }
  return { status: known.status, body: surfaceBody(surface, known.kind, known.message), headers }
}

function asTelltaleError(error: unknown): TelltaleError | undefined {
  if (error instanceof TelltaleError) return error
  if (error instanceof HTTPError) {
    if (error.cause instanceof TelltaleError) return error.cause
    if (error.status === 404) return new TelltaleError('not_found', 'Not found.')
    if (error.status === 405) return new TelltaleError('not_found', 'Not found.')
    if (error.status === 400) return new TelltaleError('invalid_json', error.message || 'Bad request.')
  }
  return undefined
}

/** Non-validation errors: Laravel's `{message}` on Status Blocks, `{error: {code, message}}` on Flux. */
function surfaceBody(surface: Surface, code: string, message: string): unknown {
  return surface === 'flux' ? { error: { code, message } } : { message }
}

function validationBody(surface: Surface, issues: ValidationIssue[]): unknown {
  const names = WIRE_NAMES[surface]
  const errors: Record<string, string[]> = {}
  for (const issue of issues) {
    const field = wirePath(issue.path, names)
    ;(errors[field] ??= []).push(laravelMessage(issue, field))
  }
  const messages = Object.values(errors).flat()
  if (surface === 'flux') return { error: { ...fluxIssueBody(issues), errors } }
  // Laravel: the first message, then "(and N more errors)".
  const more = messages.length - 1
  const message = more > 0 ? `${messages[0]} (and ${more} more error${more === 1 ? '' : 's'})` : messages[0]
  return { message, errors }
}

export function wirePath(path: IssuePath, names: Record<string, string>): string {
  if (path.length === 0) return 'body'
  return path.map((segment) => (typeof segment === 'string' ? (names[segment] ?? segment) : String(segment))).join('.')
}

/** Laravel's validation wording (`validation.php`), with `_` shown as a space in field names. */
export function laravelMessage(issue: ValidationIssue, field: string): string {
  const attr = field.replace(/_/g, ' ')
  switch (issue.rule) {
    case 'required': return `The ${attr} field is required.`
    case 'string': return `The ${attr} field must be a string.`
    case 'number': return `The ${attr} field must be a number.`
    case 'boolean': return `The ${attr} field must be true or false.`
    case 'object': return `The ${attr} field must be an object.`
    case 'array': return `The ${attr} field must be an array.`
    case 'email': return `The ${attr} field must be a valid email address.`
    case 'date': return `The ${attr} field must be a valid ISO-8601 date.`
    case 'max': return `The ${attr} field must not be greater than ${issue.max} characters.`
    case 'max_items': return `The ${attr} field must not have more than ${issue.max} items.`
    case 'min_items': return `The ${attr} field must have at least ${issue.min} items.`
    case 'not_future': return `The ${attr} field must not be more than ${humanDuration(issue.toleranceMs)} in the future.`
    case 'in': return `The selected ${attr} is invalid.`
    case 'integer_range': return `The ${attr} field must be an integer between ${issue.min} and ${issue.max}.`
    case 'invalid': return field === 'body' ? issue.message : `The ${attr} field is invalid.`
  }
}

function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']]
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms / size === 1 ? '' : 's'}`
  return `${ms} ms`
}

/**
 * Flux error codes (reference 001, "Errors"), plus telltale's own in the same style. The code
 * comes from the first issue; the message words it.
 */
export function fluxIssueBody(issues: ValidationIssue[]): { code: string; message: string } {
  const first = issues[0]
  if (!first) return { code: 'invalid_request', message: 'The given data was invalid.' }
  const field = wirePath(first.path, WIRE_NAMES.flux)
  return { code: fluxCode(first), message: laravelMessage(first, field) }
}

function fluxCode(issue: ValidationIssue): string {
  // The field the issue is about: the last named segment, not counting the batch's `events`.
  const names = issue.path.filter((segment): segment is string => typeof segment === 'string')
  if (names.includes('tags')) return 'invalid_tags'
  const field = names.filter((name) => name !== 'events').pop() ?? names[0] ?? 'body'
  switch (field) {
    case 'name': return issue.rule === 'required' ? 'missing_name' : 'invalid_name'
    case 'timestamp':
    case 'from':
    case 'to': return 'invalid_timestamp'
    case 'events': return issue.rule === 'max_items' ? 'batch_too_large' : issue.rule === 'required' ? 'missing_events' : 'invalid_batch'
    case 'limit':
    case 'offset': return 'invalid_limit'
    case 'range': return 'invalid_range'
    case 'interval': return 'invalid_interval'
    case 'tz': return 'invalid_timezone'
    case 'body': return 'invalid_request'
    default: return `invalid_${field}`
  }
}
