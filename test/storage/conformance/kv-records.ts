// kvRecordType (src/storage/kv/records.ts) over a backend's primitives, with a record of its own
// that uses every option: per-project records, a value unique per project (`handle`), one unique
// across the store (`email`, as users' will be) and a lookup across projects (`team`).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConflictError } from '../../../src/storage'
import { kvKey } from '../../../src/storage/kv'
import { claimHolder, claimValue, RELEASED } from '../../../src/storage/kv/claims'
import { kvRecordType } from '../../../src/storage/kv/records'
import type { MakeKv } from './kv-store'

interface Member {
  id: string
  projectId: string
  email: string
  handle: string
  team: string
  createdAt: number
}

const T0 = 1_700_000_000_000
const GRACE = 1_000

export function recordTests(makeKv: MakeKv) {
  describe('kvRecordType', () => {
    // A record name of this run's own, so runs sharing a store never meet.
    const name = `member${randomUUID().replace(/-/g, '')}`
    const members = (now = Date.now) =>
      kvRecordType<Member>(makeKv(), {
        name,
        projectOf: (m) => m.projectId,
        unique: { email: 'store', handle: 'project' },
        lookup: ['team'],
        clock: { now, graceMs: GRACE },
      })
    const member = (projectId: string, fields: Partial<Member> = {}): Member => {
      const id = randomUUID()
      return { id, projectId, email: `${id}@x.test`, handle: `h-${id}`, team: `t-${id}`, createdAt: T0, ...fields }
    }
    const conflict = (promise: Promise<unknown>) =>
      promise.then(
        () => 'no conflict',
        (error: unknown) => (error instanceof ConflictError ? `conflict: ${error.field}` : error),
      )
    const handleKey = (projectId: string, handle: string) => kvKey(`${name}-handle`, projectId, handle)
    const emailKey = (email: string) => kvKey(`${name}-email`, email)

    it('stores JSON at {name}:{projectId}:{id}, lists per project oldest first, and the projects', async () => {
      const [p, q] = [randomUUID(), randomUUID()]
      const ids = [randomUUID(), randomUUID()].sort()
      const late = member(p, { createdAt: T0 + 1 })
      const b = member(p, { id: ids[1] })
      const a = member(p, { id: ids[0] })
      const elsewhere = member(q)
      for (const m of [late, b, a, elsewhere]) expect(await members().create(m)).toEqual(m)
      expect(await makeKv().get(kvKey(name, p, a.id))).toBe(JSON.stringify(a))
      expect(await members().get({ projectId: p, id: a.id })).toEqual(a)
      expect(await members().get({ projectId: q, id: a.id })).toBeUndefined()
      expect(await members().list(p)).toEqual([a, b, late])
      expect(await members().list(q)).toEqual([elsewhere])
      expect(await members().list(randomUUID())).toEqual([])
      expect(await members().projects()).toEqual([p, q].sort())
      await expect(members().get({ id: a.id })).rejects.toThrow(/belong to a project/)
    })

    it('keeps values unique per project or across the store, and gives back what a refused create claimed', async () => {
      const [p, q] = [randomUUID(), randomUUID()]
      const a = await members().create(member(p, { handle: 'h', email: 'a@x.test' }))
      const refused = member(p, { handle: 'h' })
      expect(await conflict(members().create(refused))).toBe('conflict: handle')
      expect(await claimHolder(makeKv(), emailKey(refused.email))).toBeUndefined() // claimed first, given back
      const c = await members().create(member(q, { handle: 'h', email: refused.email }))
      expect(await conflict(members().create(member(q, { email: 'a@x.test' })))).toBe('conflict: email')
      expect(await members().findUnique('handle', 'h', p)).toEqual(a)
      expect(await members().findUnique('handle', 'h', q)).toEqual(c)
      expect(await members().findUnique('email', 'a@x.test')).toEqual(a)
      expect(await members().findUnique('email', refused.email)).toEqual(c)
      expect(await members().findUnique('handle', 'nobody', p)).toBeUndefined()
      expect(await members().list(p)).toEqual([a])
    })

    it('refuses a taken id: ConflictError(id) giving its claims back, or on the value the stored record has too', async () => {
      const p = randomUUID()
      const a = await members().create(member(p))
      const sameId = { ...a, handle: 'other-handle', email: `${randomUUID()}@x.test` }
      expect(await conflict(members().create(sameId))).toBe('conflict: id')
      expect(await claimHolder(makeKv(), handleKey(p, 'other-handle'))).toBeUndefined()
      expect(await claimHolder(makeKv(), emailKey(sameId.email))).toBeUndefined()
      expect(await conflict(members().create({ ...a }))).toBe('conflict: email')
      // Refused on a value another record holds: the values the stored record holds stay its own.
      const b = await members().create(member(p))
      expect(await conflict(members().create({ ...a, handle: b.handle }))).toBe('conflict: handle')
      expect(await members().findUnique('handle', a.handle, p)).toEqual(a)
      expect(await members().findUnique('email', a.email)).toEqual(a)
    })

    it('updates by compare-and-set: a changed value is claimed first, the old one released after', async () => {
      const p = randomUUID()
      const a = await members().create(member(p, { handle: 'old' }))
      const b = await members().create(member(p))
      const renamed = { ...a, handle: 'new', email: `${randomUUID()}@x.test` }
      expect(await members().update({ projectId: p, id: a.id }, () => renamed)).toBe(true)
      expect(await members().get({ projectId: p, id: a.id })).toEqual(renamed)
      expect(await members().findUnique('handle', 'new', p)).toEqual(renamed)
      expect(await members().findUnique('handle', 'old', p)).toBeUndefined()
      expect(await makeKv().get(handleKey(p, 'old'))).toBe(RELEASED)
      expect(await members().findUnique('email', a.email)).toBeUndefined()

      expect(await conflict(members().update({ projectId: p, id: a.id }, (m) => ({ ...m, handle: b.handle })))).toBe(
        'conflict: handle',
      )
      expect(await members().get({ projectId: p, id: a.id })).toEqual(renamed)
      expect(await members().findUnique('handle', b.handle, p)).toEqual(b)
      expect(await members().update({ projectId: p, id: a.id }, () => undefined)).toBe(true)
      expect(await members().update({ projectId: p, id: randomUUID() }, (m) => ({ ...m, handle: 'ghost' }))).toBe(false)
      expect(await claimHolder(makeKv(), handleKey(p, 'ghost'))).toBeUndefined()
      await expect(members().update({ projectId: p, id: a.id }, (m) => ({ ...m, id: randomUUID() }))).rejects.toThrow(
        /another id/,
      )
    })

    it('deletes the record, frees its values and removes its lookup', async () => {
      const p = randomUUID()
      const a = await members().create(member(p, { handle: 'gone', team: 'gone-team' }))
      expect(await members().delete({ projectId: p, id: a.id })).toEqual(a)
      expect(await members().delete({ projectId: p, id: a.id })).toBeUndefined()
      expect(await members().get({ projectId: p, id: a.id })).toBeUndefined()
      expect(await members().findLookup('team', 'gone-team')).toEqual([])
      expect(await makeKv().scan(`${kvKey(`${name}-team`, 'gone-team')}:`)).toEqual([])
      const again = await members().create(member(p, { handle: 'gone', email: a.email }))
      expect(await members().findUnique('handle', 'gone', p)).toEqual(again)
    })

    it('finds lookups across projects, skipping entries whose record is missing or has another value', async () => {
      const team = `team-${randomUUID()}`
      const a = await members().create(member(randomUUID(), { team }))
      const c = await members().create(member(randomUUID(), { team }))
      await members().create(member(a.projectId))
      const kv = makeKv()
      await kv.set(kvKey(`${name}-team`, team, 'missing'), a.projectId)
      const moved = await members().create(member(a.projectId, { team: 'elsewhere' }))
      await kv.set(kvKey(`${name}-team`, team, moved.id), a.projectId)
      const byId = (ms: Member[]) => [...ms].sort((x, y) => (x.id < y.id ? -1 : 1))
      expect(byId(await members().findLookup('team', team))).toEqual(byId([a, c]))
      expect(await members().findLookup('team', `none-${randomUUID()}`)).toEqual([])
    })

    it('takes over a claim left by a crash once past the grace period: record missing or without the value', async () => {
      const p = randomUUID()
      const kv = makeKv()
      // A create that died between its claims and its record, by a member of project p.
      await kv.set(handleKey(p, 'crashed'), claimValue('dead', T0))
      await kv.set(emailKey('crashed@x.test'), claimValue(kvKey(p, 'dead'), T0))
      const retry = member(p, { handle: 'crashed', email: 'crashed@x.test' })
      expect(await conflict(members(() => T0 + GRACE - 1).create(retry))).toBe('conflict: email')
      expect(await members(() => T0 + GRACE).create(retry)).toEqual(retry)
      expect(await members().findUnique('handle', 'crashed', p)).toEqual(retry)
      expect(await members().findUnique('email', 'crashed@x.test')).toEqual(retry)
      // An update that died after claiming: its record never took the value, so the claim goes too.
      await kv.set(handleKey(p, 'half-renamed'), claimValue(retry.id, T0))
      const other = member(p, { handle: 'half-renamed' })
      expect(await conflict(members(() => T0 + GRACE - 1).create(other))).toBe('conflict: handle')
      expect(await members(() => T0 + GRACE).create(other)).toEqual(other)
      // A claim whose record holds the value is never taken over.
      expect(await conflict(members(() => T0 * 2).create(member(p, { handle: 'crashed' })))).toBe('conflict: handle')
    })

    it('lets exactly one of concurrent creates with the same value win', async () => {
      const p = randomUUID()
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => members().create(member(p, { handle: 'race' }))),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toEqual(new ConflictError('handle'))
      expect(await members().list(p)).toHaveLength(1)
    })
  })
}
