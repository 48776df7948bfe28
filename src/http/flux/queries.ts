import type { CoreContext } from '../../core/context'
import { countEvents, eventStats, listEvents } from '../../core/queries'
import { formatLocalIso, formatUtcIso } from '../../core/time-zones'
import { type AuthResolver, authenticate, requireScope } from '../auth'
import type { Router } from '../router'
import { fluxEvent } from './format'
import { applyFluxRateLimit } from './limits'
import { parseEventQuery } from './params'

/** `GET /api/v1/events`, `/count`, `/stats` (reference 001, "List Events", "Count Events", "Event Stats"). */
export function fluxQueryRoutes(router: Router, ctx: CoreContext, resolver?: AuthResolver): void {
  const begin = async (event: Parameters<Parameters<Router['on']>[2]>[0]) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'read')
    await applyFluxRateLimit(ctx, event, auth, 'fluxQuery')
    return { projectId: auth.projectId, query: parseEventQuery(event.url.searchParams) }
  }

  router.on('GET', '/api/v1/events', async (event) => {
    const { projectId, query } = await begin(event)
    const { events, total } = await listEvents(ctx, { projectId, filter: query.filter, limit: query.limit, offset: query.offset })
    return { data: events.map(fluxEvent), meta: { total, limit: query.limit, offset: query.offset } }
  })

  router.on('GET', '/api/v1/events/count', async (event) => {
    const { projectId, query } = await begin(event)
    const result = await countEvents(ctx, { projectId, filter: query.filter, interval: query.interval, timeZone: query.timeZone, groupByTag: query.groupByTag })
    const stamp = (start: number) => (query.timeZone ? formatLocalIso(start, query.timeZone) : formatUtcIso(start))
    return {
      data: {
        total: result.total,
        ...(result.series && { series: result.series.map((b) => ({ timestamp: stamp(b.start), count: b.count })) }),
        ...(result.groups && { groups: result.groups }),
      },
    }
  })

  router.on('GET', '/api/v1/events/stats', async (event) => {
    const { projectId, query } = await begin(event)
    const s = await eventStats(ctx, { projectId, filter: query.filter, field: query.field })
    return { data: { count: s.count, sum: tidy(s.sum), avg: tidy(s.avg), min: s.min, max: s.max, p50: s.percentiles[50], p95: s.percentiles[95], p99: s.percentiles[99] } }
  })
}

/** Drops float noise from sums and averages (0.1 + 0.2 → 0.3), keeping 12 significant digits. */
const tidy = (value: number | null): number | null => (value === null ? null : Number(value.toPrecision(12)))
