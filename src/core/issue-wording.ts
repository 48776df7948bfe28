import type { ValidationIssue } from './errors'

/** Laravel's validation wording (`validation.php`), with `_` shown as a space in field names. */
export function issueMessage(issue: ValidationIssue, field: string): string {
  const attr = field.replace(/_/g, ' ')
  switch (issue.rule) {
    case 'required':
      return `The ${attr} field is required.`
    case 'string':
      return `The ${attr} field must be a string.`
    case 'number':
      return `The ${attr} field must be a number.`
    case 'boolean':
      return `The ${attr} field must be true or false.`
    case 'object':
      return `The ${attr} field must be an object.`
    case 'array':
      return `The ${attr} field must be an array.`
    case 'email':
      return `The ${attr} field must be a valid email address.`
    case 'date':
      return `The ${attr} field must be a valid ISO-8601 date.`
    case 'date_range':
      return `The ${attr} field must be a date between ${day(issue.min)} and ${day(issue.max)}.`
    case 'text':
      return `The ${attr} field must not contain NUL characters or unpaired UTF-16 surrogates.`
    case 'json':
      return `The ${attr} field ${issue.message}.`
    case 'timezone':
      return `The ${attr} field must be a valid timezone.`
    case 'max':
      return `The ${attr} field must not be greater than ${issue.max} characters.`
    case 'max_items':
      return `The ${attr} field must not have more than ${issue.max} items.`
    case 'min_items':
      return `The ${attr} field must have at least ${issue.min} items.`
    case 'not_future':
      return `The ${attr} field must not be more than ${humanDuration(issue.toleranceMs)} in the future.`
    case 'in':
      return `The selected ${attr} is invalid.`
    case 'integer_range':
      return `The ${attr} field must be an integer between ${issue.min} and ${issue.max}.`
    case 'message':
      return issue.message
    case 'invalid':
      return field === 'body' || field === 'range' || field === 'input'
        ? issue.message
        : `The ${attr} field is invalid.`
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ]
  for (const [size, unit] of units)
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms / size === 1 ? '' : 's'}`
  return `${ms} ms`
}
