/** What a credential may do. `admin` may also manage keys and settings. */
export type Scope = 'read' | 'write' | 'admin'

export interface ApiKey {
  id: string
  projectId: string
  name: string | null
  /**
   * The first characters of the plaintext key (`tt_` + 12 characters). Not secret on its own: it
   * is shown in key lists and used to find the key's row, whose hash is then compared.
   */
  prefix: string
  /** SHA-256 of the whole plaintext key, hex. The plaintext is never stored. */
  hash: string
  scopes: Scope[]
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

export interface ApiKeyRepository {
  create(input: { key: ApiKey }): Promise<ApiKey>
  /**
   * Every key (revoked ones too) whose prefix matches, across projects: the only unscoped read,
   * because a request does not know its project until its key is verified. The caller compares
   * hashes in constant time and checks `revokedAt`.
   */
  findByPrefix(input: { prefix: string }): Promise<ApiKey[]>
  list(input: { projectId: string }): Promise<ApiKey[]>
  /** Sets `revokedAt` once; revoking again keeps the first time. Returns false for an unknown id. */
  revoke(input: { projectId: string; keyId: string; at: number }): Promise<boolean>
  /**
   * Records use. Writes only when the stored value is older than `at - staleMs`, so a busy key
   * costs one write per `staleMs`, not one per request.
   */
  touch(input: { projectId: string; keyId: string; at: number; staleMs: number }): Promise<void>
}
