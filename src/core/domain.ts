import type { NewEvent } from '../storage'
import type { CoreContext } from './context'
import type { Operation } from './operation'

/** Work a domain runs on the scheduler. Each instance ticks it; `run` claims what must happen once. */
export interface DomainJob {
  /** Unique across domains; registered as `telltale:<name>`. */
  name: string
  everyMs: number
  /** `owner` identifies this instance in the store's claims (see `runClaimed`). */
  run(ctx: CoreContext, owner: string): Promise<unknown>
}

/**
 * Called after every successful event write, with the rows as stored. Returns a promise only
 * when there is something to wait for, so that ingest stays synchronous when no hook has work.
 */
export type EventsStoredHook = (ctx: CoreContext, projectId: string, events: NewEvent[]) => Promise<void> | undefined

/**
 * One domain (events, keys, projects, metrics...): its operations by the name `api` exposes them
 * under, its scheduled jobs, and its hooks. `createTelltale` loops over the `DOMAINS` list, so a
 * domain is its folder and one line there. Domains use one another only through these
 * declarations and each other's `index.ts`.
 */
export interface Domain<Operations extends Record<string, Operation> = Record<string, Operation>> {
  id: string
  operations: Operations
  jobs?: DomainJob[]
  onEventsStored?: EventsStoredHook
}

// biome-ignore lint/suspicious/noExplicitAny: an operation's schema and output are checked where it is defined
export const defineDomain = <const Operations extends Record<string, Operation<any, any>>>(
  domain: Domain<Operations>,
): Domain<Operations> => domain

/** What every domain's hooks add up to, kept on the context so a domain reaches them without importing the others. */
export interface DomainHooks {
  onEventsStored: EventsStoredHook[]
}
