/** A person who signs in (StatusCore accounts): what the store keeps of them. */
export type SubscriptionTier = 'free' | 'pro' | 'business'
export type UserRole = 'admin' | 'member' | 'viewer'

export interface User {
  projectId: string
  /** 1, 2, 3... per project (`SequenceRepository`), as StatusCore shows user ids. */
  id: number
  /** As the user wrote it; unique in the whole store compared case-insensitively (`emailKey`). */
  email: string
  fullName: string
  /** `scrypt$N$r$p$salt$hash`; the password itself is never stored. */
  passwordHash: string
  subscriptionTier: SubscriptionTier
  role: UserRole
  /** Moves on when the password or role changes: tokens made before carry an older one and stop working. */
  tokenVersion: number
  createdAt: number
  updatedAt: number
}

/** The form an email is unique and looked up in: lower case (ASCII and Unicode alike), trimmed. */
export const emailKey = (email: string): string => email.trim().toLowerCase()

export interface UserRepository {
  /**
   * Stores a new user under the project's next user id (taken in the same write where the backend
   * has transactions). ConflictError('email') when the email is taken in the store, by any project.
   */
  create(input: { user: Omit<User, 'id'> }): Promise<User>
  get(input: { projectId: string; id: number }): Promise<User | undefined>
  /** The user with this email in the whole store (login knows no project yet). */
  getByEmail(input: { email: string }): Promise<User | undefined>
  /** The project's users by id. */
  list(input: { projectId: string }): Promise<User[]>
  /**
   * Replaces a user's fields (not its project or id). ConflictError('email') when a new email is
   * taken; `undefined` when the user does not exist.
   */
  update(input: { user: User }): Promise<User | undefined>
  /** True when the user existed. */
  delete(input: { projectId: string; id: number }): Promise<boolean>
}

/**
 * Per-project, per-kind integers from 1 (users now; monitors, incidents, webhooks next). Each call
 * returns a number no other call returned for that project and kind; a failed insert may leave a gap.
 */
export interface SequenceRepository {
  next(input: { projectId: string; kind: string }): Promise<number>
}

/**
 * Store-wide settings: values telltale makes once and every instance must share (the secret that
 * signs user tokens when the host gives none).
 */
export interface SettingRepository {
  get(input: { key: string }): Promise<string | undefined>
  /** Stores `value` unless the key has one; returns the value the store keeps (the first writer's). */
  setIfAbsent(input: { key: string; value: string }): Promise<string>
}
