import { z } from 'zod'
import { safeText } from '../schemas/text'

export const SCOPES = ['read', 'write', 'admin'] as const

export const apiKeyInputSchema = z.object({
  projectId: z.string(),
  name: safeText().max(255).optional(),
  /** Defaults to read + write. `admin` may also manage keys. */
  scopes: z.array(z.enum(SCOPES)).min(1).optional(),
  /**
   * A plaintext key to register instead of generating one (a known key for scripts and demos).
   * Must have the generated format: `tt_` + 43 base62 characters.
   */
  key: z
    .string()
    .regex(/^tt_[0-9A-Za-z]{43}$/)
    .optional(),
})

export type ApiKeyInput = z.input<typeof apiKeyInputSchema>
