import type { IssuePath, TelltaleError, ValidationIssue } from '../core/errors'
import type { ErrorFormatter } from './define'

/**
 * The error shapes of the reference APIs, built once and picked by each surface:
 * - `laravelErrors`: Status Blocks (and its metrics): `{message}`, `{message, errors}` on 422;
 * - `codedErrors`: Flux and StatFlow: `{error: {code, message}}`, plus `errors` on 422;
 * - `plainErrors`: StatusCore: `{error: "<message>"}`.
 * `names` maps core field names to the surface's wire names ('' drops a segment, e.g. `filter`).
 */
export type WireNames = Record<string, string>

/** A 500's message: the details go to the log, never to the client. */
const SERVER_ERROR = 'Server Error'

export function laravelErrors(names: WireNames): ErrorFormatter {
  return (error) => {
    if (error.kind === 'internal') return { message: SERVER_ERROR }
    if (error.kind !== 'validation') return { message: error.message }
    const errors = fieldErrors(error.issues, names)
    const messages = Object.values(errors).flat()
    // Laravel: the first message, then "(and N more errors)".
    const more = messages.length - 1
    const message = more > 0 ? `${messages[0]} (and ${more} more error${more === 1 ? '' : 's'})` : (messages[0] ?? error.message)
    return { message, errors }
  }
}

/** `codeOf` picks the code of a validation error from its first issue. */
export function codedErrors(names: WireNames, codeOf: (issue: ValidationIssue, field: string) => string): ErrorFormatter {
  return (error) => {
    if (error.kind === 'internal') return { error: { code: 'server_error', message: SERVER_ERROR } }
    if (error.kind !== 'validation') return { error: { code: error.kind, message: error.message } }
    return { error: { ...codedIssue(error.issues, names, codeOf), errors: fieldErrors(error.issues, names) } }
  }
}

export function plainErrors(names: WireNames): ErrorFormatter {
  return (error: TelltaleError) => {
    if (error.kind === 'internal') return { error: SERVER_ERROR }
    if (error.kind !== 'validation' || error.issues.length === 0) return { error: error.message }
    const first = error.issues[0]
    return { error: issueMessage(first, wirePath(first.path, names)) }
  }
}

/** The code and message of the first issue (a Flux batch reports each rejected item this way). */
export function codedIssue(issues: ValidationIssue[], names: WireNames, codeOf: (issue: ValidationIssue, field: string) => string): { code: string; message: string } {
  const first = issues[0]
  if (!first) return { code: 'invalid_request', message: 'The given data was invalid.' }
  const field = wirePath(first.path, names)
  return { code: codeOf(first, field), message: issueMessage(first, field) }
}

/** `{ "events.3.event": ["The events.3.event field is required."] }` */
function fieldErrors(issues: ValidationIssue[], names: WireNames): Record<string, string[]> {
  const errors: Record<string, string[]> = {}
  for (const issue of issues) {
    const field = wirePath(issue.path, names)
    if (!Object.hasOwn(errors, field)) Object.defineProperty(errors, field, { value: [], enumerable: true, writable: true, configurable: true })
    errors[field].push(issueMessage(issue, field))
  }
  return errors
}

/** Core path → the wire's dotted field name (`['events', 3, 'name']` → `events.3.event`). */
export function wirePath(path: IssuePath, names: WireNames): string {
  const segments = path.map((segment) => (typeof segment === 'string' && Object.hasOwn(names, segment) ? names[segment] : String(segment))).filter((s) => s !== '')
  return segments.length === 0 ? 'body' : segments.join('.')
}

/** Laravel's validation wording (`validation.php`), with `_` shown as a space in field names. */
export function issueMessage(issue: ValidationIssue, field: string): string {
  const attr = field.replace(/_/g, ' ')
  switch (issue.rule) {
    case 'required':
      return `The ${attr} field is required.`
    case 'string':
      return `The ${attr} field must be a string.`
    case 'number':
      return `The ${attr} field must be a number.`
    case 'boolean':
      return `The ${attr} field must be true or false.`
    case 'object':
      return `The ${attr} field must be an object.`
    case 'array':
      return `The ${attr} field must be an array.`
    case 'email':
      return `The ${attr} field must be a valid email address.`
    case 'date':
      return `The ${attr} field must be a valid ISO-8601 date.`
    case 'date_range':
      return `The ${attr} field must be a date between ${day(issue.min)} and ${day(issue.max)}.`
    case 'text':
      return `The ${attr} field must not contain NUL characters or unpaired UTF-16 surrogates.`
    case 'json':
      return `The ${attr} field ${issue.message}.`
    case 'timezone':
      return `The ${attr} field must be a valid timezone.`
    case 'max':
      return `The ${attr} field must not be greater than ${issue.max} characters.`
    case 'max_items':
      return `The ${attr} field must not have more than ${issue.max} items.`
    case 'min_items':
      return `The ${attr} field must have at least ${issue.min} items.`
    case 'not_future':
      return `The ${attr} field must not be more than ${humanDuration(issue.toleranceMs)} in the future.`
    case 'in':
      return `The selected ${attr} is invalid.`
    case 'integer_range':
      return `The ${attr} field must be an integer between ${issue.min} and ${issue.max}.`
    case 'message':
      return issue.message
    case 'invalid':
      return field === 'body' || field === 'range' ? issue.message : `The ${attr} field is invalid.`
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ]
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms / size === 1 ? '' : 's'}`
  return `${ms} ms`
}
