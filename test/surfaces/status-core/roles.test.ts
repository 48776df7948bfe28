// A user's role against every route of every surface: each route answers 403 exactly when the
// role lacks the route's scope (viewer: read; member: read, write; admin: all), whatever else is
// wrong with the request. Read off the surfaces themselves, so a new route is covered as it lands.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SURFACES } from '../../../src/surfaces'
import { makeTelltale, type TestApp } from '../../helpers/app'

const ROLES = { viewer: ['read'], member: ['read', 'write'], admin: ['read', 'write', 'admin'] } as const
let t: TestApp
const tokens: Record<string, string> = {}

beforeAll(async () => {
  t = await makeTelltale({ limits: { rateLimits: { statusCore: { api: false } } } })
  for (const role of Object.keys(ROLES) as Array<keyof typeof ROLES>) {
    const email = `${role}@example.com`
    await t.telltale.api.createUser({ projectId: t.project.id, email, password: 'password1', fullName: role, role })
    tokens[role] = (await t.telltale.api.login({ email, password: 'password1' })).token
  }
})
afterAll(() => t.close())

test('every route answers 403 exactly when the role lacks its scope', async () => {
  const checked: string[] = []
  for (const surface of SURFACES) {
    for (const route of surface.routes) {
      if (route.public) continue
      const scope = route.scope ?? route.operation.scope
      const path = route.path.replace(/:[A-Za-z_]\w*/g, '1')
      for (const [role, scopes] of Object.entries(ROLES)) {
        const response = await t.telltale.fetch(
          new Request(`http://localhost${path}`, {
            method: route.method,
            headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
            body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
          }),
        )
        const allowed = (scopes as readonly string[]).includes(scope)
        expect(response.status === 403, `${role} ${route.method} ${route.path} (${scope}): ${response.status}`).toBe(
          !allowed,
        )
        expect(response.status, `${role} ${route.method} ${route.path}`).toBeLessThan(500)
      }
      checked.push(`${route.method} ${route.path}`)
    }
  }
  expect(checked).toContain('GET /api/users')
  expect(checked).toContain('POST /api/events')
  expect(checked.length).toBeGreaterThan(20)
})
