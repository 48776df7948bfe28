import { ConflictError } from '../index'
import { type ClaimClock, claimHolder, claimUnique, releaseUnique } from './claims'
import { type KvStore, keySegments, kvKey, lastSegment } from './store'

/** What every record has: an id (per project, or in the store for store-wide records) and a creation time. */
export interface KvRecord {
  id: string | number
  createdAt: number
}

/** The names of `R`'s string fields: what a unique value or a lookup may be. */
export type StringField<R> = { [K in keyof R]: R[K] extends string ? K : never }[keyof R] & string

/**
 * A record-like domain over the key-value primitives, declared once:
 * - `{name}:{id}` (store-wide records) or `{name}:{projectId}:{id}` holds the record as JSON;
 * - each `unique` field's value is claimed (`claimUnique`) at `{name}-{field}:{projectId}:{value}`
 *   (unique per project) or `{name}-{field}:{value}` (across the store), before the record says it;
 * - each `lookup` field is an index across projects, `{name}-{field}:{value}:{id}` → projectId,
 *   written before the record, for a read that does not know the project yet (a key's prefix).
 *
 * A unique value's claim is owned by the record's id, or by `{projectId}:{id}` for a value unique
 * across the projects of per-project records (a user's email), so it names its record: the orphan
 * rule asks whether that record still has the value. For example:
 * `kvRecordType<Project>(kv, { name: 'project', unique: { slug: 'store' } })`.
 */
export interface RecordSpec<R extends KvRecord> {
  /** The first key segment; unique values and lookups add `-{field}` to it. */
  name: string
  /** The project a record belongs to; omit for store-wide records (projects themselves). */
  projectOf?: (record: R) => string
  /** Unique fields: per project (`'project'`) or across the store (`'store'`; always, for store-wide records). */
  unique?: Partial<Record<StringField<R>, 'project' | 'store'>>
  lookup?: Array<StringField<R>>
  /** The claims' clock and grace period (tests). */
  clock?: ClaimClock
}

/** Which record: `projectId` is ignored for store-wide records and required for the others. */
export interface RecordRef {
  projectId?: string
  id: string | number
}

export interface KvRecords<R extends KvRecord> {
  key(ref: RecordRef): string
  get(ref: RecordRef): Promise<R | undefined>
  /** Stores a new record. ConflictError(field) when a unique value is taken, ('id') when the id is. */
  create(record: R): Promise<R>
  /** The record holding a unique value (`projectId` for a per-project value). */
  findUnique(field: StringField<R>, value: string, projectId?: string): Promise<R | undefined>
  /** Every record with this value of a lookup field, across projects. */
  findLookup(field: StringField<R>, value: string): Promise<R[]>
  /** The project's records (every record, for store-wide ones), oldest first (createdAt, then id). */
  list(projectId?: string): Promise<R[]>
  /** Projects that have at least one record, ascending. */
  projects(): Promise<string[]>
  /**
   * Replaces the record with `change(current)` by compare-and-set (`undefined`: no write). A
   * changed unique value is claimed before the write (ConflictError when taken, nothing written)
   * and the old one released after. False when there is no such record.
   */
  update(ref: RecordRef, change: (current: R) => R | undefined): Promise<boolean>
  /** Deletes the record, then releases its unique values and removes its lookups. The deleted record. */
  delete(ref: RecordRef): Promise<R | undefined>
}

