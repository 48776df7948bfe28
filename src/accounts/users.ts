import { z } from 'zod'
import type { CoreContext } from '../core/context'
import { TelltaleError } from '../core/errors'
import { defineOperation } from '../core/operation'
import { safeText } from '../schemas/text'
import { ConflictError, type User } from '../storage'
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from './password'
import { forgetUser } from './user-cache'

export const TIERS = ['free', 'pro', 'business'] as const
export const ROLES = ['admin', 'member', 'viewer'] as const

/** A user as every reply shows it: never the password hash or the token version. */
export interface UserView {
  id: number
  email: string
  fullName: string
  subscriptionTier: User['subscriptionTier']
  role: User['role']
  createdAt: number
  updatedAt: number
}

export const viewOfUser = (user: User): UserView => ({
  id: user.id,
  email: user.email,
  fullName: user.fullName,
  subscriptionTier: user.subscriptionTier,
  role: user.role,
  createdAt: user.createdAt,
  updatedAt: user.updatedAt,
})

export const emailSchema = safeText().trim().max(254).pipe(z.email())
export const passwordSchema = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX)
/** An id as a number or its decimal string (StatusCore paths and bodies). */
export const userIdSchema = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER))

const fields = {
  email: emailSchema,
  password: passwordSchema,
  fullName: safeText().trim().min(1).max(255),
  subscriptionTier: z.enum(TIERS),
  role: z.enum(ROLES),
}

/** A new user of the project (the host's sign-up calls it). */
export const createUser = defineOperation({
  input: z.object({
    projectId: z.string(),
    ...fields,
    subscriptionTier: fields.subscriptionTier.default('free'),
    role: fields.role.default('member'),
  }),
  scope: 'admin',
  async run(ctx, { projectId, password, ...input }): Promise<UserView> {
    const now = ctx.clock.now()
    const user = {
      projectId,
      ...input,
      passwordHash: await hashPassword(password),
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    }
    return viewOfUser(await ctx.storage.users.create({ user }).catch(asConflict))
  },
})

/** Changes what is given. A new password or role ends the user's tokens made before. */
export const updateUser = defineOperation({
  input: z.object({ projectId: z.string(), id: userIdSchema, ...z.object(fields).partial().shape }),
  scope: 'admin',
  async run(ctx, { projectId, id, password, ...changes }): Promise<UserView> {
    const current = await requireUser(ctx, projectId, id)
    const ends = password !== undefined || (changes.role !== undefined && changes.role !== current.role)
    const next: User = {
      ...current,
      ...definedOnly(changes),
      passwordHash: password === undefined ? current.passwordHash : await hashPassword(password),
      tokenVersion: current.tokenVersion + (ends ? 1 : 0),
      updatedAt: ctx.clock.now(),
    }
    const saved = await ctx.storage.users.update({ user: next }).catch(asConflict)
    if (!saved) throw notFound()
    forgetUser(ctx, projectId, id)
    return viewOfUser(saved)
  },
})

/** Deletes the user; its tokens stop working. */
export const deleteUser = defineOperation({
  input: z.object({ projectId: z.string(), id: userIdSchema }),
  scope: 'admin',
  async run(ctx, { projectId, id }): Promise<{ success: true }> {
    if (!(await ctx.storage.users.delete({ projectId, id }))) throw notFound()
    forgetUser(ctx, projectId, id)
    return { success: true }
  },
})

export const listUsers = defineOperation({
  input: z.object({ projectId: z.string() }),
  scope: 'admin',
  run: async (ctx, { projectId }): Promise<UserView[]> => (await ctx.storage.users.list({ projectId })).map(viewOfUser),
})

export async function requireUser(ctx: CoreContext, projectId: string, id: number): Promise<User> {
  const user = await ctx.storage.users.get({ projectId, id })
  if (!user) throw notFound()
  return user
}

const notFound = () => new TelltaleError('not_found', 'User not found.')

function asConflict(error: unknown): never {
  throw error instanceof ConflictError ? new TelltaleError('conflict', 'The email has already been taken.') : error
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
