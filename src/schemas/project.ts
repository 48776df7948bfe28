import { z } from 'zod'
import { safeText } from './text'

export const projectInputSchema = z.object({
  name: safeText().min(1).max(255),
  /** Lowercase letters, digits and dashes; derived from the name when absent. */
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/)
    .optional(),
  /** IANA zone for calendar-day buckets. */
  timezone: z
    .string()
    .refine(isTimeZone, { params: { rule: 'timezone' } })
    .optional(),
})

export type ProjectInput = z.input<typeof projectInputSchema>

const zones = new Map<string, boolean>()

/** Whether `zone` is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  let known = zones.get(zone)
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone })
      known = true
    } catch {
      known = false
    }
    if (zones.size < 1000) zones.set(zone, known)
  }
  return known
}
