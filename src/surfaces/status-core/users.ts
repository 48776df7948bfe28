import { createUser, deleteUser, listUsers, updateUser } from '../../accounts'
import { defineRoute } from '../define'
import { wireUser } from './auth'

/** Wire → input for a user's fields: camelCase as the documented user object, snake_case accepted too. */
const userFields = (body: Record<string, unknown>) => ({
  email: body.email,
  password: body.password,
  fullName: body.fullName ?? body.full_name,
  subscriptionTier: body.subscriptionTier ?? body.subscription_tier,
  role: body.role,
})

export const listUsersRoute = defineRoute({
  method: 'GET',
  path: '/api/users',
  operation: listUsers,
  rateLimit: 'api',
  reply: (users) => users.map(wireUser),
})

export const createUserRoute = defineRoute({
  method: 'POST',
  path: '/api/users',
  operation: createUser,
  rateLimit: 'api',
  body: userFields,
  status: 201,
  reply: wireUser,
})

export const updateUserRoute = defineRoute({
  method: 'PUT',
  path: '/api/users/:id',
  operation: updateUser,
  rateLimit: 'api',
  body: userFields,
  params: ({ id }) => ({ id }),
  reply: wireUser,
})

export const deleteUserRoute = defineRoute({
  method: 'DELETE',
  path: '/api/users/:id',
  operation: deleteUser,
  rateLimit: 'api',
  params: ({ id }) => ({ id }),
  reply: (result) => result,
})
