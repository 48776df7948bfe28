import { defineSurface } from '../define'
import { laravelErrors } from '../errors'
import { createDefinition, deleteDefinition, getDefinition, listDefinitions, updateDefinition } from './definitions'
import { applyTemplate, listTemplates } from './templates'
import { getHistory, getValue, listValues, recalculate } from './values'

/**
 * Status Blocks metrics (reference 000, "Metric Definitions", "Metric Values"): the same
 * Laravel error shape as its events, with the definition's own field names (a metric's `name` is
 * `name`, where an event's is `event`). The document states no rate limits; these keep one key
 * from recomputing history in a loop.
 */
export const statusBlocksMetrics = defineSurface({
  id: 'statusBlocksMetrics',
  prefixes: ['/api/metrics'],
  errors: laravelErrors({}),
  rateLimits: {
    read: { limit: 600, windowMs: 60_000 },
    write: { limit: 120, windowMs: 60_000 },
    recalculate: { limit: 10, windowMs: 60_000 },
  },
  routes: [
    listDefinitions,
    createDefinition,
    getDefinition,
    updateDefinition,
    deleteDefinition,
    listTemplates,
    applyTemplate,
    listValues,
    getValue,
    getHistory,
    recalculate,
  ],
})
