import type { ValidationIssue } from '../../core/errors'
import { codedErrors, codedIssue } from '../errors'
import { WIRE_NAMES } from './fields'

/**
 * Flux error codes (reference 001, "Errors") plus telltale's own in the same style, chosen by the
 * field of the first issue (its last named segment, not counting a batch's `events`).
 */
function fluxCode(issue: ValidationIssue, field: string): string {
  const names = field.split('.').filter((segment) => !/^\d+$/.test(segment))
  if (names.includes('tags')) return 'invalid_tags'
  const name = names.filter((n) => n !== 'events').pop() ?? names[0] ?? 'body'
  switch (name) {
    case 'name':
      return issue.rule === 'required' ? 'missing_name' : 'invalid_name'
    case 'timestamp':
    case 'from':
    case 'to':
      return 'invalid_timestamp'
    case 'events':
      return issue.rule === 'max_items'
        ? 'batch_too_large'
        : issue.rule === 'required'
          ? 'missing_events'
          : 'invalid_batch'
    case 'limit':
    case 'offset':
      return 'invalid_limit'
    case 'range':
      return 'invalid_range'
    case 'interval':
      return 'invalid_interval'
    case 'tz':
      return 'invalid_timezone'
    case 'body':
      return 'invalid_request'
    default:
      return `invalid_${name}`
  }
}

export const fluxErrors = codedErrors(WIRE_NAMES, fluxCode)

/** `{code, message}` for one rejected batch item. */
export const fluxItemError = (issues: ValidationIssue[]) => codedIssue(issues, WIRE_NAMES, fluxCode)
