// A large event set and the queries that read the most of it (issue 16: no single request may hold
// Redis): used by test/storage/redis-slowlog.test.ts and test/bench/redis-script-times.ts.
import { randomUUID } from 'node:crypto'
import type { EventFilter, EventRepository, NewEvent } from '../../src/storage'
import { mulberry32 } from './prng'

const DAY = 86_400_000
export const WORKLOAD_TO = Date.UTC(2024, 5, 1)
export const WORKLOAD_FROM = WORKLOAD_TO - 30 * DAY
/** One user in about 6,700 events: a user filter whose matches are few and far between. */
export const RARE_USER = 'rare-user'

const NAMES = [
  'page.view',
  'page.view',
  'page.view',
  'page.leave',
  'click',
  'api.request',
  'user_login',
  'user_signup',
  'subscription_payment',
  'subscription_cancelled',
]
const PLANS = ['free', 'pro', 'team']
const COUNTRIES = ['de', 'fr', 'us', 'jp', 'br']
const PERIODS = ['monthly', 'quarterly', 'yearly', null, 12, true]

/**
 * `n` events over 30 days: 9 names, 5,000 users (about 5% without one, and RARE_USER), integer
 * values (10% none; integers, so every order of summing gives the same sum), properties with a
 * billing period of mixed JSON types and a number, tags `plan` and `country`. One event in five
 * shares its second with others (timestamps tie).
 */
export function workloadEvents(n: number, seed = 16): NewEvent[] {
  const next = mulberry32(seed)
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]
  return Array.from({ length: n }, (_, i) => {
    let timestamp = WORKLOAD_FROM + Math.floor(next() * 30 * DAY)
    if (next() < 0.2) timestamp -= timestamp % 1000
    const roll = next()
    return {
      id: randomUUID(),
      name: pick(NAMES),
      timestamp,
      receivedAt: timestamp + 5,
      userId: i % 6_700 === 17 ? RARE_USER : roll < 0.05 ? null : `u${Math.floor(next() * 5_000)}`,
      userEmail: null,
      userName: null,
      value: roll > 0.9 ? null : Math.floor(next() * 100_000),
      properties: roll > 0.95 ? null : { period: pick(PERIODS), ms: Math.floor(next() * 500) },
      tags: roll < 0.1 ? null : { plan: pick(PLANS), country: pick(COUNTRIES) },
      clientId: null,
    }
  })
}

export interface WorkloadQuery {
  label: string
  run(events: EventRepository, projectId: string): Promise<unknown>
}

const range: EventFilter = { from: WORKLOAD_FROM, to: WORKLOAD_TO }
const paying: EventFilter = {
  ...range,
  names: ['subscription_payment'],
  where: [{ field: { kind: 'property', key: 'period' }, op: 'in', value: ['monthly', 'quarterly', 'yearly'] }],
}

/** Every query operation that reads the whole range (or could), in its worst shape. */
export const WORKLOAD_QUERIES: WorkloadQuery[] = [
  {
    label: 'summarize value p50/p95/p99, all events',
    run: (e, projectId) => e.summarize({ projectId, filter: {}, field: { kind: 'value' }, percentiles: [50, 95, 99] }),
  },
  {
    label: 'summarize property ms, all events',
    run: (e, projectId) =>
      e.summarize({ projectId, filter: range, field: { kind: 'property', key: 'ms' }, percentiles: [50, 99] }),
  },
  {
    label: 'list userId=rare, limit 50',
    run: (e, projectId) => e.list({ projectId, filter: { userId: RARE_USER }, limit: 50, offset: 0 }),
  },
  {
    label: 'list 2 names, offset 150000',
    run: (e, projectId) => e.list({ projectId, filter: { names: ['page.view', 'click'] }, limit: 20, offset: 150_000 }),
  },
  {
    label: 'list all, offset 190000',
    run: (e, projectId) => e.list({ projectId, filter: {}, limit: 20, offset: 190_000 }),
  },
  {
    label: 'list tag plan=pro with a name prefix, offset 20000',
    run: (e, projectId) =>
      e.list({ projectId, filter: { namePrefix: 'page.', tags: { plan: 'pro' } }, limit: 20, offset: 20_000 }),
  },
  {
    label: 'count userId=rare',
    run: (e, projectId) => e.count({ projectId, filter: { userId: RARE_USER } }),
  },
  {
    label: 'count 2 tags',
    run: (e, projectId) => e.count({ projectId, filter: { ...range, tags: { plan: 'pro', country: 'de' } } }),
  },
  {
    label: 'countSeries 1m over 30 days (rollups)',
    run: (e, projectId) => e.countSeries({ projectId, filter: range, bucketMs: 60_000 }),
  },
  {
    label: 'countSeries 1h, userId=rare',
    run: (e, projectId) => e.countSeries({ projectId, filter: { userId: RARE_USER }, bucketMs: 3_600_000 }),
  },
  {
    label: 'countSeries 1234 ms buckets (scan)',
    run: (e, projectId) => e.countSeries({ projectId, filter: range, bucketMs: 1234 }),
  },
  {
    label: 'countByTag country (rollups)',
    run: (e, projectId) => e.countByTag({ projectId, filter: range, tagKey: 'country' }),
  },
  {
    label: 'countByTag country, tag filter (scan)',
    run: (e, projectId) => e.countByTag({ projectId, filter: { tags: { plan: 'team' } }, tagKey: 'country' }),
  },
  {
    label: 'countDistinctUsers, all events',
    run: (e, projectId) => e.countDistinctUsers({ projectId, filter: range }),
  },
  {
    label: 'countDistinctUsers minEvents 2, where value > 50000',
    run: (e, projectId) =>
      e.countDistinctUsers({
        projectId,
        filter: { where: [{ field: { kind: 'value' }, op: 'gt', value: 50_000 }] },
        minEvents: 2,
      }),
  },
  {
    label: 'countDistinctUsersInAny, 3 filters with `in`',
    run: (e, projectId) =>
      e.countDistinctUsersInAny({
        projectId,
        filters: [paying, { ...paying, names: undefined }, { where: paying.where }],
      }),
  },
  {
    label: 'latest value, where userId=rare',
    run: (e, projectId) =>
      e.latest({
        projectId,
        filter: { where: [{ field: { kind: 'userId' }, op: 'eq', value: RARE_USER }] },
        field: { kind: 'value' },
      }),
  },
  {
    label: 'sumLatestPerUser value, `in` on period',
    run: (e, projectId) => e.sumLatestPerUser({ projectId, filter: { where: paying.where }, field: { kind: 'value' } }),
  },
  {
    label: 'summarize value, `in` on period',
    run: (e, projectId) =>
      e.summarize({ projectId, filter: { where: paying.where }, field: { kind: 'value' }, percentiles: [50] }),
  },
  {
    label: 'firstTimestamp',
    run: (e, projectId) => e.firstTimestamp({ projectId }),
  },
]
