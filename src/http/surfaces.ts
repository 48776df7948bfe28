/**
 * The four reference APIs share one app. A request's surface decides how errors are worded and
 * which wire names fields have; it is read off the path, in this one place.
 */
export type Surface = 'status-blocks' | 'flux' | 'statflow' | 'statuscore'

export function surfaceOf(pathname: string): Surface {
  if (pathname.startsWith('/api/v1/')) return 'flux'
  if (pathname.startsWith('/v1/')) return 'statflow'
  if (/^\/api\/(auth|monitors|public|webhooks)(\/|$)/.test(pathname) || pathname.startsWith('/status/')) return 'statuscore'
  return 'status-blocks'
}

/** Core field name → wire field name, per surface (names not listed are the same on the wire). */
export const WIRE_NAMES: Record<Surface, Record<string, string>> = {
  'status-blocks': { name: 'event', userId: 'user_id', userEmail: 'user_email', userName: 'user_name', properties: 'metadata' },
  flux: { userId: 'user_id', userEmail: 'user_email', userName: 'user_name' },
  statflow: {},
  statuscore: {},
}
