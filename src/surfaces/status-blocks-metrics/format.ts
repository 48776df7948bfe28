import type { MetricSpec, MetricValue, MetricView } from '../../metrics'

/** Laravel's default date serialization: `2024-01-15T10:30:00.000000Z`. */
export const laravelDate = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

/** The definition fields every shape shares (a template's metrics have no uuid or times). */
export function specFields(view: MetricSpec & { name: string; slug: string }) {
  return {
    name: view.name,
    slug: view.slug,
    description: view.description,
    kind: view.kind,
    event: view.event,
    aggregation: view.aggregation,
    field: view.field,
    filters: view.filters,
    window: view.window,
    formula: view.formula,
    format: view.format,
    template: view.template,
  }
}

export const wireDefinition = (view: MetricView) => ({
  uuid: view.id,
  ...specFields(view),
  created_at: laravelDate(view.createdAt),
  updated_at: laravelDate(view.updatedAt),
})

export const wireValue = (v: MetricValue) => ({
  slug: v.slug,
  name: v.name,
  format: v.format,
  window: v.window,
  value: v.value,
  previous_value: v.previousValue,
  change: v.change,
  computed_at: laravelDate(v.computedAt),
})
