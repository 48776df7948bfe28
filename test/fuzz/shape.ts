// The error shape a reply must have, read off the surface itself: its `errors` formatter is given
// two different errors of each kind, and what the two bodies share becomes the expected shape
// (keys, value types, strings that never change such as a Flux code, maps of string arrays where
// the keys follow the input). So a new surface is checked without an entry here.
import { type ErrorKind, TelltaleError, type ValidationIssue, validationError } from '../../src/core/errors'
import { type ErrorFormatter, type Surface, surfaceOf } from '../../src/surfaces'
import { laravelErrors } from '../../src/surfaces/errors'

export type Shape =
  | { type: 'constant'; value: string | number | boolean | null }
  | { type: 'string'; nonEmpty: boolean }
  | { type: 'number' | 'boolean' }
  | { type: 'object'; keys: Record<string, Shape>; optional: string[] }
  | { type: 'map'; value: Shape }
  | { type: 'array'; item?: Shape }

/** Whether an HTTP reply may carry the kind (`config` is thrown at startup, never answered). */
const REPLIED: Record<ErrorKind, boolean> = {
  validation: true,
  invalid_json: true,
  bad_request: true,
  unsupported_media_type: true,
  payload_too_large: true,
  unauthorized: true,
  forbidden: true,
  not_found: true,
  conflict: true,
  rate_limited: true,
  unavailable: true,
  config: false,
  internal: true,
}

/** Two validation errors that differ in every way a formatter may show: fields, rules, counts. */
const ISSUES: [ValidationIssue[], ValidationIssue[]] = [
  [
    { rule: 'required', path: ['name'] },
    { rule: 'max', max: 255, path: ['events', 3, 'userId'] },
  ],
  [{ rule: 'date', path: ['timestamp'] }],
]

const samples = (kind: ErrorKind): [TelltaleError, TelltaleError] =>
  kind === 'validation'
    ? [validationError(ISSUES[0]), validationError(ISSUES[1])]
    : [new TelltaleError(kind, 'The first sample message.'), new TelltaleError(kind, 'Another, longer sample message.')]

/** Errors on paths no surface owns: telltale answers them in Laravel's `{message}` (src/http/app.ts). */
export const NO_SURFACE = { id: 'no surface', errors: laravelErrors({}) }

export interface ErrorShapes {
  id: string
  /** By status: the shapes of the kinds answered with it (400 is `invalid_json` or `bad_request`). */
  byStatus: Map<number, Shape[]>
}

const cache = new WeakMap<ErrorFormatter, ErrorShapes>()

/** The shapes `surface`'s formatter gives each kind of error, by status. */
export function errorShapes(surface: { id: string; errors: ErrorFormatter }): ErrorShapes {
  const cached = cache.get(surface.errors)
  if (cached) return { ...cached, id: surface.id }
  const byStatus = new Map<number, Shape[]>()
  for (const kind of Object.keys(REPLIED) as ErrorKind[]) {
    if (!REPLIED[kind]) continue
    const [a, b] = samples(kind)
    const shape = merge(surface.errors(a), surface.errors(b), `${surface.id} ${kind}`)
    byStatus.set(a.status, [...(byStatus.get(a.status) ?? []), shape])
  }
  const shapes = { id: surface.id, byStatus }
  cache.set(surface.errors, shapes)
  return shapes
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string')

/** What two bodies of one kind share. */
function merge(a: unknown, b: unknown, where: string): Shape {
  if (typeof a === 'string' && typeof b === 'string')
    return a === b ? { type: 'constant', value: a } : { type: 'string', nonEmpty: a !== '' && b !== '' }
  if ((typeof a === 'number' || typeof a === 'boolean') && typeof b === typeof a)
    return a === b ? { type: 'constant', value: a } : { type: typeof a as 'number' | 'boolean' }
  if (a === null && b === null) return { type: 'constant', value: null }
  if (Array.isArray(a) && Array.isArray(b)) {
    const first = [...a, ...b][0]
    return { type: 'array', item: first === undefined ? undefined : shapeOf(first) }
  }
  if (isObject(a) && isObject(b)) {
    const keysA = Object.keys(a)
    const keysB = Object.keys(b)
    const same = keysA.length === keysB.length && keysA.every((k) => Object.hasOwn(b, k))
    // Keys that follow the input (`{"events.3.user_id": [...]}`): a map of string arrays.
    if (!same && [...Object.values(a), ...Object.values(b)].every(isStringArray))
      return { type: 'map', value: { type: 'array', item: { type: 'string', nonEmpty: true } } }
    const keys: Record<string, Shape> = {}
    const optional: string[] = []
    for (const key of new Set([...keysA, ...keysB])) {
      if (Object.hasOwn(a, key) && Object.hasOwn(b, key)) keys[key] = merge(a[key], b[key], `${where}.${key}`)
      else {
        keys[key] = shapeOf(Object.hasOwn(a, key) ? a[key] : b[key])
        optional.push(key)
      }
    }
    return { type: 'object', keys, optional }
  }
  throw new Error(`the error formatter of ${where} gives two errors of one kind different structures`)
}

/** The shape of one value (a key only one body has, an array's items): its types, nothing constant. */
function shapeOf(v: unknown): Shape {
  if (typeof v === 'string') return { type: 'string', nonEmpty: v !== '' }
  if (typeof v === 'number' || typeof v === 'boolean') return { type: typeof v as 'number' | 'boolean' }
  if (Array.isArray(v)) return { type: 'array', item: v.length ? shapeOf(v[0]) : undefined }
  if (isObject(v))
    return {
      type: 'object',
      keys: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)])),
      optional: [],
    }
  return { type: 'constant', value: null }
}

