import type { IssuePath, TelltaleError, ValidationIssue } from '../core/errors'
import { issueMessage } from '../core/issue-wording'
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
    const message =
      more > 0 ? `${messages[0]} (and ${more} more error${more === 1 ? '' : 's'})` : (messages[0] ?? error.message)
    return { message, errors }
  }
}

/** `codeOf` picks the code of a validation error from its first issue. */
export function codedErrors(
  names: WireNames,
  codeOf: (issue: ValidationIssue, field: string) => string,
): ErrorFormatter {
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
export function codedIssue(
  issues: ValidationIssue[],
  names: WireNames,
  codeOf: (issue: ValidationIssue, field: string) => string,
): { code: string; message: string } {
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
    if (!Object.hasOwn(errors, field))
      Object.defineProperty(errors, field, { value: [], enumerable: true, writable: true, configurable: true })
    errors[field].push(issueMessage(issue, field))
  }
  return errors
}

/** Core path → the wire's dotted field name (`['events', 3, 'name']` → `events.3.event`). */
export function wirePath(path: IssuePath, names: WireNames): string {
  const segments = path
    .map((segment) => (typeof segment === 'string' && Object.hasOwn(names, segment) ? names[segment] : String(segment)))
    .filter((s) => s !== '')
  return segments.length === 0 ? 'body' : segments.join('.')
}
