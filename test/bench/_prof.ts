import { randomUUID, randomBytes } from 'node:crypto'
import { redisStorage } from '../../adapters/redis'
import { dropRedisPrefix } from '../helpers/redis'
const URL = 'redis://127.0.0.1:6379'
const prefix = `tt_bench_${randomBytes(6).toString('hex')}:`
const s = redisStorage({ url: URL, prefix })
const DAY = 86_400_000, FROM = Date.UTC(2024, 4, 1)
const names = ['page.view', 'checkout', 'signup', 'api.request']
const ev = (i: number) => ({ id: randomUUID(), name: names[i % 4], timestamp: FROM + (process.env.LIVE ? Math.floor(Math.random() * 60_000) : Math.floor(Math.random() * 30 * DAY)), receivedAt: 0, userId: 'u1', userEmail: null, userName: null, value: i, properties: { ms: i }, tags: { plan: ['a', 'b', 'c'][i % 3], country: ['de', 'fr'][i % 2] }, clientId: null })
for (let round = 0; round < 3; round++) {
  const batches = Array.from({ length: 20 }, () => Array.from({ length: 1000 }, (_, i) => ev(i)))
  const t = performance.now()
  for (const events of batches) await s.events.insert({ projectId: 'p', events })
  console.log(`${(20000 / ((performance.now() - t) / 1000)).toFixed(0)} events/s`)
}
await s.close(); await dropRedisPrefix(URL, prefix)
