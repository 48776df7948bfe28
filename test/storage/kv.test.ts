import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kvStorage } from 'telltale/adapters/kv'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { afterAll, describe, expect, it } from 'vitest'
import { type KvStore, keySegments, kvKey, lastSegment } from '../../src/storage/kv'
import { kvEvents } from '../../src/storage/kv/events'
import { kvMetrics } from '../../src/storage/kv/metrics'
import { unstorageKv } from '../../src/storage/kv/unstorage'
import { storageConformance } from './conformance'

const tempDir = (label: string) => mkdtempSync(join(tmpdir(), `telltale-kv-${label}-`))

// One memory storage for the whole run: every instance of the suite opens over the same object.
const memory = createStorage()
storageConformance('kv (memory)', async () => {
  const storage = kvStorage({ storage: memory })
  return { storage, cleanup: () => storage.close() }
})

// A real directory on disk, through one unstorage Storage that every instance of the suite shares
// (instances in one process share its locks; separate processes would not, see kvStorage).
const suiteDir = tempDir('conformance')
const fsStorage = createStorage({ driver: fsDriver({ base: suiteDir }) })
afterAll(() => rmSync(suiteDir, { recursive: true, force: true }))
storageConformance('kv (fs)', async () => {
  const storage = kvStorage({ storage: fsStorage })
  return { storage, cleanup: () => storage.close() }
})

