import { getEvent, trackEvent, trackEvents, trackEventsEach } from './events'
import { createApiKey, listApiKeys, revokeApiKey } from './keys'
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
} from './metrics'
import { createProject, ensureProject, getProject, getProjectBySlug } from './projects'
import { countEvents, eventStats, listEvents } from './queries'

/**
 * Every operation telltale has, by the name `api` exposes it under. HTTP routes name the same
 * objects, so the in-process API and the HTTP API are one list.
 */
export const operations = {
  createProject,
  ensureProject,
  getProject,
  getProjectBySlug,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  trackEvent,
  trackEvents,
  trackEventsEach,
  getEvent,
  listEvents,
  countEvents,
  eventStats,
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
}
