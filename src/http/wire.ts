/**
 * Picks a surface's documented fields out of a request object and renames them to core names.
 * Fields a surface does not document are ignored, so a core name sent on the wire (`name` on
 * Status Blocks) cannot slip past that surface's own field.
 */
export function fromWire(body: unknown, fields: Record<string, string>): Record<string, unknown> {
  const source = body as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [wire, core] of Object.entries(fields)) if (source[wire] !== undefined) out[core] = source[wire]
  return out
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
