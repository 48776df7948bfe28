import { validationError } from '../core/errors'

/**
 * Picks a surface's documented fields out of a request object and renames them to core names.
 * Fields a surface does not document are ignored, so a core name sent on the wire (`name` on
 * Status Blocks) cannot slip past that surface's own field.
 */
export function fromWire(body: Record<string, unknown>, fields: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const wire of Object.keys(fields))
    if (Object.hasOwn(body, wire) && body[wire] !== undefined) out[fields[wire]] = body[wire]
  return out
}

/** Core field name → wire field name, for naming fields in error messages. */
export function invert(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([wire, core]) => [core, wire]))
}

/** The `events` array of a batch body, with between `min` and `max` items, or a validation error. */
export function batchItems(body: Record<string, unknown>, limits: { min: number; max: number }): unknown[] {
  const items = body.events
  if (items === undefined || items === null) throw validationError([{ rule: 'required', path: ['events'] }])
  if (!Array.isArray(items)) throw validationError([{ rule: 'array', path: ['events'] }])
  if (items.length < limits.min) throw validationError([{ rule: 'min_items', min: limits.min, path: ['events'] }])
  if (items.length > limits.max) throw validationError([{ rule: 'max_items', max: limits.max, path: ['events'] }])
  return items
}
