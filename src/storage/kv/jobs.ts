import type { Job, JobRepository } from '../jobs'
import { type KvStore, kvKey, kvKeyPrefix, update } from './store'

/** `job:{projectId}:{key}` holds the job; claims and completions are compare-and-set on it. */
export function kvJobs(kv: KvStore): JobRepository {
  const jobKey = (projectId: string, key: string) => kvKey('job', projectId, key)
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as Job))
  return {
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
