import {
  byDueTime,
  checkClaimDue,
  claimableAfterLease,
  type DueJob,
  type DueJobRepository,
  type Job,
  type JobRepository,
} from '../jobs'
import { type KvStore, kvKey, kvKeyPrefix, update } from './store'

/** `job:{projectId}:{key}` holds the job; claims and completions are compare-and-set on it. */
export function kvJobs(kv: KvStore): JobRepository {
  const jobKey = (projectId: string, key: string) => kvKey('job', projectId, key)
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as Job))
  return {
    ...kvDueJobs(kv),
    async ensure({ projectId, key, runAt }) {
      const job: Job = { projectId, key, runAt, owner: null, leaseUntil: null, attempts: 0 }
      await kv.setIfAbsent(jobKey(projectId, key), JSON.stringify(job))
    },
    claim: ({ projectId, key, owner, now, leaseMs }) =>
      update(kv, jobKey(projectId, key), (json) => {
        const job = parse(json)
        if (!job || job.runAt > now || (job.leaseUntil !== null && job.leaseUntil >= now))
          return { value: undefined, result: undefined }
        const claimed: Job = { ...job, owner, leaseUntil: now + leaseMs, attempts: job.attempts + 1 }
        return { value: JSON.stringify(claimed), result: claimed }
      }),
    complete: ({ projectId, key, owner, nextRunAt }) =>
      update(kv, jobKey(projectId, key), (json) => {
        const job = parse(json)
        if (!job || job.owner !== owner) return { value: undefined, result: false }
        return {
          value: JSON.stringify({ ...job, owner: null, leaseUntil: null, runAt: nextRunAt, attempts: 0 }),
          result: true,
        }
      }),
    get: async ({ projectId, key }) => parse(await kv.get(jobKey(projectId, key))),
    async list({ projectId, keyPrefix }) {
      const keys = await kv.scan(kvKeyPrefix(['job', projectId], keyPrefix))
      const jobs = (await kv.getMany(keys))
        .map(parse)
        .filter((job): job is Job => job?.key.startsWith(keyPrefix) === true)
      return jobs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },
    delete: ({ projectId, key }) => kv.delete(jobKey(projectId, key)),
  }
}

/**
 * `due:{kind}:{projectId}:{key}` holds an item as JSON. A claim reads every item of the kind (one
 * scan, one getMany), picks the claimable ones in the order they became claimable, and takes each by
 * compare-and-set, trying the next one when another caller got there first, until `limit` are its.
 * Exact in one process (the per-key lock of `unstorageKv`); across processes on unstorage, two
 * claimers may both win an item (best-effort, as every kv read-modify-write). Redis does not use
 * this: it claims natively (redis/jobs.ts).
 */
export function kvDueJobs(kv: KvStore): DueJobRepository {
  const itemKey = (kind: string, projectId: string, key: string) => kvKey('due', kind, projectId, key)
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as DueJob))
  const claimableAt = (item: DueJob) => (item.owner === null ? item.dueAt : claimableAfterLease(item.leaseUntil ?? 0))
  return {
    schedule: ({ kind, projectId, key, dueAt }) =>
      update(kv, itemKey(kind, projectId, key), (json) => {
        const item = parse(json)
        if (item && (item.owner !== null || item.dueAt === dueAt)) return { value: undefined, result: item }
        const next: DueJob = item
          ? { ...item, dueAt }
          : { kind, projectId, key, dueAt, owner: null, leaseUntil: null, attempts: 0 }
        return { value: JSON.stringify(next), result: next }
      }),
    async claimDue({ kind, now, owner, leaseMs, limit }) {
      checkClaimDue({ limit, leaseMs })
      const keys = await kv.scan(kvKeyPrefix(['due', kind], ''))
      const values = await kv.getMany(keys)
      const candidates = keys
        .map((key, i) => ({ key, json: values[i], item: parse(values[i]) }))
        .filter(
          (c): c is { key: string; json: string; item: DueJob } => c.item !== undefined && claimableAt(c.item) <= now,
        )
        .sort((a, b) => claimableAt(a.item) - claimableAt(b.item))
      const claimed: DueJob[] = []
      for (const { key, json, item } of candidates) {
        if (claimed.length === limit) break
        const next: DueJob = { ...item, owner, leaseUntil: now + leaseMs, attempts: item.attempts + 1 }
        // Lost to another claimer (or moved, completed, unscheduled since the read): the next one.
        if (await kv.compareAndSet(key, json, JSON.stringify(next))) claimed.push(next)
      }
      return claimed.sort(byDueTime)
    },
    completeDue: ({ kind, projectId, key, owner, nextDueAt }) =>
      update(kv, itemKey(kind, projectId, key), (json) => {
        const item = parse(json)
        if (!item || item.owner !== owner) return { value: undefined, result: false }
        const next: DueJob = { ...item, dueAt: nextDueAt, owner: null, leaseUntil: null, attempts: 0 }
        return { value: JSON.stringify(next), result: true }
      }),
    getDue: async ({ kind, projectId, key }) => parse(await kv.get(itemKey(kind, projectId, key))),
    unschedule: ({ kind, projectId, key }) => kv.delete(itemKey(kind, projectId, key)),
  }
}
