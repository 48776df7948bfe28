import { z } from 'zod'
import type { CoreContext } from '../core/context'
import { TelltaleError, type ValidationIssue, validationError } from '../core/errors'
import { isUuid, uuidv7 } from '../core/ids'
import { defineOperation } from '../core/operation'
import { requireProject } from '../core/project-cache'
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from '../schemas/time'
import { ConflictError, type MetricDefinition } from '../storage'
import { addDays, dayRange, daysBetween, isDay, localDay } from './calendar'
import {
  completeSpec,
  type DefinitionInput,
  definitionInput,
  definitionPatch,
  type MetricSpec,
  type SpecProblem,
  slugFromName,
} from './definition'
import { storedFormulaSlugs, toMetric } from './evaluate'
import { FormulaError, findCycle, formulaReach, formulaSlugs, parseFormula } from './formula'
import {
  computeSnapshots,
  daysWithEvents,
  firstEventDay,
  HISTORY_MAX_DAYS,
  type HistoryPoint,
  INLINE_METRIC_DAYS,
  MetricSet,
  type PendingHistory,
  queueHistoryWork,
  readHistory,
} from './history'
import { TEMPLATES, templateByKey } from './templates'
import { currentValues, invalidateValues, type MetricValue } from './values'

/** A definition as `api` returns it: the stored spec's fields beside its identity. */
export type MetricView = MetricSpec & { id: string; slug: string; name: string; createdAt: number; updatedAt: number }

export const viewOf = (d: MetricDefinition): MetricView => ({
  id: d.id,
  slug: d.slug,
  name: d.name,
  ...(d.spec as unknown as MetricSpec),
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
})

const NOT_FOUND = 'Metric not found.'

export const listMetrics = defineOperation({
  input: z.object({ projectId: z.string() }),
  scope: 'read',
  run: async (ctx, { projectId }): Promise<MetricView[]> => (await ctx.storage.metrics.list({ projectId })).map(viewOf),
})

export const getMetric = defineOperation({
  input: z.object({ projectId: z.string(), id: z.string() }),
  scope: 'read',
  run: async (ctx, input): Promise<MetricView> => viewOf(await definitionById(ctx, input.projectId, input.id)),
})

/** Creates a definition; the slug comes from the name when not given. A taken slug is a 422. */
export const createMetric = defineOperation({
  input: definitionInput.extend({ projectId: z.string() }),
  scope: 'write',
  async run(ctx, { projectId, ...given }): Promise<MetricView> {
    return viewOf(await createDefinition(ctx, projectId, given, null))
  },
})

/** Replaces the given fields and validates the result as a create would. */
export const updateMetric = defineOperation({
  input: definitionPatch.extend({ projectId: z.string(), id: z.string() }),
  scope: 'write',
  async run(ctx, { projectId, id, ...given }): Promise<MetricView> {
    const stored = await definitionById(ctx, projectId, id)
    const others = (await ctx.storage.metrics.list({ projectId })).filter((d) => d.id !== id)
    const slug = given.slug ?? stored.slug
    const issues: ValidationIssue[] = []
    if (slug !== stored.slug) {
      const users = usersOf(others, stored.slug)
      if (users.length > 0)
        issues.push(
          messageIssue(
            'slug',
            `The slug cannot change while ${list(users)} ${users.length === 1 ? 'uses' : 'use'} ${stored.slug}.`,
          ),
        )
    }
    const base = stored.spec as unknown as MetricSpec
    const { spec, problems } = completeSpec(given, base, base.template)
    issues.push(...specIssues(problems), ...formulaIssues(spec, slug, others))
    if (issues.length > 0) throw validationError(issues)
    const definition: MetricDefinition = {
      ...stored,
      slug,
      name: given.name ?? stored.name,
      spec: spec as unknown as Record<string, unknown>,
      updatedAt: ctx.clock.now(),
    }
    try {
      if (!(await ctx.storage.metrics.update({ definition }))) throw new TelltaleError('not_found', NOT_FOUND)
    } catch (error) {
      throw error instanceof ConflictError ? slugTaken() : error
    }
    invalidateValues(ctx.storage, projectId)
    return viewOf(definition)
  },
})

