import { z } from 'zod'

export const SCOPES = ['read', 'write', 'admin'] as const

export const apiKeyInputSchema = z.object({
  projectId: z.string().min(1),
  name: z.string().max(255).optional(),
  /** Defaults to read + write. `admin` may also manage keys. */
  scopes: z.array(z.enum(SCOPES)).min(1).optional(),
})

export type ApiKeyInput = z.input<typeof apiKeyInputSchema>
