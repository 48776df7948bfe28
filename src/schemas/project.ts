import { z } from 'zod'

export const projectInputSchema = z.object({
  name: z.string().min(1).max(255),
  /** Lowercase letters, digits and dashes; derived from the name when absent. */
  slug: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/).optional(),
  /** IANA zone for calendar-day buckets. */
  timezone: z.string().refine(isTimeZone, 'unknown time zone').optional(),
})

export type ProjectInput = z.input<typeof projectInputSchema>

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
