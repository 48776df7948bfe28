// The hand-written side: what an application would write against telltale_events on the same
// database, with the driver directly (better-sqlite3 on the same file, one pg Client), computing
// the same answers telltale's core operations return.
import type Database from 'better-sqlite3'
import type pg from 'pg'
import type { NumericSummary } from '../../../src/storage'
import { DAY, FROM, QUERY, TO } from './generate'

export interface Answers {
  /** Per UTC day over [FROM, TO), zero-filled, for QUERY.name. */
  series(): Promise<Array<{ start: number; count: number }>>
  /** QUERY.name over [FROM, TO): all events, and per tags.plan. */
  groups(): Promise<{ total: number; groups: Record<string, number> }>
  /** QUERY.name `value` over [FROM, TO): count/sum/avg/min/max and nearest-rank p50/p95/p99. */
  stats(): Promise<Stats>
  /** tags.plan = QUERY.plan, newest first: the first QUERY.limit events, and how many match. */
  list(): Promise<{ ids: string[]; total: number }>
  /** The same rows without the total. */
  listRows(): Promise<{ ids: string[] }>
  /** SQLite only: stats in SQL alone (count, then percentile_disc), for comparison. */
  statsSql?(): Promise<Stats>
}

/** The same shape telltale's `summarize` returns. */
export type Stats = NumericSummary

/** Zero-filled days from the non-empty ones. */
function fillDays(rows: Array<{ start: number; count: number }>) {
  const days = Array.from({ length: Math.round((TO - FROM) / DAY) }, (_, i) => ({ start: FROM + i * DAY, count: 0 }))
  for (const r of rows) days[Math.floor((r.start - FROM) / DAY)].count = r.count
  return days
}

/** Nearest-rank percentiles and the rest from ascending values. */
function statsOf(sorted: Float64Array): Stats {
  const n = sorted.length
  if (n === 0)
    return {
      count: 0,
      sum: null,
      avg: null,
      min: null,
      max: null,
      percentiles: Object.fromEntries(QUERY.percentiles.map((p) => [p, null])),
    }
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i]
  const at = (p: number) => sorted[Math.min(n, Math.max(1, Math.ceil((p * n) / 100))) - 1]
  return {
    count: n,
    sum,
    avg: sum / n,
    min: sorted[0],
    max: sorted[n - 1],
    percentiles: Object.fromEntries(QUERY.percentiles.map((p) => [p, at(p)])),
  }
}

const tagsOf = <T extends { tags: unknown; properties: unknown }>(row: T): T => {
  // Decoded like an application would use them (telltale decodes them too).
  if (typeof row.tags === 'string') row.tags = JSON.parse(row.tags)
  if (typeof row.properties === 'string') row.properties = JSON.parse(row.properties)
  return row
}

export function sqliteAnswers(db: Database.Database, projectId: string): Answers {
  const byName = 'project_id = ? and name = ? and ts >= ? and ts < ?'
  const args = [projectId, QUERY.name, FROM, TO]
  const series = db.prepare(
    `select ts / ${DAY} * ${DAY} as start, count(*) as count from telltale_events where ${byName} group by 1 order by 1`,
  )
  // One pass: the null group (events without the tag) gives the rest of the total.
  const groups = db.prepare(
    `select json_extract(tags, '$.plan') as plan, count(*) as count from telltale_events where ${byName} group by 1`,
  )
  // The fastest exact way found on SQLite: one pass fetching the values (pluck: no row objects),
  // sorted as a Float64Array in JS. Faster than ORDER BY, a row_number() window, or a count and
  // then percentile_disc (statsSql below: one native sort per percentile).
  const values = db.prepare(`select value from telltale_events where ${byName} and value is not null`).pluck()
  // In SQL alone: percentile_disc(Y, f) is the value at 0-based index floor(f * (n - 1)), so f is
  // chosen for the nearest rank once n is known (what telltale does on SQLite).
  const count = db.prepare(`select count(*) from telltale_events where ${byName} and value is not null`).pluck()
  const disc = db.prepare(
    `select count(value) as count, sum(value) as sum, avg(value) as avg, min(value) as min, max(value) as max,
       ${QUERY.percentiles.map((_, i) => `percentile_disc(value, ?) as p${i}`).join(', ')}
     from telltale_events where ${byName} and value is not null`,
  )
  const byPlan = `project_id = ? and json_extract(tags, '$.plan') = ?`
  const rows = db.prepare(
    `select * from telltale_events where ${byPlan} order by ts desc, id desc limit ${QUERY.limit}`,
  )
  const total = db.prepare(`select count(*) from telltale_events where ${byPlan}`).pluck()
  return {
    series: async () => fillDays(series.all(...args) as Array<{ start: number; count: number }>),
    async groups() {
      const out = { total: 0, groups: {} as Record<string, number> }
      for (const r of groups.all(...args) as Array<{ plan: string | null; count: number }>) {
        out.total += r.count
        if (r.plan !== null) out.groups[r.plan] = r.count
      }
      return out
    },
    stats: async () => statsOf(Float64Array.from(values.all(...args) as number[]).sort()),
    async statsSql() {
      const n = count.get(...args) as number
      const fraction = (p: number) => {
        const r = Math.min(n, Math.max(1, Math.ceil((p * n) / 100)))
        return n <= 1 ? 0 : r >= n ? 1 : (r - 0.5) / (n - 1)
      }
      const r = disc.get(...QUERY.percentiles.map(fraction), ...args) as Record<string, number | null>
      return {
        count: Number(r.count),
        sum: r.sum,
        avg: r.avg,
        min: r.min,
        max: r.max,
        percentiles: Object.fromEntries(QUERY.percentiles.map((p, i) => [p, r[`p${i}`]])),
      }
    },
    async list() {
      const ids = (rows.all(projectId, QUERY.plan) as Array<{ id: string; tags: unknown; properties: unknown }>).map(
        (r) => tagsOf(r).id,
      )
      return { ids, total: total.get(projectId, QUERY.plan) as number }
    },
    listRows: async () => ({
      ids: (rows.all(projectId, QUERY.plan) as Array<{ id: string; tags: unknown; properties: unknown }>).map(
        (r) => tagsOf(r).id,
      ),
    }),
  }
}

