import { changePassword, getMe, login, type UserView } from '../../accounts'
import { TelltaleError } from '../../core/errors'
import { emailKey } from '../../storage'
import type { AuthContext } from '../define'
import { defineRoute } from '../define'

/** The user object of `POST /api/auth/login` exactly as documented. */
export const loginUser = (user: UserView) => ({
  id: user.id,
  email: user.email,
  fullName: user.fullName,
  subscriptionTier: user.subscriptionTier,
})

/** A user as `/api/auth/me` and `/api/users` show it: the documented fields, the role, the times. */
export const wireUser = (user: UserView) => ({
  ...loginUser(user),
  role: user.role,
  created_at: new Date(user.createdAt).toISOString(),
  updated_at: new Date(user.updatedAt).toISOString(),
})

/** The signed-in user's id; an API key (or the host's session) has no user behind it. */
export function userOf(auth: AuthContext | undefined): number {
  if (auth?.userId === undefined)
    throw new TelltaleError('forbidden', "This route needs a user's token (POST /api/auth/login).")
  return auth.userId
}

export const loginRoute = defineRoute({
  method: 'POST',
  path: '/api/auth/login',
  public: true,
  operation: login,
  rateLimit: 'login',
  // Per email and address together: a stranger elsewhere cannot lock the user out.
  rateLimitBy: { rule: 'loginEmail', by: (input) => emailKey(input.email) },
  body: (body) => ({ email: body.email, password: body.password }),
  reply: ({ user, token }) => ({ user: loginUser(user), token }),
})

export const meRoute = defineRoute({
  method: 'GET',
  path: '/api/auth/me',
  operation: getMe,
  rateLimit: 'api',
  query: (_params, { auth }) => ({ userId: userOf(auth) }),
  reply: (user) => ({ user: wireUser(user) }),
})

export const passwordRoute = defineRoute({
  method: 'PUT',
  path: '/api/auth/password',
  operation: changePassword,
  rateLimit: 'api',
  body: (body, { auth }) => ({
    userId: userOf(auth),
    currentPassword: body.current_password,
    newPassword: body.new_password,
  }),
  reply: (result) => result,
})
