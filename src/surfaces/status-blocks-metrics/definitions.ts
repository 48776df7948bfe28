import { createMetric, definitionFields, deleteMetric, getMetric, listMetrics, updateMetric } from '../../metrics'
import { defineRoute } from '../define'
import { wireDefinition } from './format'

// Metric definitions (reference 000, "Metric Definitions"). The document shows no bodies; the
// wire format is ours, in its Laravel style (README, "Business metrics").

/** The fields a body may set, by their wire names (the same as the core's); others are ignored. */
const FIELDS = Object.keys(definitionFields)
const fields = (body: Record<string, unknown>) =>
  Object.fromEntries(FIELDS.filter((f) => Object.hasOwn(body, f) && body[f] !== undefined).map((f) => [f, body[f]]))
const byUuid = (params: Record<string, string>) => ({ id: params.uuid })

export const listDefinitions = defineRoute({
  method: 'GET',
  path: '/api/metrics/definitions',
  operation: listMetrics,
  rateLimit: 'read',
  reply: (views) => ({ data: views.map(wireDefinition) }),
})

export const createDefinition = defineRoute({
  method: 'POST',
  path: '/api/metrics/definitions',
  operation: createMetric,
  rateLimit: 'write',
  body: fields,
  status: 201,
  reply: (view) => ({ data: wireDefinition(view) }),
})

export const getDefinition = defineRoute({
  method: 'GET',
  path: '/api/metrics/definitions/:uuid',
  operation: getMetric,
  rateLimit: 'read',
  params: byUuid,
  reply: (view) => ({ data: wireDefinition(view) }),
})

export const updateDefinition = defineRoute({
  method: 'PUT',
  path: '/api/metrics/definitions/:uuid',
  operation: updateMetric,
  rateLimit: 'write',
  body: fields,
  params: byUuid,
  reply: (view) => ({ data: wireDefinition(view) }),
})

export const deleteDefinition = defineRoute({
  method: 'DELETE',
  path: '/api/metrics/definitions/:uuid',
  operation: deleteMetric,
  rateLimit: 'write',
  params: byUuid,
  reply: () => ({ success: true }),
})
