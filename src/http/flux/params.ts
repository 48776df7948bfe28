import { type ValidationIssue, validationError } from '../../core/errors'
import { INTERVALS, type Interval } from '../../core/queries'
import { localMidnight } from '../../core/time-zones'
import { EVENT_NAME_MAX, USER_FIELD_MAX } from '../../schemas/event'
import { isTimeZone } from '../../schemas/project'
import { isDateOnly, parseIsoTimestamp } from '../../schemas/time'
import type { EventField, EventFilter } from '../../storage'

/**
 * Query parameters of the Flux read endpoints, parsed into a core filter. Every problem is
 * collected, so one reply names all of them. Conventions:
 * - `name=user.*` is a prefix match; `name=user.signup` exact;
 * - `from` is inclusive; `to` is inclusive at the precision written (`2024-01-31` means the whole
 *   day, `...T23:59:59Z` the whole second); with `tz`, dates are local dates in that zone;
 * - `tags[key]=value` may repeat for several keys (AND).
 */
export interface EventQuery {
  filter: EventFilter
  limit: number
  offset: number
  interval?: Interval
  timeZone?: string
  groupByTag?: string
  field: EventField
}

export function parseEventQuery(params: URLSearchParams): EventQuery {
  const issues: ValidationIssue[] = []
  const filter: EventFilter = {}
  const timeZone = params.get('tz') ?? undefined
  if (timeZone !== undefined && !isTimeZone(timeZone)) issues.push({ rule: 'invalid', message: `The tz parameter must be an IANA time zone such as Europe/Berlin.`, path: ['tz'] })
  const zone = timeZone !== undefined && isTimeZone(timeZone) ? timeZone : undefined

  const name = params.get('name')
  if (name !== null) {
    if (name === '') issues.push({ rule: 'required', path: ['name'] })
    else if (name.length > EVENT_NAME_MAX + 1) issues.push({ rule: 'max', max: EVENT_NAME_MAX, path: ['name'] })
    else if (name.endsWith('*')) filter.namePrefix = name.slice(0, -1)
    else filter.names = [name]
  }

  const from = params.get('from')
  if (from !== null) {
    const ms = parseBound(from, 'start', zone)
    if (ms === undefined) issues.push({ rule: 'date', path: ['from'] })
    else filter.from = ms
  }
  const to = params.get('to')
  if (to !== null) {
    const ms = parseBound(to, 'end', zone)
    if (ms === undefined) issues.push({ rule: 'date', path: ['to'] })
    else filter.to = ms
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    issues.push({ rule: 'invalid', message: 'The from timestamp must be before the to timestamp.', path: ['range'] })
  }

  const userId = params.get('user_id')
  if (userId !== null) {
    if (userId.length > USER_FIELD_MAX) issues.push({ rule: 'max', max: USER_FIELD_MAX, path: ['user_id'] })
    else filter.userId = userId
  }

  for (const [key, value] of params) {
    const tag = /^tags\[(.+)\]$/.exec(key)
    if (tag) (filter.tags ??= {})[tag[1]] = value
    else if (key.startsWith('tags')) issues.push({ rule: 'invalid', message: 'Tag filters are written tags[key]=value.', path: ['tags'] })
  }

  const limit = parseInteger(params.get('limit'), 100, 1, 1000, 'limit', issues)
  const offset = parseInteger(params.get('offset'), 0, 0, 1_000_000_000, 'offset', issues)

  const intervalText = params.get('interval')
  let interval: Interval | undefined
  if (intervalText !== null) {
    if (intervalText in INTERVALS) interval = intervalText as Interval
    else issues.push({ rule: 'in', values: Object.keys(INTERVALS), path: ['interval'] })
  }
  if (zone !== undefined && interval !== undefined && interval !== '1d') {
    issues.push({ rule: 'invalid', message: 'The tz parameter applies to interval=1d only.', path: ['interval'] })
  }

  const groupBy = params.get('group_by')
  let groupByTag: string | undefined
  if (groupBy !== null) {
    if (/^tags\..+/.test(groupBy)) groupByTag = groupBy.slice('tags.'.length)
    else issues.push({ rule: 'invalid', message: 'The group_by parameter must be tags.<key>, for example tags.plan.', path: ['group_by'] })
  }

  const fieldText = params.get('field') ?? 'value'
  let field: EventField = { kind: 'value' }
  if (/^properties\..+/.test(fieldText)) field = { kind: 'property', key: fieldText.slice('properties.'.length) }
  else if (fieldText !== 'value') issues.push({ rule: 'invalid', message: 'The field parameter must be value or properties.<key>.', path: ['field'] })

  if (issues.length > 0) throw validationError(issues)
  return { filter, limit, offset, interval, timeZone: zone, groupByTag, field }
}

/** Epoch ms of a range bound; an end bound covers the whole unit it names. */
function parseBound(text: string, side: 'start' | 'end', zone: string | undefined): number | undefined {
  if (isDateOnly(text)) {
    const [year, month, day] = text.trim().split('-').map(Number)
    const start = zone ? localMidnight(year, month, day, zone) : parseIsoTimestamp(text)
    if (start === undefined) return undefined
    if (side === 'start') return start
    const next = new Date(Date.UTC(year, month - 1, day + 1))
    return zone ? localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), zone) : next.getTime()
  }
  const ms = parseIsoTimestamp(text)
  if (ms === undefined || side === 'start') return ms
  const time = /T(\d{2}:\d{2})(:\d{2})?(\.\d+)?/i.exec(text.replace(' ', 'T'))
  if (time?.[3]) return ms + 1
  return ms + (time?.[2] ? 1000 : 60_000)
}

function parseInteger(text: string | null, fallback: number, min: number, max: number, name: string, issues: ValidationIssue[]): number {
  if (text === null) return fallback
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    issues.push({ rule: 'integer_range', min, max, path: [name] })
    return fallback
  }
  return value
}
