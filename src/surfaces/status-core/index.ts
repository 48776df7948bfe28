import { defineSurface } from '../define'
import { plainErrors } from '../errors'
import { loginRoute, meRoute, passwordRoute } from './auth'
import { createUserRoute, deleteUserRoute, listUsersRoute, updateUserRoute } from './users'

/**
 * StatusCore (reference 003): accounts now; monitors, webhooks and the status page next. Errors
 * are `{"error": "<message>"}`; every authenticated route shares one budget per user or key.
 */
export const statusCore = defineSurface({
  id: 'statusCore',
  prefixes: ['/api/auth', '/api/users'],
  errors: plainErrors({ currentPassword: 'current_password', newPassword: 'new_password' }),
  rateLimits: {
    /** "100 requests per minute per user", across every authenticated route. */
    api: { limit: 100, windowMs: 60_000 },
    /** Login attempts per client address. */
    login: { limit: 60, windowMs: 60_000 },
    /** Login attempts per email from one address. */
    loginEmail: { limit: 10, windowMs: 60_000 },
  },
  routes: [loginRoute, meRoute, passwordRoute, listUsersRoute, createUserRoute, updateUserRoute, deleteUserRoute],
})
