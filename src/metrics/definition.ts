/**
 * What a metric definition is: its fields, their defaults, and the rules a saved definition obeys.
 * The same shape is the HTTP body (Status Blocks metrics) and the `api` input, so the zod schema
 * here is the one place a definition is validated.
 */
import { z } from 'zod'
import type { Rule } from '../core/errors'
import { safeText } from '../schemas/text'

export const AGGREGATIONS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'unique_users',
  'repeat_users',
  'latest',
  'p50',
  'p95',
  'p99',
  'mrr',
  'subscribers',
] as const
export type Aggregation = (typeof AGGREGATIONS)[number]

export const WINDOWS = ['day', 'month', '7d', '30d'] as const
export type Window = (typeof WINDOWS)[number]

export const FORMATS = ['number', 'currency', 'percent'] as const
export type Format = (typeof FORMATS)[number]

export const FILTER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in'] as const
export type FilterOp = (typeof FILTER_OPS)[number]

/**
 * Point-in-time aggregations: evaluated at a moment over the payments that cover it (see
 * `coverageStart` in calendar.ts and the billing periods in evaluate.ts), never over a window.
 */
export const POINT_IN_TIME: ReadonlySet<Aggregation> = new Set(['mrr', 'subscribers'])
/** Aggregations that read a number (`field`); the others count events or users. */
export const READS_FIELD: ReadonlySet<Aggregation> = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'latest',
  'p50',
  'p95',
  'p99',
  'mrr',
])

export const SLUG_PATTERN = /^[a-z][a-z0-9_]*$/
export const SLUG_MAX = 64
const MAX_EVENTS = 20
const MAX_FILTERS = 20
const MAX_IN_VALUES = 100
/** `in` values over all of a definition's filters. */
const MAX_TOTAL_IN_VALUES = 200

export interface MetricFilter {
  /** `value`, `user_id` or `metadata.<key>`. */
  field: string
  op: FilterOp
  value: string | number | boolean | null | Array<string | number | boolean | null>
}

/** A definition as stored in `MetricDefinition.spec` and shown on the wire (with uuid, name, slug, times). */
export interface MetricSpec {
  description: string | null
  kind: 'aggregate' | 'formula'
  /** A name, several names, or `null` for every event. */
  event: string | string[] | null
  aggregation: Aggregation | null
  /** `value` or `metadata.<key>` for aggregations that read a number; otherwise `null`. */
  field: string | null
  filters: MetricFilter[] | null
  /** `null` for point-in-time metrics, formulas, and all-time aggregates (`latest` ever). */
  window: Window | null
  formula: string | null
  format: Format
  /** The pack this definition came from (`saas`), or `null`. */
  template: string | null
}

const eventName = safeText().min(1).max(255)
const fieldName = safeText()
  .max(255)
  .refine((f) => f === 'value' || (f.startsWith('metadata.') && f.length > 'metadata.'.length), {
    params: message('The field must be "value" or "metadata.<key>".'),
  })
const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])

const filterSchema = z
  .object({
    field: safeText()
      .max(255)
      .refine((f) => f === 'value' || f === 'user_id' || (f.startsWith('metadata.') && f.length > 'metadata.'.length), {
        params: message('A filter field must be "value", "user_id" or "metadata.<key>".'),
      }),
    op: z.enum(FILTER_OPS),
    value: z.union([scalar, z.array(scalar).min(1).max(MAX_IN_VALUES)]),
  })
  .superRefine((filter, issues) => {
    const list = Array.isArray(filter.value)
    if (filter.op === 'in' && !list) issues.addIssue({ code: 'custom', path: ['value'], params: { rule: 'array' } })
    if (filter.op !== 'in' && list)
      issues.addIssue({
        code: 'custom',
        path: ['value'],
        params: message(`A "${filter.op}" filter compares with one value, not a list.`),
      })
    if (['gt', 'gte', 'lt', 'lte'].includes(filter.op) && typeof filter.value !== 'number')
      issues.addIssue({ code: 'custom', path: ['value'], params: { rule: 'number' } })
    if (typeof filter.value === 'string' && !isSafe(filter.value))
      issues.addIssue({ code: 'custom', path: ['value'], params: { rule: 'text' } })
  })

function message(text: string): Rule {
  return { rule: 'message', message: text }
}

const isSafe = (text: string) => safeText().safeParse(text).success

/**
 * The fields a create or an update may give. Every field is optional here (an update gives some);
 * `completeSpec` applies the defaults and the rules that tie fields together.
 */
export const definitionFields = {
  name: safeText().min(1).max(255),
  slug: z
    .string()
    .max(SLUG_MAX)
    .refine((slug) => SLUG_PATTERN.test(slug), {
      params: message(
        'The slug must start with a lowercase letter and hold only lowercase letters, digits and underscores.',
      ),
    }),
  description: safeText().max(1000).nullable(),
  kind: z.enum(['aggregate', 'formula']),
  event: z.union([eventName, z.array(eventName).min(1).max(MAX_EVENTS)]).nullable(),
  aggregation: z.enum(AGGREGATIONS).nullable(),
  field: fieldName.nullable(),
  filters: z
    .array(filterSchema)
    .max(MAX_FILTERS)
    // Each `in` value is one more comparison per event read: the total bounds a value's cost.
    .refine(
      (filters) =>
        filters.reduce((n, f) => n + (Array.isArray(f.value) ? f.value.length : 0), 0) <= MAX_TOTAL_IN_VALUES,
      {
        params: message(`The filters may list at most ${MAX_TOTAL_IN_VALUES} values in all (in "in" filters).`),
      },
    )
    .nullable(),
  window: z.enum(WINDOWS).nullable(),
  formula: z.string().max(10_000).nullable(),
  format: z.enum(FORMATS),
}