/** Why `value` does not have `shape`, or undefined. `path` names where, for the finding. */
export function shapeProblem(shape: Shape, value: unknown, path = 'body'): string | undefined {
  const name = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`)
  switch (shape.type) {
    case 'constant':
      return value === shape.value ? undefined : `\`${path}\` is not ${JSON.stringify(shape.value)}`
    case 'string':
      if (typeof value !== 'string') return `\`${path}\` is ${name(value)}, not a string`
      return shape.nonEmpty && value === '' ? `\`${path}\` is empty` : undefined
    case 'number':
    case 'boolean':
      return typeof value === shape.type ? undefined : `\`${path}\` is ${name(value)}, not a ${shape.type}`
    case 'array': {
      if (!Array.isArray(value)) return `\`${path}\` is ${name(value)}, not an array`
      if (!shape.item) return undefined
      for (const item of value) {
        const problem = shapeProblem(shape.item, item, `${path}[]`)
        if (problem) return problem
      }
      return undefined
    }
    case 'map': {
      if (!isObject(value)) return `\`${path}\` is ${name(value)}, not {field: [string]}`
      for (const key of Object.keys(value)) {
        const problem = shapeProblem(shape.value, value[key], `${path}.*`)
        if (problem) return problem
      }
      return undefined
    }
    case 'object': {
      if (!isObject(value)) return `\`${path}\` is ${name(value)}, not an object`
      const extra = Object.keys(value).filter((k) => !Object.hasOwn(shape.keys, k))
      if (extra.length)
        return `\`${path}\` has extra keys ${extra.map((k) => JSON.stringify(k).slice(0, 40)).join(',')}`
      for (const [key, inner] of Object.entries(shape.keys)) {
        if (!Object.hasOwn(value, key)) {
          if (shape.optional.includes(key)) continue
          return `\`${path}.${key}\` is missing`
        }
        const problem = shapeProblem(inner, value[key], `${path}.${key}`)
        if (problem) return problem
      }
      return undefined
    }
  }
}

/**
 * Why an error reply is not in the shape of the surface that owns its path (telltale's own
 * `surfaceOf`; paths no surface owns get NO_SURFACE's), or undefined when it is.
 */
export function errorShapeProblem(
  surfaces: readonly Surface[],
  path: string,
  status: number,
  body: unknown,
): string | undefined {
  const pathname = new URL(path, 'http://fuzz.invalid').pathname
  const shapes = errorShapes(surfaceOf(surfaces, pathname) ?? NO_SURFACE)
  const candidates = shapes.byStatus.get(status) ?? [...shapes.byStatus.values()].flat()
  const problems = candidates.map((shape) => shapeProblem(shape, body))
  if (problems.some((p) => p === undefined)) return undefined
  return `${shapes.id} error (${status}): ${problems[0]}`
}

/** `{error: {code: "not_found", message: string}}`: a shape as the documentation writes it. */
export function describeShape(shape: Shape): string {
  switch (shape.type) {
    case 'constant':
      return JSON.stringify(shape.value)
    case 'string':
    case 'number':
    case 'boolean':
      return shape.type
    case 'array':
      return `[${shape.item ? describeShape(shape.item) : ''}]`
    case 'map':
      return `{*: ${describeShape(shape.value)}}`
    case 'object':
      return `{${Object.entries(shape.keys)
        .map(([k, v]) => `${k}${shape.optional.includes(k) ? '?' : ''}: ${describeShape(v)}`)
        .join(', ')}}`
  }
}
