import { invert } from '../wire'

/** Flux event fields (reference 001): wire name → core name. `id` is a telltale addition. */
export const EVENT_FIELDS: Record<string, string> = {
  name: 'name',
  timestamp: 'timestamp',
  user_id: 'userId',
  value: 'value',
  properties: 'properties',
  tags: 'tags',
  id: 'id',
}

/**
 * Core name → wire name for error messages, events and query parameters alike (`''` drops a
 * segment: a query's `filter.from` is the wire's `from`).
 */
export const WIRE_NAMES: Record<string, string> = {
  ...invert(EVENT_FIELDS),
  filter: '',
  names: 'name',
  namePrefix: 'name',
  timeZone: 'tz',
  groupByTag: 'group_by',
  key: '',
}
