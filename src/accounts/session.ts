import { z } from 'zod'
import type { CoreContext } from '../core/context'
import { TelltaleError } from '../core/errors'
import { defineOperation } from '../core/operation'
import type { Scope, User } from '../storage'
import { dummyPasswordHash, hashPassword, verifyPassword } from './password'
import { signingKey } from './secret'
import { signUserToken, verifyUserToken } from './tokens'
import { cachedUser, forgetUser } from './user-cache'
import { emailSchema, passwordSchema, requireUser, type UserView, viewOfUser } from './users'

/** What each role may do: a viewer reads, a member also writes, an admin also manages. */
export const ROLE_SCOPES: Record<User['role'], Scope[]> = {
  viewer: ['read'],
  member: ['read', 'write'],
  admin: ['read', 'write', 'admin'],
}

/** The same answer for an unknown email and a wrong password: nothing tells them apart. */
const invalidLogin = () => new TelltaleError('unauthorized', 'Invalid email or password.')

/**
 * Email and password → the user and a token. An unknown email is checked against a dummy hash, so
 * it takes as long as a wrong password. Public: no project is known before the email is.
 */
export const login = defineOperation({
  input: z.object({ email: z.string().max(1024), password: z.string().max(1024) }),
  scope: 'read',
  async run(ctx, { email, password }): Promise<{ user: UserView; token: string }> {
    const user = emailSchema.safeParse(email).success ? await ctx.storage.users.getByEmail({ email }) : undefined
    const matches = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()))
    if (!user || !matches) throw invalidLogin()
    return { user: viewOfUser(user), token: await tokenFor(ctx, user) }
  },
})

/** The signed-in user. */
export const getMe = defineOperation({
  input: z.object({ projectId: z.string(), userId: z.number().int().positive() }),
  scope: 'read',
  run: async (ctx, { projectId, userId }): Promise<UserView> => viewOfUser(await requireUser(ctx, projectId, userId)),
})

/** A user changes their own password; every token made before ends, and a new one is returned. */
export const changePassword = defineOperation({
  input: z.object({
    projectId: z.string(),
    userId: z.number().int().positive(),
    currentPassword: z.string().max(1024),
    newPassword: passwordSchema,
  }),
  scope: 'read',
  async run(ctx, { projectId, userId, currentPassword, newPassword }): Promise<{ success: true; token: string }> {
    const user = await requireUser(ctx, projectId, userId)
    if (!(await verifyPassword(currentPassword, user.passwordHash)))
      throw new TelltaleError('unauthorized', 'The current password is not correct.')
    const next: User = {
      ...user,
      passwordHash: await hashPassword(newPassword),
      tokenVersion: user.tokenVersion + 1,
      updatedAt: ctx.clock.now(),
    }
    const saved = await ctx.storage.users.update({ user: next })
    if (!saved) throw new TelltaleError('not_found', 'User not found.')
    forgetUser(ctx, projectId, userId)
    return { success: true, token: await tokenFor(ctx, saved) }
  },
})

function tokenFor(ctx: CoreContext, user: User): Promise<string> {
  return signingKey(ctx).then((key) =>
    signUserToken(
      key,
      { projectId: user.projectId, userId: user.id, tokenVersion: user.tokenVersion },
      { now: ctx.clock.now(), ttlMs: ctx.limits.tokenTtlMs },
    ),
  )
}

/**
 * The user a bearer token (JWT-shaped: `looksLikeJwt`) names, or `undefined` when it is not a valid token of a current user:
 * its signature, expiry and subject are checked, and the user must still exist with the token's
 * version (a password or role change, or a delete, ends older tokens). Role and tier come from
 * the store, never from the token.
 */
export async function verifyUserBearer(ctx: CoreContext, credential: string): Promise<User | undefined> {
  const claims = await verifyUserToken(await signingKey(ctx), credential, ctx.clock.now())
  if (!claims) return undefined
  const user = await cachedUser(ctx, claims.projectId, claims.userId)
  if (!user) return undefined
  return user.tokenVersion === claims.tokenVersion ? user : undefined
}
