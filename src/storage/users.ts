// Planned (roadmap: StatusCore accounts). Passwords are stored as scrypt/argon2 hashes only.
export interface User {
  id: number
  projectId: string
  email: string
  fullName: string
  passwordHash: string
  subscriptionTier: string
  createdAt: number
}

export interface UserRepository {
  /** Rejects with `ConflictError` when the email is taken (emails are unique across the store). */
  create(input: { user: Omit<User, 'id'> }): Promise<User>
  /** Login looks a user up before it knows the project, like `ApiKeyRepository.findByPrefix`. */
  findByEmail(input: { email: string }): Promise<User | undefined>
  get(input: { projectId: string; id: number }): Promise<User | undefined>
}
