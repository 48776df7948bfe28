import type { Kysely } from 'kysely'
import type { EventInsertResult, NewEvent } from '../events'
import { encodeJson } from './dialect'
import type { Database } from './schema'

const table = 'telltale_events' as const
/** Rows per INSERT statement: far below SQLite's 32766 and Postgres' 65535 parameter limits. */
const INSERT_CHUNK = 500
/** Rows one combined write takes at most; the rest wait for the next. */
const MAX_ROWS_PER_WRITE = 5000

interface Call {
  projectId: string
  events: NewEvent[]
  resolve(result: EventInsertResult): void
  reject(error: unknown): void
}

/**
 * Group commit for event inserts. Calls that arrive while a write is in flight are written
 * together in the next one: one transaction and one commit for all of them, which is most of
 * what a small insert costs. Each call still resolves only after its rows are committed, and
 * each call is atomic. If a combined write fails, the group is split in halves and each half is
 * written together again, down to the failing call, which rejects alone: one bad call among n
 * costs about 2·log2(n) extra transactions, not n, so a client whose writes the database refuses
 * cannot slow everyone else's ingest to one transaction per request.
 */
export function createEventWriter(db: Kysely<Database>, options: { onTransaction?: () => void } = {}) {
  let queue: Call[] = []
  let writing: Promise<void> | undefined
  const write = (calls: Call[]) => {
    options.onTransaction?.()
    return writeCalls(db, calls)
  }

  /** Writes the calls together; on failure, each half again; a single failing call rejects. */
  async function writeOrSplit(calls: Call[]): Promise<void> {
    try {
      await write(calls)
    } catch (error) {
      if (calls.length === 1) return calls[0].reject(error)
      const half = Math.ceil(calls.length / 2)
      await writeOrSplit(calls.slice(0, half))
      await writeOrSplit(calls.slice(half))
    }
  }

  function next(): void {
    if (writing || queue.length === 0) return
    let rows = 0
    let take = 0
    while (take < queue.length && (take === 0 || rows + queue[take].events.length <= MAX_ROWS_PER_WRITE)) rows += queue[take++].events.length
    const calls = queue.slice(0, take)
    queue = queue.slice(take)
    writing = writeOrSplit(calls).then(() => {
      writing = undefined
      next()
    })
  }

  return {
    insert(projectId: string, events: NewEvent[]): Promise<EventInsertResult> {
      if (events.length === 0) return Promise.resolve({ ids: [], created: 0 })
      return new Promise((resolve, reject) => {
        queue.push({ projectId, events, resolve, reject })
        next()
      })
    },
    /** Resolves when every queued call is written (for `close()`). */
    async drain(): Promise<void> {
      while (writing) await writing
    },
  }
}

/** Writes the calls in one transaction and resolves each; throws (resolving none) on failure. */
async function writeCalls(db: Kysely<Database>, calls: Call[]): Promise<void> {
  const results = await db.transaction().execute(async (trx) => {
    const rows = calls.flatMap(({ projectId, events }) =>
      events.map((e) => ({
        id: e.id,
        project_id: projectId,
        name: e.name,
        ts: e.timestamp,
        received_at: e.receivedAt,
        user_id: e.userId,
        user_email: e.userEmail,
        user_name: e.userName,
        value: e.value,
        properties: encodeJson(e.properties),
        tags: encodeJson(e.tags),
        client_id: e.clientId,
      })),
    )
    const inserted = new Set<string>()
    const stored = new Map<string, string>() // `${projectId} ${clientId}` → id
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const returned = await trx
        .insertInto(table)
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['project_id', 'client_id']).where('client_id', 'is not', null).doNothing())
        .returning(['id', 'project_id', 'client_id'])
        .execute()
      for (const row of returned) {
        inserted.add(row.id)
        if (row.client_id !== null) stored.set(`${row.project_id} ${row.client_id}`, row.id)
      }
    }
    // Client ids not inserted now were stored before (or earlier in this write): look them up.
    const missing = new Map<string, Set<string>>()
    for (const { projectId, events } of calls) {
      for (const e of events)
        if (e.clientId !== null && !stored.has(`${projectId} ${e.clientId}`)) (missing.get(projectId) ?? missing.set(projectId, new Set()).get(projectId)!).add(e.clientId)
    }
    for (const [projectId, clientIds] of missing) {
      const ids = [...clientIds]
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        const found = await trx
          .selectFrom(table)
          .select(['id', 'client_id'])
          .where('project_id', '=', projectId)
          .where('client_id', 'in', ids.slice(i, i + INSERT_CHUNK))
          .execute()
        for (const row of found) stored.set(`${projectId} ${row.client_id}`, row.id)
      }
    }
    return calls.map(({ projectId, events }) => ({
      ids: events.map((e) => (e.clientId === null ? e.id : stored.get(`${projectId} ${e.clientId}`)!)),
      created: events.filter((e) => inserted.has(e.id)).length,
    }))
  })
  for (const [i, call] of calls.entries()) call.resolve(results[i])
}
