import { defineDomain } from '../core/domain'
import { afterEventsStored, METRIC_HISTORY_EVERY_MS, metricHistoryTick } from './history-job'
import {
  applyMetricTemplate,
  createMetric,
  deleteMetric,
  getMetric,
  getMetricHistory,
  getMetricValue,
  getMetricValues,
  listMetrics,
  listMetricTemplates,
  recalculateMetric,
  updateMetric,
} from './operations'

/**
 * Business metrics: definitions, templates, values and their daily history. It follows ingest
 * through `onEventsStored` (drop cached values, mark late days dirty) and keeps the history
 * filled with the `metric-history` job.
 */
export const metrics = defineDomain({
  id: 'metrics',
  operations: {
    listMetrics,
    getMetric,
    createMetric,
    updateMetric,
    deleteMetric,
    listMetricTemplates,
    applyMetricTemplate,
    getMetricValues,
    getMetricValue,
    getMetricHistory,
    recalculateMetric,
  },
  jobs: [{ name: 'metric-history', everyMs: METRIC_HISTORY_EVERY_MS, run: metricHistoryTick }],
  onEventsStored: afterEventsStored,
})

export { completeSpec, definitionFields, type MetricSpec } from './definition'
export type { PendingHistory } from './history'
export { METRIC_HISTORY_EVERY_MS } from './history-job'
export {
  applyMetricTemplate,
  createMetric,
  deleteMetric,
  getMetric,
  getMetricHistory,
  getMetricValue,
  getMetricValues,
  listMetrics,
  listMetricTemplates,
  type MetricView,
  metricSet,
  recalculateMetric,
  updateMetric,
} from './operations'
export type { MetricValue } from './values'
