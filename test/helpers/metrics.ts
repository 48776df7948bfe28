// Shared plumbing for the metrics pack tests (test/http/metrics-*.test.ts): a project in a given
// time zone with its own key, and the Status Blocks metrics endpoints called over HTTP with it.
// Nothing here computes a metric: expected values are written by hand in each test.
import { expect } from 'vitest'
import { reply, type TestApp } from './app'

export type Value = number | null

/** A `GET /api/metrics/values/{slug}` answer's `data`. */
export interface MetricValueBody {
  slug: string
  name: string
  format: string
  window: string | null
  value: Value
  previous_value: Value
  change: Value
  computed_at: string
}

export interface HistoryBody {
  slug: string
  timezone: string
  points: Array<{ date: string; value: Value }>
}

export interface MetricsClient {
  /** The project's key (read + write). */
  key: string
  /** Sends events through `POST /api/events/batch` (100 per request) and checks each is stored. */
  track(events: Array<Record<string, unknown>>): Promise<void>
  /** `POST /api/metrics/templates/apply`; returns the created slugs. */
  apply(template: string): Promise<string[]>
  get(path: string): Promise<{ status: number; body: any }>
  value(slug: string): Promise<MetricValueBody>
  /** `GET /api/metrics/values`, keyed by slug. */
  values(): Promise<Record<string, MetricValueBody>>
  history(slug: string, from: string, to: string): Promise<HistoryBody>
}

/** The metrics endpoints called with `key`. */
export function metricsClient(t: TestApp, key: string): MetricsClient {
  const get = async (path: string) =>
    reply(
      await t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } })),
    )
  return {
    key,
    get,
    async track(events) {
      for (let i = 0; i < events.length; i += 100) {
        const chunk = events.slice(i, i + 100)
        const res = await reply(await t.post('/api/events/batch', { events: chunk }, key))
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        expect(res.body.created_count).toBe(chunk.length)
      }
    },
    async apply(template) {
      const res = await reply(await t.post('/api/metrics/templates/apply', { template }, key))
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body.data.created
    },
    async value(slug) {
      const res = await get(`/api/metrics/values/${slug}`)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return res.body.data
    },
    async values() {
      const res = await get('/api/metrics/values')
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return Object.fromEntries(res.body.data.map((v: MetricValueBody) => [v.slug, v]))
    },
    async history(slug, from, to) {
      const res = await get(`/api/metrics/values/${slug}/history?from=${from}&to=${to}`)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return res.body.data
    },
  }
}

/** A new project in `timezone` with a read + write key, and a client for it. */
export async function zoneProject(
  t: TestApp,
  options: { name: string; slug: string; timezone: string },
): Promise<MetricsClient & { projectId: string }> {
  const project = await t.telltale.api.createProject(options)
  expect(project.timezone).toBe(options.timezone)
  const { key } = await t.telltale.api.createApiKey({ projectId: project.id })
  return { ...metricsClient(t, key), projectId: project.id }
}

/**
 * A hand-written number to compare with: exact for integers and numbers written with few
 * decimals, `expect.closeTo` for ratios such as 2 / 7 * 100 (the README fixes no float rounding).
 */
export const approx = (value: number, digits = 6): number => expect.closeTo(value, digits) as unknown as number

/** `[date, value]` pairs as history points. */
export const points = (pairs: Array<[string, Value]>): HistoryBody['points'] =>
  pairs.map(([date, value]) => ({ date, value }))

/** The `{value, previous_value, change}` of a value body. */
export const triple = (v: MetricValueBody) => ({ value: v.value, previous_value: v.previous_value, change: v.change })