describe('kv adapter', () => {
  const project = { id: 'p-restart', name: 'Restart', slug: 'restart', timezone: 'UTC', createdAt: 1_700_000_000_000 }
  const stored = {
    id: 'e-restart',
    name: 'deploy',
    timestamp: 1_700_000_000_000,
    receivedAt: 1_700_000_000_001,
    userId: 'u1',
    userEmail: null,
    userName: null,
    value: 1.5,
    properties: { sha: 'abc' },
    tags: { env: 'prod' },
    clientId: 'c1',
  }

  it('does not dispose the storage the caller passed in', async () => {
    const storage = createStorage()
    const telltale = kvStorage({ storage })
    await telltale.migrate()
    await telltale.projects.create({ project })
    await telltale.close()
    await storage.setItem('mine', 'still here')
    expect(await storage.getItem('mine')).toBe('still here')
    const again = kvStorage({ storage })
    expect(await again.projects.get({ projectId: project.id })).toEqual(project)
  })

  it('keeps acknowledged events after closing and reopening the same fs directory', async () => {
    const dir = tempDir('restart')
    try {
      const before = kvStorage({ storage: createStorage({ driver: fsDriver({ base: dir }) }) })
      await before.migrate()
      await before.projects.create({ project })
      await before.events.insert({ projectId: project.id, events: [stored] })
      await before.close()

      const after = kvStorage({ storage: createStorage({ driver: fsDriver({ base: dir }) }) })
      await after.migrate()
      expect(await after.projects.get({ projectId: project.id })).toEqual(project)
      expect(await after.events.get({ projectId: project.id, id: stored.id })).toEqual({
        ...stored,
        projectId: project.id,
      })
      expect(await after.events.count({ projectId: project.id, filter: {} })).toBe(1)
      // The retry after a restart is still recognised by its client id.
      expect(await after.events.insert({ projectId: project.id, events: [{ ...stored, id: 'e-retry' }] })).toEqual({
        ids: [stored.id],
        created: 0,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('round-trips keys with separators, dot steps, percent signs and unicode on fs', async () => {
    const dir = tempDir('keys')
    try {
      const storage = kvStorage({ storage: createStorage({ driver: fsDriver({ base: dir }) }) })
      await storage.migrate()
      const odd = ['a:b', '..', '.', '../x', '100%', '%41', 'ü😀', 'a/b\\c', '?q', 'x$', '~', '']
      for (const [i, text] of odd.entries()) {
        const p = { ...project, id: `p-${i}-${text}`, slug: `s-${text}` }
        await storage.projects.create({ project: p })
        expect(await storage.projects.getBySlug({ slug: p.slug }), text).toEqual(p)
        const e = { ...stored, id: `e-${text}`, tags: { [text]: text, k: text }, clientId: text }
        expect(await storage.events.insert({ projectId: p.id, events: [e] })).toEqual({ ids: [e.id], created: 1 })
        expect(await storage.events.insert({ projectId: p.id, events: [{ ...e, id: 'other' }] }), text).toEqual({
          ids: [e.id],
          created: 0,
        })
        expect(await storage.events.get({ projectId: p.id, id: e.id })).toEqual({ ...e, projectId: p.id })
        expect(
          await storage.events.countByTag({ projectId: p.id, filter: { tags: { k: text } }, tagKey: text }),
        ).toEqual([{ value: text, count: 1 }])
        expect((await storage.rateLimits.hit({ projectId: p.id, bucket: text, windowMs: 60_000, now: 0 })).count).toBe(
          1,
        )
        expect((await storage.rateLimits.hit({ projectId: p.id, bucket: text, windowMs: 60_000, now: 1 })).count).toBe(
          2,
        )
        await storage.jobs.ensure({ projectId: p.id, key: text, runAt: 0 })
        expect(await storage.jobs.get({ projectId: p.id, key: text }), text).toMatchObject({ key: text })
      }
      // Everything stayed inside the directory.
      expect(readdirSync(join(dir, '..')).filter((name) => name === 'x')).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps keys of distinct segment lists distinct through unstorage, empty segments included', async () => {
    const lists = [
      ['a', '', 'b'],
      ['a', 'b'],
      ['a', 'b', ''],
      ['a', '~'],
      ['a', ''],
      ['', 'a'],
    ]
    const keys = lists.map((segments) => kvKey(...segments))
    expect(keys.map(lastSegment)).toEqual(['b', 'b', '', '~', '', 'a'])
    expect(keys.map(keySegments)).toEqual(lists)
    // unstorage normalizes keys (`::` collapses, a trailing `:` goes): each must stay its own key.
    const kv = unstorageKv(createStorage())
    for (const [i, key] of keys.entries()) await kv.set(key, String(i))
    expect(await kv.getMany(keys)).toEqual(keys.map((_, i) => String(i)))
  })

  it('lists metric projects decoded and in string order, which encoding does not keep (~ is %7E)', async () => {
    const metrics = kvMetrics(unstorageKv(createStorage()))
    const ids = ['a~', 'aZ', 'p:1', 'ü', 'a b']
    for (const projectId of ids) {
      await metrics.create({
        definition: { id: 'm', projectId, slug: 's', name: 'M', spec: {}, createdAt: 0, updatedAt: 0 },
      })
    }
    expect(await metrics.listProjects()).toEqual([...ids].sort())
  })

  describe('claims stored by earlier versions', () => {
    // Project slugs held the plain id, metric slugs `{claimedAt} {id}`, event client ids JSON
    // `[id, claimedAt]`. The new code writes `{claimedAt} {owner}` and reads all three.
    const open = async () => {
      const storage = createStorage()
      const telltale = kvStorage({ storage })
      await telltale.migrate()
      return { telltale, kv: unstorageKv(storage) }
    }

    it('project slugs: the plain id is read; one whose project is missing is taken over at once', async () => {
      const { telltale, kv } = await open()
      await kv.set(kvKey('project', project.id), JSON.stringify(project))
      await kv.set(kvKey('project-slug', project.slug), project.id)
      expect(await telltale.projects.getBySlug({ slug: project.slug })).toEqual(project)
      const other = { ...project, id: 'p-other', slug: 'orphan' }
      await expect(telltale.projects.create({ project: { ...other, slug: project.slug } })).rejects.toThrow(
        'slug is already taken',
      )
      await kv.set(kvKey('project-slug', 'orphan'), 'p-crashed') // a claim with no time is old enough
      expect(await telltale.projects.create({ project: other })).toEqual(other)
      expect(await telltale.projects.getBySlug({ slug: 'orphan' })).toEqual(other)
    })

    it('metric slugs: `{at} {id}` is read, renamed away from and released', async () => {
      const { telltale, kv } = await open()
      const definition = { id: 'm1', projectId: 'p', slug: 'mrr', name: 'M', spec: {}, createdAt: 0, updatedAt: 0 }
      await kv.set(kvKey('metric', 'p', 'm1'), JSON.stringify(definition))
      await kv.set(kvKey('metric-slug', 'p', 'mrr'), `${Date.now() - 3_600_000} m1`)
      expect(await telltale.metrics.getBySlug({ projectId: 'p', slug: 'mrr' })).toEqual(definition)
      await expect(telltale.metrics.create({ definition: { ...definition, id: 'm2' } })).rejects.toThrow('slug')
      expect(await telltale.metrics.update({ definition: { ...definition, slug: 'arr' } })).toBe(true)
      expect(await kv.get(kvKey('metric-slug', 'p', 'mrr'))).toBe('')
      expect(await telltale.metrics.create({ definition: { ...definition, id: 'm2' } })).toMatchObject({ id: 'm2' })
    })

    it('event client ids: JSON `[id, at]` answers while its event exists or it is young; else it is taken over', async () => {
      const { telltale, kv } = await open()
      const clientKey = (clientId: string) =>
        kvKey('event-client', 'p', createHash('sha256').update(clientId).digest('hex'))
      const e = (id: string, clientId: string) => ({ ...stored, id, clientId })
      await kv.set(kvKey('event', 'p', 'old'), JSON.stringify(e('old', 'stored')))
      await kv.set(clientKey('stored'), JSON.stringify(['old', 1]))
      await kv.set(clientKey('in-flight'), JSON.stringify(['flying', Date.now()]))
      await kv.set(clientKey('crashed'), JSON.stringify(['dead', Date.now() - 120_000]))
      const batch = [e('a', 'stored'), e('b', 'in-flight'), e('c', 'crashed')]
      expect(await telltale.events.insert({ projectId: 'p', events: batch })).toEqual({
        ids: ['old', 'flying', 'c'],
        created: 1,
      })
      expect(await kv.get(clientKey('crashed'))).toMatch(/^\d+ c$/)
      expect(await kv.get(clientKey('stored'))).toBe('["old",1]')
    })
  })

  describe('event batches that fail half-way', () => {
    const T = 1_700_000_000_000
    const newEvent = (id: string, clientId: string | null = null) => ({
      ...stored,
      id,
      timestamp: T,
      clientId,
      tags: null,
      properties: null,
    })
    /** A KvStore whose event writes wait `delayMs` and fail for the ids in `failing`. */
    function faulty(delayMs: number, failing: Set<string>): KvStore {
      const kv = unstorageKv(createStorage())
      return {
        ...kv,
        async setIfAbsent(key, value, options) {
          if (key.startsWith('event:')) {
            await new Promise((resolve) => setTimeout(resolve, delayMs))
            if (failing.has(JSON.parse(value).id)) throw new Error('disk full')
          }
          return kv.setIfAbsent(key, value, options)
        },
      }
    }

    it('undoes what was written: no event and no client-id claim is left', async () => {
      const failing = new Set(['e-250'])
      const events = kvEvents(faulty(0, failing))
      const batch = Array.from({ length: 300 }, (_, i) => newEvent(`e-${i}`, `c-${i}`))
      await expect(events.insert({ projectId: 'p', events: batch })).rejects.toThrow('disk full')
      expect(await events.count({ projectId: 'p', filter: {} })).toBe(0)
      expect(await events.get({ projectId: 'p', id: 'e-0' })).toBeUndefined()
      failing.clear()
      expect(await events.insert({ projectId: 'p', events: batch })).toEqual({
        ids: batch.map((e) => e.id),
        created: 300,
      })
    })

    it('answers exactly once a batch settles, whatever queries ran while it was being written', async () => {
      const failing = new Set<string>()
      const events = kvEvents(faulty(1, failing))
      const count = () => events.count({ projectId: 'q', filter: {} })
      const whileWriting = async (insert: Promise<unknown>) => {
        let settled = false
        const done = insert.finally(() => {
          settled = true
        })
        done.catch(() => {}) // handled by the caller, once the loop ends

        // Yield to timers between queries (a cached count resolves in microtasks alone).
        while (!settled) await Promise.all([count(), new Promise((resolve) => setImmediate(resolve))])
        return done
      }
      await whileWriting(
        events.insert({ projectId: 'q', events: Array.from({ length: 300 }, (_, i) => newEvent(`ok-${i}`)) }),
      )
      expect(await count()).toBe(300)
      failing.add('bad-250')
      await expect(
        whileWriting(
          events.insert({ projectId: 'q', events: Array.from({ length: 300 }, (_, i) => newEvent(`bad-${i}`)) }),
        ),
      ).rejects.toThrow('disk full')
      expect(await count()).toBe(300)
      expect((await events.list({ projectId: 'q', filter: {}, limit: 1000, offset: 0 })).total).toBe(300)
    })

    it('keeps list order when inserts are added to the cached order', async () => {
      const events = kvEvents(unstorageKv(createStorage()))
      const all: string[] = []
      const insert = async (n: number) => {
        const batch = Array.from({ length: n }, (_, i) => ({
          ...newEvent(`${all.length + i}`.padStart(4, '0')),
          timestamp: T + (((all.length + i) * 7919) % 13),
        }))
        all.push(...batch.map((e) => `${e.timestamp}/${e.id}`))
        await events.insert({ projectId: 'o', events: batch })
      }
      const listed = async () =>
        (await events.list({ projectId: 'o', filter: {}, limit: 1000, offset: 0 })).events.map(
          (e) => `${e.timestamp}/${e.id}`,
        )
      await insert(40)
      await listed()
      for (let round = 0; round < 5; round++) await insert(9)
      expect(await listed()).toEqual([...all].sort().reverse())
    })

    it('lets a concurrent call with the same client id store its own event when the first call fails', async () => {
      const events = kvEvents(faulty(20, new Set(['boom'])))
      const first = events.insert({ projectId: 'p', events: [newEvent('a1', 'c'), newEvent('boom')] })
      await new Promise((resolve) => setTimeout(resolve, 5))
      const second = events.insert({ projectId: 'p', events: [newEvent('b1', 'c')] })
      await expect(first).rejects.toThrow('disk full')
      expect(await second).toEqual({ ids: ['b1'], created: 1 })
      expect(await events.get({ projectId: 'p', id: 'b1' })).toMatchObject({ id: 'b1', clientId: 'c' })
    })
  })

  it('never returns a torn value on fs while the key is being rewritten', async () => {
    const dir = tempDir('torn')
    try {
      const kv = unstorageKv(createStorage({ driver: fsDriver({ base: dir }) }))
      // Large values: the fs driver truncates the file, then writes it, so a racing read can see a prefix.
      const value = (i: number) => `${i}:`.padEnd(500_000, 'x')
      await kv.set('k', value(0))
      let writing = true
      const writer = (async () => {
        for (let i = 1; i <= 40; i++) await kv.set('k', value(i))
        writing = false
      })()
      let reads = 0
      while (writing) {
        const read = await kv.get('k')
        expect(read?.length).toBe(500_000)
        reads++
      }
      await writer
      expect(reads).toBeGreaterThan(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('hides the TTL envelope and treats expired values as absent', async () => {
    const kv = unstorageKv(createStorage())
    await kv.set('plain', '{"json":true}')
    expect(await kv.get('plain')).toBe('{"json":true}')
    await kv.set('short', 'x', { ttlMs: 1 })
    expect(await kv.increment('counter', 2, { ttlMs: 60_000 })).toBe(2)
    expect(await kv.increment('counter', 3, { ttlMs: 1 })).toBe(5)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await kv.get('short')).toBeUndefined()
    expect(await kv.setIfAbsent('short', 'y')).toBe(true)
    expect(await kv.getMany(['plain', 'short', 'counter', 'missing'])).toEqual(['{"json":true}', 'y', '5', undefined])
  })

  it('makes two kv instances over one storage object one store: one lock', async () => {
    const storage = createStorage()
    expect(unstorageKv(storage)).toBe(unstorageKv(storage))
    expect(unstorageKv(storage, { base: 'x' })).not.toBe(unstorageKv(storage))
    const [a, b] = [unstorageKv(storage), unstorageKv(createStorage())]
    const claims = await Promise.all(Array.from({ length: 20 }, () => a.setIfAbsent('k', '1')))
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect(await b.get('k')).toBeUndefined()
  })

  it('writes under its base only', async () => {
    const storage = createStorage()
    const telltale = kvStorage({ storage, base: 'telltale' })
    await telltale.migrate()
    await telltale.projects.create({ project })
    expect((await storage.getKeys()).every((key) => key.startsWith('telltale:'))).toBe(true)
    expect(() => kvStorage({ storage, base: '../x' })).toThrow(/telltale: invalid kv base/)
  })
})
