import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { INSERT_LUA } from '../../src/storage/redis/events-lua'
const c = new Redis('redis://127.0.0.1:6379')
const DAY = 86_400_000, FROM = Date.UTC(2024, 4, 1)
const names = ['page.view', 'checkout', 'signup', 'api.request']
function args(base: string) {
  const a = [base, '1000']
  for (let i = 0; i < 1000; i++) {
    const id = randomUUID(), ts = String(FROM + Math.floor(Math.random() * 30 * DAY))
    a.push(id, ts, names[i % 4], '', '=u1', `=${i}`, JSON.stringify({ id, name: names[i % 4], ts, x: 'y'.repeat(150) }), '2', 'plan', ['a', 'b', 'c'][i % 3], 'country', ['de', 'fr'][i % 2], '1', 'ms', String(i))
  }
  return a
}
const cut = (marker: string) => INSERT_LUA.slice(0, INSERT_LUA.indexOf(marker)) + '\nreturn 1'
const variants: Record<string, string> = {
  parse: cut('-- Check:'),
  check: cut('-- Names and tag keys'),
  gather_no_flush: cut('for _, key in ipairs(zaddOrder)'),
  full: INSERT_LUA,
}
for (const [name, src] of Object.entries(variants)) {
  let total = 0
  for (let r = 0; r < 5; r++) {
    const a = args(`tt_bench_prof:${name}:`)
    const t = performance.now()
    await c.eval(src, 0, ...a)
    total += performance.now() - t
  }
  console.log(name, (total / 5).toFixed(1), 'ms per 1000')
}
let cursor = '0'
do { const [n, keys] = await c.scan(cursor, 'MATCH', 'tt_bench_prof:*', 'COUNT', 1000); cursor = n; if (keys.length) await c.unlink(...keys) } while (cursor !== '0')
await c.quit()
