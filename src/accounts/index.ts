import { defineDomain } from '../core/domain'
import { changePassword, getMe, login } from './session'
import { createUser, deleteUser, listUsers, updateUser } from './users'

/**
 * Accounts: the people who sign in to a project (StatusCore). Users have integer ids per project,
 * emails unique in the store, scrypt password hashes and HS256 tokens; the router authenticates a
 * token with `verifyUserBearer` and grants its role's scopes (`ROLE_SCOPES`).
 */
export const accounts = defineDomain({
  id: 'accounts',
  operations: { createUser, updateUser, deleteUser, listUsers, login, getMe, changePassword },
})

export { changePassword, getMe, login, ROLE_SCOPES, verifyUserBearer } from './session'
export { looksLikeJwt } from './tokens'
export { USER_CACHE_MS } from './user-cache'
export { createUser, deleteUser, listUsers, type UserView, updateUser, userIdSchema } from './users'
