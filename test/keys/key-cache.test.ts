import { createFakeClock, createTelltale, type Telltale } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, expect, it } from 'vitest'
import { KEY_CACHE_MS } from '../../src/keys'
import { tempSqliteFile } from '../helpers/sqlite'

// Verified keys are cached briefly per instance: revocation is immediate where it happens and
// reaches other instances on the same store within KEY_CACHE_MS.

const open: Telltale[] = []
const tmp = tempSqliteFile('key-cache')
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()))
  tmp.remove()
})

it('revokes at once on the revoking instance and within the cache time on another', async () => {
  const clock = createFakeClock('2024-05-01T00:00:00Z')
  const make = () => {
    const t = createTelltale({
      storage: sqliteStorage({ file: tmp.file }),
      clock,
      scheduler: manualScheduler({ clock }),
    })
    open.push(t)
    return t
  }
  const [a, b] = [make(), make()]
  const projectId = (await a.api.createProject({ name: 'Keys' })).id
  const { key, apiKey } = await a.api.createApiKey({ projectId })
  const post = (t: Telltale) =>
    t
      .fetch(
        new Request('http://x/api/events', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: '{"event":"e"}',
        }),
      )
      .then((r) => r.status)

  expect([await post(a), await post(b)]).toEqual([201, 201])
  await a.api.revokeApiKey({ projectId, keyId: apiKey.id })
  expect(await post(a)).toBe(401)
  expect(await post(b)).toBe(201) // b verified the key moments ago
  clock.advance(KEY_CACHE_MS)
  expect(await post(b)).toBe(401)
})
