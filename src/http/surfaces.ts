/**
 * The four reference APIs share one app. A request's surface decides how errors are worded and
 * which wire names fields have; it is read off the path, in this one place.
 */
export type Surface = 'status-blocks' | 'flux' | 'statflow' | 'statuscore'

/**
 * The paths telltale answers, roadmap surfaces included so that mounting never changes meaning
 * later. Mounted as middleware, telltale passes every other path on to the host.
 */
const OWNED = /^\/(?:api\/(?:events|metrics|v1|auth|monitors|public|webhooks)|v1|status)(?:\/|$)/

export function ownsPath(pathname: string): boolean {
  return OWNED.test(pathname)
}

export function surfaceOf(pathname: string): Surface {
  if (pathname.startsWith('/api/v1/')) return 'flux'
  if (pathname.startsWith('/v1/')) return 'statflow'
  if (/^\/api\/(auth|monitors|public|webhooks)(\/|$)/.test(pathname) || pathname.startsWith('/status/')) return 'statuscore'
  return 'status-blocks'
}

/**
 * The event fields each surface accepts: wire name → core name. Fields a surface does not list are
 * ignored on input; `id` and (on Status Blocks) `timestamp` are telltale additions.
 */
export const EVENT_FIELDS: Record<'status-blocks' | 'flux', Record<string, string>> = {
  'status-blocks': { event: 'name', user_id: 'userId', user_email: 'userEmail', user_name: 'userName', value: 'value', metadata: 'properties', timestamp: 'timestamp', id: 'id' },
  flux: { name: 'name', timestamp: 'timestamp', user_id: 'userId', value: 'value', properties: 'properties', tags: 'tags', id: 'id' },
}

/** Core field name → wire field name, per surface, for naming fields in error messages. */
export const WIRE_NAMES: Record<Surface, Record<string, string>> = {
  'status-blocks': invert(EVENT_FIELDS['status-blocks']),
  flux: invert(EVENT_FIELDS.flux),
  statflow: {},
  statuscore: {},
}

function invert(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([wire, core]) => [core, wire]))
}