/** Deletes a definition and its history. A metric a formula uses cannot be deleted (422 naming the formula). */
export const deleteMetric = defineOperation({
  input: z.object({ projectId: z.string(), id: z.string() }),
  scope: 'write',
  async run(ctx, { projectId, id }): Promise<{ deleted: true }> {
    const stored = await definitionById(ctx, projectId, id)
    const users = usersOf(
      (await ctx.storage.metrics.list({ projectId })).filter((d) => d.id !== id),
      stored.slug,
    )
    if (users.length > 0)
      throw validationError([
        messageIssue(
          'metric',
          `The metric ${stored.slug} is used by ${list(users)}; change or delete ${users.length === 1 ? 'that formula' : 'those formulas'} first.`,
        ),
      ])
    if (!(await ctx.storage.metrics.delete({ projectId, id }))) throw new TelltaleError('not_found', NOT_FOUND)
    invalidateValues(ctx.storage, projectId)
    return { deleted: true }
  },
})

export const listMetricTemplates = defineOperation({
  input: z.object({}).passthrough(),
  scope: 'read',
  requiresProject: false,
  run: async () => TEMPLATES,
})

/**
 * Creates the pack's metrics the project does not have yet (by slug); a slug the project already
 * has is left as it is and listed as `existing`, so applying twice creates nothing the second time.
 */
export const applyMetricTemplate = defineOperation({
  input: z.object({ projectId: z.string(), template: z.string() }),
  scope: 'write',
  async run(ctx, { projectId, template: key }): Promise<{ template: string; created: string[]; existing: string[] }> {
    const template = templateByKey(key)
    if (!template) throw validationError([{ rule: 'in', values: TEMPLATES.map((t) => t.key), path: ['template'] }])
    const created: string[] = []
    const existing: string[] = []
    for (const metric of template.metrics) {
      try {
        await createDefinition(ctx, projectId, metric, template.key)
        created.push(metric.slug)
      } catch (error) {
        // A taken slug (the project's own metric, or one another apply just created) is kept.
        if (
          !(
            error instanceof TelltaleError &&
            error.kind === 'validation' &&
            error.issues.some((i) => i.path[0] === 'slug')
          )
        )
          throw error
        existing.push(metric.slug)
      }
    }
    return { template: template.key, created, existing }
  },
})

/** Every metric's current value, previous value and change (cached up to 60 s). */
export const getMetricValues = defineOperation({
  input: z.object({ projectId: z.string() }),
  scope: 'read',
  async run(ctx, { projectId }): Promise<MetricValue[]> {
    const set = await metricSet(ctx, projectId)
    return currentValues(ctx, set, set.metrics)
  },
})

export const getMetricValue = defineOperation({
  input: z.object({ projectId: z.string(), slug: z.string() }),
  scope: 'read',
  async run(ctx, { projectId, slug }): Promise<MetricValue> {
    const set = await metricSet(ctx, projectId)
    const [value] = await currentValues(ctx, set, [metricBySlug(set, slug)])
    return value
  },
})

/** A `YYYY-MM-DD` day, bounded like event timestamps (1970-01-01 to 9999-12-31). */
const dayText = z
  .string()
  .refine(isDay, { params: { rule: 'date' } })
  .refine((day) => day >= '1970-01-01', { params: { rule: 'date_range', min: MIN_TIMESTAMP, max: MAX_TIMESTAMP } })
const daysCount = z.number().int().min(1).max(HISTORY_MAX_DAYS)
const rangeInput = { projectId: z.string(), slug: z.string(), from: dayText.optional(), to: dayText.optional() }

/**
 * One point per local day, oldest first: the last `days` days up to today (default 30), or
 * `from`..`to` (at most 366 days; days after today are left out).
 */
