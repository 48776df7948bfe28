import { z } from 'zod'

// Text every backend can store unchanged. Postgres `text` and `jsonb` cannot hold NUL, and a lone
// UTF-16 surrogate has no UTF-8 form (drivers silently turn it into U+FFFD, so an idempotency key
// would no longer match itself). Both are refused at the boundary, on every adapter alike, rather
// than stored on SQLite and refused by Postgres.

/** `isWellFormed` (ES2024, native in Node 20) is false exactly when a surrogate half lacks its partner. */
export const isSafeText = (text: string): boolean => !text.includes('\u0000') && text.isWellFormed()

export const SAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates'

/** A string every store keeps exactly as given. */
export const safeText = () => z.string().refine(isSafeText, { params: { rule: 'text' } })

/** Nesting deeper than this is refused (PHP's `json_decode` default, which the reference APIs run with). */
export const MAX_JSON_DEPTH = 512

/**
 * Why `value` is not plain JSON that every store keeps exactly, or `undefined` when it is. Walks
 * iteratively (a deep value cannot overflow the stack) and refuses cycles, functions, `bigint`,
 * non-finite numbers, class instances and unsafe text in keys or values.
 */
export function jsonProblem(value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    // `undefined` is what JSON.stringify leaves out (in arrays: writes null), as in-process callers expect.
    if (current === null || current === undefined || typeof current === 'boolean') continue
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return 'must hold finite numbers only'
      continue
    }
    if (typeof current === 'string') {
      if (!isSafeText(current)) return SAFE_TEXT_MESSAGE
      continue
    }
    if (typeof current !== 'object') return 'must hold JSON values only'
    if (depth > MAX_JSON_DEPTH) return `must not be nested more than ${MAX_JSON_DEPTH} levels deep`
    if (seen.has(current)) return 'must not contain cycles'
    seen.add(current)
    if (Array.isArray(current)) {
      for (const item of current) stack.push([item, depth + 1])
      continue
    }
    const proto = Object.getPrototypeOf(current)
    if (proto !== Object.prototype && proto !== null) return 'must hold plain objects only'
    for (const key of Object.keys(current)) {
      if (!isSafeText(key)) return `keys ${SAFE_TEXT_MESSAGE}`
      stack.push([(current as Record<string, unknown>)[key], depth + 1])
    }
  }
  return undefined
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value))

/**
 * A JSON object, returned as given. Not `z.record`, which copies into a fresh `{}` and so drops a
 * `__proto__` key (`JSON.parse` makes it an own key; assigning it sets the prototype instead).
 */
export const jsonObject = () =>
  z
    .custom<Record<string, unknown>>((value) => isPlainObject(value), { params: { rule: 'object' } })
    .superRefine((value, ctx) => {
      const problem = jsonProblem(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { rule: 'json', message: problem } })
    })

/** An object of string values (Flux `tags`), returned as given, `__proto__` keys included. */
export const stringMap = () =>
  z
    .custom<Record<string, string>>((value) => isPlainObject(value), { params: { rule: 'object' } })
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        const item = value[key]
        if (!isSafeText(key))
          ctx.addIssue({ code: 'custom', path: [key], message: `keys ${SAFE_TEXT_MESSAGE}`, params: { rule: 'text' } })
        else if (typeof item !== 'string')
          ctx.addIssue({ code: 'custom', path: [key], message: 'must be a string', params: { rule: 'string' } })
        else if (!isSafeText(item))
          ctx.addIssue({ code: 'custom', path: [key], message: SAFE_TEXT_MESSAGE, params: { rule: 'text' } })
      }
    })

/** An integer in `[min, max]`, worded as one rule ("must be an integer between 1 and 1000"). */
export const integerIn = (min: number, max: number) =>
  z.custom<number>((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max, {
    params: { rule: 'integer_range', min, max },
  })