export function postgresAnswers(client: pg.Client, projectId: string): Answers {
  const byName = 'project_id = $1 and name = $2 and ts >= $3 and ts < $4'
  const args = [projectId, QUERY.name, FROM, TO]
  const q = async <T>(text: string, values: unknown[]) => (await client.query({ text, values })).rows as T[]
  const byPlan = `project_id = $1 and tags ->> 'plan' = $2`
  // percentile_disc(f) is the value at rank ceil(f * n): exactly nearest rank, with f nudged below
  // p/100 so that float rounding of f * n cannot step past a whole rank (p = 7, n = 100 → 8).
  const fractions = QUERY.percentiles.map((p) => p / 100 - 1e-12)
  return {
    series: async () =>
      fillDays(
        (
          await q<{ start: string; count: string }>(
            `select ts / ${DAY} * ${DAY} as start, count(*) as count from telltale_events where ${byName} group by 1 order by 1`,
            args,
          )
        ).map((r) => ({ start: Number(r.start), count: Number(r.count) })),
      ),
    async groups() {
      const out = { total: 0, groups: {} as Record<string, number> }
      for (const r of await q<{ plan: string | null; count: string }>(
        `select tags ->> 'plan' as plan, count(*) as count from telltale_events where ${byName} group by 1`,
        args,
      )) {
        out.total += Number(r.count)
        if (r.plan !== null) out.groups[r.plan] = Number(r.count)
      }
      return out
    },
    async stats() {
      const [r] = await q<{
        count: string
        sum: number | null
        avg: number | null
        min: number | null
        max: number | null
        pct: number[] | null
      }>(
        `select count(value) as count, sum(value) as sum, avg(value) as avg, min(value) as min, max(value) as max,
           percentile_disc($5::float8[]) within group (order by value) as pct
         from telltale_events where ${byName} and value is not null`,
        [...args, fractions],
      )
      return {
        count: Number(r.count),
        sum: r.sum,
        avg: r.avg,
        min: r.min,
        max: r.max,
        percentiles: Object.fromEntries(QUERY.percentiles.map((p, i) => [p, r.pct?.[i] ?? null])),
      }
    },
    async list() {
      const rows = await q<{ id: string; tags: unknown; properties: unknown }>(
        `select * from telltale_events where ${byPlan} order by ts desc, id desc limit ${QUERY.limit}`,
        [projectId, QUERY.plan],
      )
      const [{ count }] = await q<{ count: string }>(`select count(*) as count from telltale_events where ${byPlan}`, [
        projectId,
        QUERY.plan,
      ])
      return { ids: rows.map((r) => tagsOf(r).id), total: Number(count) }
    },
    listRows: async () => ({
      ids: (
        await q<{ id: string; tags: unknown; properties: unknown }>(
          `select * from telltale_events where ${byPlan} order by ts desc, id desc limit ${QUERY.limit}`,
          [projectId, QUERY.plan],
        )
      ).map((r) => tagsOf(r).id),
    }),
  }
}
