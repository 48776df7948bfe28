import { invert } from '../wire'

/**
 * Status Blocks event fields (reference 000): wire name → core name. Fields not listed are
 * ignored; `id` and `timestamp` are telltale additions.
 */
export const EVENT_FIELDS: Record<string, string> = {
  event: 'name',
  user_id: 'userId',
  user_email: 'userEmail',
  user_name: 'userName',
  value: 'value',
  metadata: 'properties',
  timestamp: 'timestamp',
  id: 'id',
}

/** Core name → wire name, for error messages. */
export const WIRE_NAMES = invert(EVENT_FIELDS)