export function kvRecordType<R extends KvRecord>(kv: KvStore, spec: RecordSpec<R>): KvRecords<R> {
  const { name, projectOf } = spec
  const uniques = Object.keys(spec.unique ?? {}) as Array<StringField<R>>
  const lookups = spec.lookup ?? []

  const project = (projectId: string | undefined) => {
    if (projectId === undefined) throw new Error(`telltale: ${name} records belong to a project: pass its id`)
    return projectId
  }
  const key = (ref: RecordRef) => (projectOf ? kvKey(name, project(ref.projectId), ref.id) : kvKey(name, ref.id))
  const refOf = (record: R): RecordRef => ({ projectId: projectOf?.(record), id: record.id })
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as R))
  const get = async (ref: RecordRef) => parse(await kv.get(key(ref)))
  const many = async (keys: string[]) =>
    (await kv.getMany(keys)).map(parse).filter((record): record is R => record !== undefined)

  // A per-project value's claim is keyed by its project and owned by the record's id; a value unique
  // across the projects of per-project records is owned by `{projectId}:{id}`, which finds its record.
  const perProject = (field: StringField<R>) => projectOf !== undefined && spec.unique?.[field] !== 'store'
  const across = (field: StringField<R>) => projectOf !== undefined && spec.unique?.[field] === 'store'
  const uniqueKey = (field: StringField<R>, value: string, projectId: string | undefined) =>
    perProject(field) ? kvKey(`${name}-${field}`, project(projectId), value) : kvKey(`${name}-${field}`, value)
  const holderRef = (field: StringField<R>, owner: string, projectId: string | undefined): RecordRef => {
    if (!across(field)) return { projectId, id: owner }
    const [ownerProject, id] = keySegments(owner)
    return { projectId: ownerProject, id }
  }
  const claimsOf = (record: R) =>
    uniques.map((field) => {
      const value = record[field] as string
      const projectId = projectOf?.(record)
      const owner = across(field) ? kvKey(project(projectId), record.id) : String(record.id)
      return { field, value, projectId, owner, key: uniqueKey(field, value, projectId) }
    })
  type UniqueClaim = ReturnType<typeof claimsOf>[number]

  /** Claims each value; ConflictError for the first one another record holds (giving back what this call took). */
  async function take(claims: UniqueClaim[]): Promise<UniqueClaim[]> {
    const taken: UniqueClaim[] = []
    for (const claim of claims) {
      const { field, value, projectId } = claim
      const outcome = await claimUnique(kv, claim.key, claim.owner, {
        holds: async (owner) => (await get(holderRef(field, owner, projectId)))?.[field] === value,
        ...spec.clock,
      })
      if (outcome.holder !== claim.owner) {
        await release(taken)
        throw new ConflictError(field)
      }
      // Only what this call wrote is given back on failure: a value held already may be the stored record's.
      if (outcome.claimed) taken.push(claim)
    }
    return taken
  }
  const release = async (claims: UniqueClaim[]) => {
    for (const claim of claims) await releaseUnique(kv, claim.key, claim.owner)
  }

  const lookupKey = (field: StringField<R>, record: R) => kvKey(`${name}-${field}`, record[field] as string, record.id)
  const writeLookups = (record: R, fields: Array<StringField<R>>) =>
    Promise.all(fields.map((field) => kv.set(lookupKey(field, record), projectOf?.(record) ?? '')))

  return {
    key,
    get,
    async create(record) {
      const taken = await take(claimsOf(record))
      await writeLookups(record, lookups)
      if (await kv.setIfAbsent(key(refOf(record)), JSON.stringify(record))) return record
      // The id is taken: a value the stored record has too is the conflict; others are given back.
      const stored = await get(refOf(record))
      await release(taken.filter((claim) => stored?.[claim.field] !== claim.value))
      const shared = uniques.find((field) => stored !== undefined && stored[field] === record[field])
      throw new ConflictError(shared ?? 'id')
    },
    async findUnique(field, value, projectId) {
      const owner = await claimHolder(kv, uniqueKey(field, value, projectId))
      const record = owner === undefined ? undefined : await get(holderRef(field, owner, projectId))
      return record?.[field] === value ? record : undefined
    },
    async findLookup(field, value) {
      const entries = await kv.scan(`${kvKey(`${name}-${field}`, value)}:`)
      const projects = await kv.getMany(entries)
      const keys = entries.flatMap((entry, i) => {
        const projectId = projects[i]
        return projectId === undefined ? [] : [key({ projectId, id: lastSegment(entry) })]
      })
      // An entry whose record is missing or has another value (a crash in between) is skipped.
      return (await many(keys)).filter((record) => record[field] === value)
    },
    async list(projectId) {
      const prefix = projectOf ? kvKey(name, project(projectId)) : kvKey(name)
      return (await many(await kv.scan(`${prefix}:`))).sort(byAge)
    },
    async projects() {
      const keys = await kv.scan(`${kvKey(name)}:`)
      return [...new Set(keys.map((k) => keySegments(k)[1]))].sort()
    },
    async update(ref, change) {
      const k = key(ref)
      let taken: UniqueClaim[] = [] // what this call claimed, across attempts
      for (let attempt = 0; attempt < 100; attempt++) {
        const json = await kv.get(k)
        const current = parse(json)
        if (!current) {
          await release(taken)
          return false
        }
        const next = change(current)
        if (next === undefined) return true
        if (key(refOf(next)) !== k) throw new Error(`telltale: an update cannot move a ${name} record to another id`)
        // New values are claimed before the record says them: a value is never used unclaimed.
        const wanted = claimsOf(next).filter((c) => c.value !== current[c.field] && !taken.some((t) => t.key === c.key))
        try {
          taken = [...taken, ...(await take(wanted))]
        } catch (error) {
          await release(taken)
          throw error
        }
        await writeLookups(
          next,
          lookups.filter((field) => next[field] !== current[field]),
        )
        if (await kv.compareAndSet(k, json, JSON.stringify(next))) {
          const unused = (c: UniqueClaim) => next[c.field] !== c.value
          await release([...claimsOf(current).filter(unused), ...taken.filter(unused)])
          for (const field of lookups) if (next[field] !== current[field]) await kv.delete(lookupKey(field, current))
          return true
        }
      }
      throw new Error(`telltale: ${k} changed 100 times while being updated`)
    },
    async delete(ref) {
      const current = await get(ref)
      if (!current || !(await kv.delete(key(ref)))) return undefined
      await release(claimsOf(current))
      for (const field of lookups) await kv.delete(lookupKey(field, current))
      return current
    },
  }
}

const byAge = (a: KvRecord, b: KvRecord) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