/** A create gives at least a name; an update (`PUT`) any of the fields. */
export const definitionPatch = z.object(definitionFields).partial()
export const definitionInput = definitionPatch.required({ name: true })
export type DefinitionInput = z.output<typeof definitionPatch>

/** A problem with a definition as a whole (wrong field for its kind, unknown slug in a formula). */
export interface SpecProblem {
  field: string
  message: string
}

/**
 * The stored spec from a create's input, or from an update's patch over the stored spec. Fields
 * of the other kind are dropped when the kind changes; giving one explicitly is a problem.
 */
export function completeSpec(
  given: DefinitionInput,
  base: MetricSpec | undefined,
  template: string | null,
): { spec: MetricSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = []
  const kind =
    given.kind ??
    (given.formula != null
      ? 'formula'
      : given.aggregation != null || given.event !== undefined
        ? 'aggregate'
        : (base?.kind ?? 'aggregate'))
  const keep = base?.kind === kind ? base : undefined
  const pick = <K extends keyof MetricSpec>(key: K, fallback: MetricSpec[K]): MetricSpec[K] => {
    const value = (given as Partial<MetricSpec>)[key]
    return value !== undefined ? (value as MetricSpec[K]) : keep ? keep[key] : fallback
  }
  const description = given.description !== undefined ? given.description : (base?.description ?? null)
  if (kind === 'formula') {
    for (const key of ['event', 'aggregation', 'field', 'filters', 'window'] as const) {
      if (given[key] != null)
        problems.push({ field: key, message: `The ${key} field is not used by formula metrics; leave it out.` })
    }
    const formula = pick('formula', null)
    if (formula === null || formula.trim() === '')
      problems.push({ field: 'formula', message: 'The formula field is required for formula metrics.' })
    const spec: MetricSpec = {
      description,
      kind,
      event: null,
      aggregation: null,
      field: null,
      filters: null,
      window: null,
      formula,
      format: given.format ?? base?.format ?? 'number',
      template,
    }
    return { spec, problems }
  }
  if (given.formula != null)
    problems.push({ field: 'formula', message: 'The formula field is only used by formula metrics (kind "formula").' })
  const aggregation = pick('aggregation', null)
  if (aggregation === null) {
    problems.push({ field: 'aggregation', message: 'The aggregation field is required for aggregate metrics.' })
    return {
      spec: {
        description,
        kind,
        event: null,
        aggregation: null,
        field: null,
        filters: null,
        window: null,
        formula: null,
        format: 'number',
        template,
      },
      problems,
    }
  }
  const pointInTime = POINT_IN_TIME.has(aggregation)
  const aggregationChanged = keep?.aggregation !== aggregation
  let window =
    given.window !== undefined ? given.window : keep && !aggregationChanged ? keep.window : defaultWindow(aggregation)
  if (pointInTime && window !== null) {
    if (given.window != null)
      problems.push({
        field: 'window',
        message: `The ${aggregation} aggregation is evaluated at a moment and takes no window.`,
      })
    window = null
  }
  const readsField = READS_FIELD.has(aggregation)
  let field = given.field !== undefined ? given.field : keep && !aggregationChanged ? keep.field : null
  if (readsField) field ??= 'value'
  else {
    // `value` is the documented default field, so it is accepted (and ignored) everywhere; only a
    // property says the caller expects a field to be read.
    if (given.field != null && given.field !== 'value')
      problems.push({
        field: 'field',
        message: `The ${aggregation} aggregation counts events or users and reads no field.`,
      })
    field = null
  }
  const spec: MetricSpec = {
    description,
    kind,
    event: pick('event', null),
    aggregation,
    field,
    filters: pick('filters', []) ?? [],
    window,
    formula: null,
    format: given.format ?? (aggregationChanged ? undefined : keep?.format) ?? defaultFormat(aggregation),
    template,
  }
  return { spec, problems }
}

const defaultWindow = (aggregation: Aggregation): Window | null =>
  POINT_IN_TIME.has(aggregation) || aggregation === 'latest' ? null : '30d'
const defaultFormat = (aggregation: Aggregation): Format => (aggregation === 'mrr' ? 'currency' : 'number')

/**
 * The slug a name gives when none is given: `Pro signups` → `pro_signups`, `30-day revenue` →
 * `m_30_day_revenue` (a slug starts with a letter, so formulas can name it).
 */
export function slugFromName(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  const slug = words === '' ? 'metric' : /^[a-z]/.test(words) ? words : `m_${words}`
  return slug.slice(0, SLUG_MAX).replace(/_+$/, '')
}