export const getMetricHistory = defineOperation({
  input: z.object({ ...rangeInput, days: daysCount.optional() }),
  scope: 'read',
  async run(ctx, input): Promise<{ slug: string; timezone: string; points: HistoryPoint[]; pending?: PendingHistory }> {
    const set = await metricSet(ctx, input.projectId)
    const metric = metricBySlug(set, input.slug)
    const { from, to } = dayRangeOf(ctx, set.project.timezone, input, input.days ?? 30)
    return {
      slug: metric.definition.slug,
      timezone: set.project.timezone,
      ...(await readHistory(ctx, set, metric, from, to)),
    }
  },
})

/**
 * Recomputes the stored history of the metric and of the formulas that use it (default: the last
 * 30 days), then returns its current value, freshly computed.
 */
export const recalculateMetric = defineOperation({
  input: z.object(rangeInput),
  scope: 'write',
  async run(ctx, input): Promise<MetricValue & { pending?: PendingHistory }> {
    const set = await metricSet(ctx, input.projectId)
    const metric = metricBySlug(set, input.slug)
    const tz = set.project.timezone
    const { from, to } = dayRangeOf(ctx, tz, input, 30)
    const yesterday = addDays(localDay(ctx.clock.now(), tz), -1)
    // Days before the project's first event need no recomputing: they read as the value over none.
    const days = daysWithEvents(dayRange(from, to < yesterday ? to : yesterday), await firstEventDay(ctx, set))
    const targets = [metric, ...set.dependents(metric)]
    const metricDays = days.length * set.readsPerDay(targets)
    let pending: PendingHistory | undefined
    if (metricDays > INLINE_METRIC_DAYS) {
      // Too much to compute inside a request: the history job recomputes it (202).
      pending = { from: days[0], to: days[days.length - 1], metricDays }
      await queueHistoryWork(ctx, input.projectId, {
        kind: 'recalc',
        metricId: metric.definition.id,
        from: pending.from,
        to: pending.to,
        requestedAt: ctx.clock.now(),
      })
    } else if (days.length > 0) {
      await computeSnapshots(
        ctx,
        set,
        targets.map((m) => ({ metric: m, days })),
      )
    }
    invalidateValues(ctx.storage, input.projectId)
    const [value] = await currentValues(ctx, set, [metric], { fresh: true })
    return pending ? { ...value, pending } : value
  },
})

async function createDefinition(
  ctx: CoreContext,
  projectId: string,
  given: DefinitionInput & { name: string },
  template: string | null,
): Promise<MetricDefinition> {
  const slug = given.slug ?? slugFromName(given.name)
  const existing = await ctx.storage.metrics.list({ projectId })
  const { spec, problems } = completeSpec(given, undefined, template)
  const issues = [...specIssues(problems), ...formulaIssues(spec, slug, existing)]
  if (existing.some((d) => d.slug === slug)) issues.unshift(slugTakenIssue())
  if (issues.length > 0) throw validationError(issues)
  const now = ctx.clock.now()
  const definition: MetricDefinition = {
    id: uuidv7(now),
    projectId,
    slug,
    name: given.name,
    spec: spec as unknown as Record<string, unknown>,
    createdAt: now,
    updatedAt: now,
  }
  try {
    await ctx.storage.metrics.create({ definition })
  } catch (error) {
    throw error instanceof ConflictError ? slugTaken() : error
  }
  invalidateValues(ctx.storage, projectId)
  return definition
}

