import type { z } from 'zod'
import type { IssuePath, Rule, ValidationIssue } from './errors'

/**
 * Turns zod issues into telltale's structured rules. Schemas stay the single source of
 * validation; surfaces word the rules in their documented style.
 */
export function toValidationIssues(
  issues: z.core.$ZodIssue[],
  input: unknown,
  basePath: IssuePath = [],
): ValidationIssue[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
    return { ...toRule(issue, valueAt(input, path)), path: [...basePath, ...path] } as ValidationIssue
  })
}

function toRule(issue: z.core.$ZodIssue, value: unknown): Rule {
  if (value === undefined && issue.code !== 'custom') return { rule: 'required' }
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'record' || issue.expected === 'object') return { rule: 'object' }
      if (issue.expected === 'number' || issue.expected === 'int') return { rule: 'number' }
      if (issue.expected === 'array' || issue.expected === 'boolean' || issue.expected === 'string')
        return { rule: issue.expected as 'array' | 'boolean' | 'string' }
      return { rule: 'invalid', message: issue.message }
    case 'too_small':
      if (issue.origin === 'array') return { rule: 'min_items', min: Number(issue.minimum) }
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return { rule: 'required' }
      return { rule: 'invalid', message: issue.message }
    case 'too_big':
      if (issue.origin === 'array') return { rule: 'max_items', max: Number(issue.maximum) }
      if (issue.origin === 'string') return { rule: 'max', max: Number(issue.maximum) }
      return { rule: 'invalid', message: issue.message }
    case 'invalid_format':
      return issue.format === 'email' ? { rule: 'email' } : { rule: 'invalid', message: issue.message }
    case 'invalid_value':
      return { rule: 'in', values: issue.values.map(String) }
    case 'invalid_union':
      return { rule: 'invalid', message: issue.message }
    case 'custom':
      return (issue.params as Rule | undefined) ?? { rule: 'invalid', message: issue.message }
    default:
      return { rule: 'invalid', message: issue.message }
  }
}

function valueAt(input: unknown, path: IssuePath): unknown {
  let current = input
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}
