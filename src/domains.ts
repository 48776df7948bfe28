import { accounts } from './accounts'
import type { Domain } from './core/domain'
import { configError } from './core/errors'
import type { Operation } from './core/operation'
import { events } from './events'
import { keys } from './keys'
import { metrics } from './metrics'
import { projects } from './projects'

/**
 * Every domain telltale has. `createTelltale` builds `api`, the scheduler's jobs and the
 * after-ingest hooks from this list: adding a domain is its folder and a line here.
 */
export const DOMAINS = [projects, keys, events, metrics, accounts] as const

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (all: infer I) => void
  ? I
  : never

/** Every domain's operations in one object, by the name `api` exposes them under. */
export type Operations = UnionToIntersection<(typeof DOMAINS)[number]['operations']>

/**
 * The operations of `domains` in one object. What the domains cannot check alone is refused
 * with one line: two domains with one id, two operations or two jobs with one name (one would
 * silently replace the other in `api` or on the scheduler).
 */
export function operationsOf(domains: readonly Domain[]): Record<string, Operation> {
  const operations: Record<string, Operation> = {}
  const owners = new Map<string, string>()
  const claim = (what: string, owner: string) => {
    const other = owners.get(what)
    if (other !== undefined) throw configError(`the ${other} and ${owner} domains both define ${what}: rename one`)
    owners.set(what, owner)
  }
  const ids = new Set<string>()
  for (const domain of domains) {
    if (ids.has(domain.id)) throw configError(`two domains have the id "${domain.id}": give each its own`)
    ids.add(domain.id)
    for (const job of domain.jobs ?? []) claim(`the job "${job.name}"`, domain.id)
    for (const [name, operation] of Object.entries(domain.operations)) {
      claim(`the operation ${name}`, domain.id)
      operations[name] = operation
    }
  }
  return operations
}

/** The operations of every domain (tests and the fuzzers walk it). */
export const operations = operationsOf(DOMAINS) as Operations
