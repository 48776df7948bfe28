import { formatLocalIso, formatUtcIso } from '../../core/time-zones'
import { countEvents, eventStats, listEvents } from '../../events'
import { defineRoute } from '../define'
import { fluxEvent } from './format'
import { fluxQueryInput } from './query'

// `GET /api/v1/events`, `/count`, `/stats` (reference 001, "List Events", "Count Events", "Event Stats").

export const list = defineRoute({
  method: 'GET',
  path: '/api/v1/events',
  operation: listEvents,
  rateLimit: 'query',
  query: fluxQueryInput,
  reply: ({ events, total }, { limit, offset }) => ({ data: events.map(fluxEvent), meta: { total, limit, offset } }),
})

export const count = defineRoute({
  method: 'GET',
  path: '/api/v1/events/count',
  operation: countEvents,
  rateLimit: 'query',
  query: fluxQueryInput,
  reply: (result, { timeZone }) => {
    const stamp = (start: number) => (timeZone ? formatLocalIso(start, timeZone) : formatUtcIso(start))
    return {
      data: {
        total: result.total,
        ...(result.series && { series: result.series.map((b) => ({ timestamp: stamp(b.start), count: b.count })) }),
        ...(result.groups && { groups: result.groups }),
      },
    }
  },
})

export const stats = defineRoute({
  method: 'GET',
  path: '/api/v1/events/stats',
  operation: eventStats,
  rateLimit: 'query',
  query: fluxQueryInput,
  reply: (s) => ({
    data: {
      count: s.count,
      sum: tidy(s.sum),
      avg: tidy(s.avg),
      min: s.min,
      max: s.max,
      p50: s.percentiles[50],
      p95: s.percentiles[95],
      p99: s.percentiles[99],
    },
  }),
})

/** Drops float noise from sums and averages (0.1 + 0.2 → 0.3), keeping 12 significant digits. */
const tidy = (value: number | null): number | null => (value === null ? null : Number(value.toPrecision(12)))
