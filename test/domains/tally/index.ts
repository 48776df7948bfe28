// A domain that exists only in tests, to prove that adding one is a folder and a line in the
// DOMAINS list (src/domains.ts): one operation, one job, one after-ingest hook, and the one
// route of a surface that serves it. It uses another domain only through its index (events).
import { z } from 'zod'
import { defineDomain } from '../../../src/core/domain'
import { runClaimed } from '../../../src/core/jobs'
import { defineOperation, runOperation } from '../../../src/core/operation'
import { perStore } from '../../../src/core/per-store'
import { countEvents } from '../../../src/events'
import { SYSTEM_PROJECT } from '../../../src/storage'
import { defineRoute, defineSurface } from '../../../src/surfaces'
import { plainErrors } from '../../../src/surfaces/errors'

/** Per store: events the hook saw by project, and how many digests this process ran. */
const seen = perStore(() => ({ events: new Map<string, number>(), digests: 0 }))

export const tallyEvents = defineOperation({
  input: z.object({ projectId: z.string(), name: z.string().min(1).optional() }),
  scope: 'read',
  async run(ctx, { projectId, name }) {
    const { total } = await runOperation(ctx, countEvents, { projectId, filter: { name } })
    const mine = seen(ctx.storage)
    return { stored: total, seenByHook: mine.events.get(projectId) ?? 0, digests: mine.digests }
  },
})

export const tally = defineDomain({
  id: 'tally',
  operations: { tallyEvents },
  jobs: [
    {
      name: 'tally-digest',
      everyMs: 60_000,
      // Claimed in the store: of several instances ticking it, one runs it per period.
      run: (ctx, owner) =>
        runClaimed(ctx, { projectId: SYSTEM_PROJECT, key: 'tally:digest', owner, everyMs: 60_000 }, async () => {
          seen(ctx.storage).digests++
        }),
    },
  ],
  onEventsStored(ctx, projectId, events) {
    const counts = seen(ctx.storage).events
    counts.set(projectId, (counts.get(projectId) ?? 0) + events.length)
    return undefined
  },
})

export const tallySurface = defineSurface({
  id: 'tally',
  prefixes: ['/tally'],
  errors: plainErrors({}),
  routes: [
    defineRoute({
      method: 'GET',
      path: '/tally',
      operation: tallyEvents,
      query: (params) => ({ name: params.get('name') ?? undefined }),
      reply: (tally) => tally,
    }),
  ],
})
