import {
  getMetricHistory,
  getMetricValue,
  getMetricValues,
  type PendingHistory,
  recalculateMetric,
} from '../../metrics'
import { defineRoute } from '../define'
import { wireValue } from './format'

const bySlug = (params: Record<string, string>) => ({ slug: params.slug })
/** A query parameter as the schema should see it: integers as numbers, anything else as sent. */
const integerOrText = (text: string | null) =>
  text === null ? undefined : /^-?\d{1,9}$/.test(text) ? Number(text) : text
const optional = (text: string | null) => text ?? undefined

export const listValues = defineRoute({
  method: 'GET',
  path: '/api/metrics/values',
  operation: getMetricValues,
  rateLimit: 'read',
  reply: (values) => ({ data: values.map(wireValue) }),
})

export const getValue = defineRoute({
  method: 'GET',
  path: '/api/metrics/values/:slug',
  operation: getMetricValue,
  rateLimit: 'read',
  params: bySlug,
  reply: (value) => ({ data: wireValue(value) }),
})

/** `?days=30` (1 to 366) or `?from=2024-01-01&to=2024-01-31`. */
export const getHistory = defineRoute({
  method: 'GET',
  path: '/api/metrics/values/:slug/history',
  operation: getMetricHistory,
  rateLimit: 'read',
  query: (q) => ({ days: integerOrText(q.get('days')), from: optional(q.get('from')), to: optional(q.get('to')) }),
  params: bySlug,
  // More uncomputed days than a request computes: 202, and the history job computes them.
  status: (history) => (history.pending ? 202 : 200),
  reply: ({ pending, ...history }) =>
    pending
      ? { message: pendingMessage('history', pending), data: { ...history, pending: wirePending(pending) } }
      : { data: history },
})

/** Optional body `{"from": "2024-01-01", "to": "2024-01-31"}`. */
export const recalculate = defineRoute({
  method: 'POST',
  path: '/api/metrics/values/:slug/recalculate',
  operation: recalculateMetric,
  rateLimit: 'recalculate',
  body: (body) => ({ from: body.from ?? undefined, to: body.to ?? undefined }),
  params: bySlug,
  status: (value) => (value.pending ? 202 : 200),
  reply: ({ pending, ...value }) =>
    pending
      ? { message: pendingMessage('recalculation', pending), data: wireValue(value), pending: wirePending(pending) }
      : { data: wireValue(value) },
})

function pendingMessage(what: 'history' | 'recalculation', pending: PendingHistory): string {
  const days = `${pending.from} to ${pending.to} (${pending.metricDays} metric-days)`
  return what === 'history'
    ? `The history from ${days} is being computed by the history job: ask again in a few minutes.`
    : `The recalculation from ${days} runs in the history job, a slice every minute.`
}

const wirePending = (pending: PendingHistory) => ({
  from: pending.from,
  to: pending.to,
  metric_days: pending.metricDays,
})