/** A formula must parse, name only metrics of the project, and not reach itself. */
function formulaIssues(spec: MetricSpec, slug: string, others: MetricDefinition[]): ValidationIssue[] {
  if (spec.kind !== 'formula' || spec.formula === null || spec.formula.trim() === '') return []
  let slugs: string[]
  try {
    slugs = formulaSlugs(parseFormula(spec.formula))
  } catch (error) {
    if (error instanceof FormulaError) return [messageIssue('formula', error.message)]
    throw error
  }
  const known = new Map(others.map((d) => [d.slug, d]))
  const unknown = slugs.filter((s) => s !== slug && !known.has(s))
  if (unknown.length > 0)
    return [
      messageIssue(
        'formula',
        `The formula names ${unknown.length === 1 ? 'a metric' : 'metrics'} this project does not have: ${unknown.join(', ')}.`,
      ),
    ]
  const dependencies = (s: string): string[] | undefined => {
    if (s === slug) return slugs
    const other = known.get(s)
    return other && storedFormulaSlugs(other)
  }
  const cycle = findCycle(slug, dependencies)
  if (cycle) return [messageIssue('formula', `The formula makes a cycle: ${cycle.join(' → ')}.`)]
  // Its cost, and that of every formula over it: the metrics one value reads, and their nesting.
  const over = others.filter((d) => d.slug !== slug && reachesSlug(d.slug, slug, dependencies))
  for (const name of [slug, ...over.map((d) => d.slug)]) {
    const reach = formulaReach(name, dependencies)
    const whose = name === slug ? 'The formula' : `The formula of ${name}, which uses this one,`
    if (reach.metrics > MAX_FORMULA_REACH)
      return [
        messageIssue(
          'formula',
          `${whose} would read ${reach.metrics} metrics; at most ${MAX_FORMULA_REACH} may be reached through formulas.`,
        ),
      ]
    if (reach.depth > MAX_FORMULA_DEPTH)
      return [
        messageIssue(
          'formula',
          `${whose} would nest formulas ${reach.depth} deep; at most ${MAX_FORMULA_DEPTH} levels.`,
        ),
      ]
  }
  return []
}

/** A formula reaches at most this many metrics (directly or through formulas), ... */
const MAX_FORMULA_REACH = 50
/** ... through at most this many levels of formulas over formulas. */
const MAX_FORMULA_DEPTH = 8

/** Whether evaluating `from` reads `target`, directly or through formulas. */
function reachesSlug(from: string, target: string, dependencies: (slug: string) => string[] | undefined): boolean {
  const seen = new Set<string>()
  const visit = (slug: string): boolean => {
    for (const next of dependencies(slug) ?? []) {
      if (next === target) return true
      if (seen.has(next)) continue
      seen.add(next)
      if (visit(next)) return true
    }
    return false
  }
  return visit(from)
}

/** Formulas among `definitions` that name `slug`. */
function usersOf(definitions: MetricDefinition[], slug: string): string[] {
  return definitions.filter((d) => storedFormulaSlugs(d)?.includes(slug)).map((d) => d.slug)
}

async function definitionById(ctx: CoreContext, projectId: string, id: string): Promise<MetricDefinition> {
  const found = isUuid(id) ? await ctx.storage.metrics.get({ projectId, id }) : undefined
  if (!found) throw new TelltaleError('not_found', NOT_FOUND)
  return found
}

/** The project and its metrics, parsed once for this read. */
export async function metricSet(ctx: CoreContext, projectId: string): Promise<MetricSet> {
  const [project, definitions] = await Promise.all([
    requireProject(ctx, projectId),
    ctx.storage.metrics.list({ projectId }),
  ])
  return new MetricSet(project, definitions.map(toMetric))
}

function metricBySlug(set: MetricSet, slug: string) {
  const metric = set.bySlug.get(slug)
  if (!metric) throw new TelltaleError('not_found', NOT_FOUND)
  return metric
}

/** `from`..`to`, or the `days` days up to today; at most 366 days. */
function dayRangeOf(
  ctx: CoreContext,
  timeZone: string,
  input: { from?: string; to?: string },
  days: number,
): { from: string; to: string } {
  const to = input.to ?? localDay(ctx.clock.now(), timeZone)
  const from = input.from ?? addDays(to, -(days - 1))
  if (from > to) throw validationError([messageIssue('from', 'The from date must not be after the to date.')])
  if (daysBetween(from, to) + 1 > HISTORY_MAX_DAYS)
    throw validationError([messageIssue('from', `The range must not span more than ${HISTORY_MAX_DAYS} days.`)])
  return { from, to }
}

const specIssues = (problems: SpecProblem[]): ValidationIssue[] => problems.map((p) => messageIssue(p.field, p.message))
const messageIssue = (field: string, message: string): ValidationIssue => ({ rule: 'message', message, path: [field] })
const slugTakenIssue = (): ValidationIssue => messageIssue('slug', 'The slug has already been taken.')
const slugTaken = () => validationError([slugTakenIssue()])
const list = (slugs: string[]) => slugs.join(', ')
