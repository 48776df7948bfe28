import { type ValidationIssue, validationError } from '../../core/errors'
import { localMidnight } from '../../core/time-zones'
import { isTimeZone } from '../../schemas/project'
import { isDateOnly, parseIsoTimestamp } from '../../schemas/time'

/**
 * The query string of the Flux read endpoints → the input of listEvents / countEvents /
 * eventStats. Only the wire's syntax is handled here; every value is checked by the operation's
 * schema (limits, interval, tz, the from < to rule), so a bad value is reported the same way
 * in-process and over HTTP. Conventions:
 * - `name=user.*` is a prefix match; `name=user.signup` exact;
 * - `from` is inclusive; `to` is inclusive at the precision written (`2024-01-31` means the whole
 *   day, `...T23:59:59Z` the whole second); with `tz`, dates are local dates in that zone;
 * - `tags[key]=value` may repeat for several keys (AND);
 * - `group_by=tags.<key>`, `field=value|properties.<key>`.
 * A parameter given twice counts once (the first).
 */
export function fluxQueryInput(params: URLSearchParams): Record<string, unknown> {
  const issues: ValidationIssue[] = []
  const get = (name: string) => params.get(name) ?? undefined
  const tz = get('tz')
  const zone = tz !== undefined && isTimeZone(tz) ? tz : undefined

  const filter: Record<string, unknown> = {}
  const name = get('name')
  if (name !== undefined) {
    if (name.endsWith('*')) filter.namePrefix = name.slice(0, -1)
    else filter.name = name
  }
  const from = get('from')
  if (from !== undefined) filter.from = parseBound(from, 'start', zone)
  const to = get('to')
  if (to !== undefined) filter.to = parseBound(to, 'end', zone)
  if (params.has('user_id')) filter.userId = get('user_id')

  const tags: Array<[string, string]> = []
  for (const [key, value] of params) {
    const tag = /^tags\[(.+)\]$/s.exec(key)
    if (tag) tags.push([tag[1], value])
    else if (key.startsWith('tags'))
      issues.push({ rule: 'invalid', message: 'Tag filters are written tags[key]=value.', path: ['tags'] })
  }
  // fromEntries defines own keys: a `__proto__` tag is a tag like any other, not a prototype.
  if (tags.length > 0) filter.tags = Object.fromEntries(tags)

  const input: Record<string, unknown> = { filter }
  if (params.has('limit')) input.limit = integer(get('limit')!)
  if (params.has('offset')) input.offset = integer(get('offset')!)
  if (params.has('interval')) input.interval = get('interval')
  if (tz !== undefined) input.timeZone = tz

  const groupBy = get('group_by')
  if (groupBy !== undefined) {
    if (/^tags\..+/s.test(groupBy)) input.groupByTag = groupBy.slice('tags.'.length)
    else
      issues.push({
        rule: 'invalid',
        message: 'The group_by parameter must be tags.<key>, for example tags.plan.',
        path: ['group_by'],
      })
  }
  const field = get('field') ?? 'value'
  if (field === 'value') input.field = { kind: 'value' }
  else if (/^properties\..+/s.test(field)) input.field = { kind: 'property', key: field.slice('properties.'.length) }
  else
    issues.push({ rule: 'invalid', message: 'The field parameter must be value or properties.<key>.', path: ['field'] })

  if (issues.length > 0) throw validationError(issues)
  return input
}

/** Digits become a number; anything else is passed on for the schema to refuse. */
const integer = (text: string): unknown => (/^\d{1,15}$/.test(text) ? Number(text) : text)

/**
 * Epoch ms of a range bound; an end bound covers the whole unit it names. Text that is not
 * ISO-8601 is passed on as is, and the schema words the error.
 */
function parseBound(text: string, side: 'start' | 'end', zone: string | undefined): number | string {
  if (isDateOnly(text)) {
    const [year, month, day] = text.trim().split('-').map(Number)
    const start = zone ? localMidnight(year, month, day, zone) : parseIsoTimestamp(text)
    if (start === undefined) return text
    if (side === 'start') return start
    const next = new Date(Date.UTC(year, month - 1, day + 1))
    return zone ? localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), zone) : next.getTime()
  }
  const ms = parseIsoTimestamp(text)
  if (ms === undefined) return text
  if (side === 'start') return ms
  const time = /T(\d{2}:\d{2})(:\d{2})?(\.\d+)?/i.exec(text.replace(' ', 'T'))
  if (time?.[3]) return ms + 1
  return ms + (time?.[2] ? 1000 : 60_000)
}
