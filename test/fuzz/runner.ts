// The fuzz loop: sends every planned request to the child server, checks each reply, keeps a
// model of what the project stores, shrinks the first request of each new failure, and finishes
// with a full readback.

import type { Surface } from '../../src/surfaces'
import { changedDomains } from '../helpers/fingerprint'
import { Rng } from '../helpers/prng'
import { FuzzServer, type Outcome, SideChannelError, type SideEvent, type StoreState } from './child'
import { type FuzzRequest, type GenContext, plan, QUERY_ROUTES, ROUTES, WRITE_ROUTES } from './gen'
import { describeRoutes, genericPlan, interleave, reaches } from './generic'
import { type J, Obj, Raw, toJson } from './json'
import {
  classifyString,
  describeDiff,
  FLUX_ID,
  fluxIdToUuid,
  fluxView,
  isPlainObject,
  matches,
  modelGroups,
  modelNumbers,
  modelQuery,
  nearestRank,
  newestFirst,
  queryShapeProblems,
  readbackDiffs,
  tainted,
  UUID,
} from './oracle'
import type { ServerSpec } from './server'
import { errorShapeProblem } from './shape'
import { loadSurfaces } from './surfaces'

export interface RunOptions {
  label: string
  spec: ServerSpec
  seed: number
  requests: number
  timeoutMs: number
  log?: (line: string) => void
}

export interface Failure {
  key: string
  route: string
  /** `500`, `hang`, `crash`, `201 readback`… */
  status: string
  symptom: string
  /** The server's own words (logged error, reply body). */
  detail: string
  request: FuzzRequest
  /** Index in the run (`-1`: shrinking, final checks). */
  index: number
  occurrences: number
  shrunk: boolean
  /** Routes and fields a cross-route finding was seen on. */
  seenOn: string[]
}

export interface RunResult {
  label: string
  seed: number
  sent: number
  ms: number
  restarts: number
  statuses: Record<string, number>
  failures: Failure[]
  eventsStored: number
  /** Per route: requests, mean and slowest reply time (ms). */
  timing: Record<string, { n: number; meanMs: number; maxMs: number }>
  /** The generic pass: requests, routes, and the routes no other request of the run reached. */
  generic: { requests: number; routes: number; onlyGeneric: string[] }
}

/** A problem seen with one request. */
interface Finding {
  key: string
  status: string
  symptom: string
  detail: string
  /** Whether replaying smaller requests is worth it (not for hangs and crashes). */
  shrinkable: boolean
  /** For findings deduplicated across routes: where this one was seen. */
  seenOn?: string
}

const BATCH_LIMITS = { statusBlocks: 100, flux: 500 }
/** The share of the requests that goes to the generic pass (generic.ts). */
const GENERIC_SHARE = 0.15
const SHRINK_BUDGET_PER_FAILURE = 50
const SHRINK_BUDGET_TOTAL = 1200

export async function runFuzz(options: RunOptions): Promise<RunResult> {
  const fuzz = new Fuzzer(options)
  try {
    return await fuzz.run()
  } finally {
    await fuzz.server.stop()
  }
}

class Fuzzer {
  readonly server: FuzzServer
  /** Events of the fuzz project, as stored (read back through the side channel). */
  private readonly model = new Map<string, SideEvent>()
  /** Client idempotency key (as sent) → stored id. */
  private readonly clientIds = new Map<string, string>()
  private otherEvents: SideEvent[] = []
  private readonly failures = new Map<string, Failure>()
  /** Keys found before shrinking → the key the shrunk request has. */
  private readonly shrunkKeys = new Map<string, string>()
  private shrinkBudget = SHRINK_BUDGET_TOTAL
  private readonly statuses: Record<string, number> = {}
  private readonly timing: Record<string, { n: number; totalMs: number; maxMs: number }> = {}
  private sent = 0
  private shrinking = false
  /** The surfaces the server serves (its own and FUZZ_SURFACES'), for error shapes and the generic pass. */
  private surfaces: Surface[] = []
  /** What the store held after the last checked request; undefined once a request went unchecked. */
  private state: StoreState | undefined
  /** The other project's records after seeding: no request may change them. */
  private otherState: StoreState['other'] = {}

  constructor(private readonly options: RunOptions) {
    this.server = new FuzzServer(options.spec)
  }

  private get keys() {
    return this.options.spec.keys
  }

  private log(line: string): void {
    this.options.log?.(line)
  }

  async run(): Promise<RunResult> {
    const started = performance.now()
    this.surfaces = await loadSurfaces(this.options.spec.surfaces ?? [])
    await this.server.start()
    const ids = this.surfaces.map((s) => s.id)
    if (ids.join() !== this.server.surfaces.join())
      throw new Error(`the server serves the surfaces ${this.server.surfaces.join()}, the fuzzer knows ${ids.join()}`)
    await this.seedOtherProject()

    const ctx: GenContext = { now: Date.now(), otherProjectId: this.server.projects.other, batchLimits: BATCH_LIMITS }
    const genericCount = Math.round(this.options.requests * GENERIC_SHARE)
    const planned = plan(new Rng(this.options.seed), ctx, this.options.requests - genericCount)
    const routes = describeRoutes(this.surfaces)
    const generic = genericPlan(new Rng(this.options.seed ^ 0x5bd1e995), ctx, routes, planned, genericCount)
    const requests = interleave(new Rng(this.options.seed ^ 0x27d4eb2f), planned, generic)
    const onlyGeneric = routes.filter((route) => !planned.some((p) => reaches(route, p)))
    for (const [index, request] of requests.entries()) {
      const findings = await this.exec(request)
      for (const finding of findings) await this.record(finding, request, index)
    }
    await this.finalChecks()
    return {
      label: this.options.label,
      seed: this.options.seed,
      sent: this.sent,
      ms: Math.round(performance.now() - started),
      restarts: this.server.restarts,
      statuses: this.statuses,
      failures: [...this.failures.values()],
      eventsStored: this.model.size,
      timing: Object.fromEntries(
        Object.entries(this.timing).map(([route, t]) => [
          route,
          { n: t.n, meanMs: Math.round((t.totalMs / t.n) * 10) / 10, maxMs: t.maxMs },
        ]),
      ),
      generic: {
        requests: generic.length,
        routes: routes.length,
        onlyGeneric: onlyGeneric.map((route) => `${route.method} ${route.path}`),
      },
    }
  }

  /** Three known events in the other project: what isolation checks compare against. */
  private async seedOtherProject(): Promise<void> {
    const body = JSON.stringify({
      events: [
        {
          name: 'user.signup',
          user_id: 'user-1',
          value: 5,
          id: 'dup-1',
          tags: { plan: 'pro' },
          properties: { amount: 5 },
        },
        { name: 'signup', user_id: 'user-2', value: 7, id: 'shared', tags: { plan: 'starter' } },
        { name: 'order.placed', id: 'dup-2', value: 1e6, properties: { amount: 9 } },
      ],
    })
    const outcome = await this.server.send(
      {
        route: ROUTES.fluxBatch,
        method: 'POST',
        path: '/api/v1/events/batch',
        headers: { 'content-type': 'application/json' },
        auth: { kind: 'other' },
        body,
        origin: 'setup',
      },
      this.keys,
      this.options.timeoutMs,
    )
    if (outcome.kind !== 'reply' || outcome.status !== 201)
      throw new Error(`could not seed the other project: ${JSON.stringify(outcome).slice(0, 500)}`)
    this.otherEvents = await this.server.dump(this.server.projects.other)
    if (this.otherEvents.length !== 3)
      throw new Error(`the other project holds ${this.otherEvents.length} events after seeding 3`)
    this.otherState = (await this.server.state()).other
  }

  // -------------------------------------------------------------------------------------------

  /** Sends one request and checks everything about its reply and its effect on the store. */
  private async exec(request: FuzzRequest): Promise<Finding[]> {
    const findings: Finding[] = []
    const isWrite = request.method !== 'GET' && request.method !== 'OPTIONS'
    // Writes, and every generic request: compared with the store's fingerprint before them.
    const checked = isWrite || request.origin === 'generic'
    // A server that stopped answering after the last reply is found by sending this request.
    if (checked) this.state ??= await this.server.state().catch(() => undefined)
    const before = Date.now()
    let outcome: Outcome
    try {
      outcome = await this.server.send(request, this.keys, this.options.timeoutMs)
    } catch (error) {
      outcome = { kind: 'network', error: String(error), ms: 0 }
    }
    const after = Date.now()
    this.sent++
    const statusLabel = outcome.kind === 'reply' ? String(outcome.status) : outcome.kind
    this.statuses[statusLabel] = (this.statuses[statusLabel] ?? 0) + 1
    if (outcome.kind === 'reply') {
      const route = request.route.includes('<other')
        ? 'other'
        : request.origin === 'generic'
          ? 'generic'
          : request.route
      this.timing[route] ??= { n: 0, totalMs: 0, maxMs: 0 }
      const t = this.timing[route]
      t.n++
      t.totalMs += outcome.ms
      t.maxMs = Math.max(t.maxMs, outcome.ms)
    }

    if (outcome.kind !== 'reply') {
      await this.unresponsive(request, outcome, findings)
      return findings
    }
    // A reply that left the keep-alive connection unusable (e.g. a body not read to its end on a
    // connection kept open): the next request on it would never be answered.
    if (
      (request.body !== undefined || request.bodyBase64 !== undefined) &&
      !(await this.server.connectionReusable()) &&
      (await this.server.responsive())
    ) {
      findings.push({
        key: `${request.route} | ${outcome.status} | keep-alive connection unusable after the reply`,
        status: String(outcome.status),
        symptom: `replied ${outcome.status} (connection: ${String(outcome.headers.connection ?? 'keep-alive')}), but the next request on that connection is never answered`,
        detail: outcome.body.slice(0, 200),
        shrinkable: true,
      })
    }
    try {
      await this.checkReply(request, outcome, findings)
      if (checked) await this.checkState(request, outcome, findings)
      else this.state = undefined // a read may write (a metric's history): read the store again before the next check
      if (isWrite) await this.checkWrite(request, outcome, findings, [before, after])
    } catch (error) {
      if (!(error instanceof SideChannelError)) throw error
      // The server stopped answering after replying: a runaway left behind by this request.
      findings.push({
        key: `${request.route} | unresponsive after reply`,
        status: 'hang',
        symptom: `server stopped answering after replying ${outcome.status}`,
        detail: error.message,
        shrinkable: false,
      })
      await this.server.restart()
      await this.resync()
    }
    return findings
  }

  private async unresponsive(
    request: FuzzRequest,
    outcome: Exclude<Outcome, { kind: 'reply' }>,
    findings: Finding[],
  ): Promise<void> {
    const responsive = outcome.kind === 'network' && (await this.server.responsive())
    if (outcome.kind === 'timeout') {
      const symptom = outcome.blocked
        ? `event loop blocked: no reply, and the server stopped answering pings (after ${outcome.ms} ms; killed and replaced)`
        : `no reply within ${this.options.timeoutMs} ms (server killed and replaced)`
      findings.push({ key: `${request.route} | hang`, status: 'hang', symptom, detail: '', shrinkable: false })
    } else if (!responsive) {
      await new Promise((resolve) => setTimeout(resolve, 200)) // let its last stderr lines arrive
      const dead = !this.server.alive()
      // server.ts prints `[fuzz-server] uncaught exception <error>` before exiting; V8 prints `FATAL ERROR` on out-of-memory.
      const at = this.server.stderr.findLastIndex((line) => /\[fuzz-server\]|FATAL ERROR|Fatal/.test(line))
      const why = (
        at >= 0 ? this.server.stderr.slice(at, at + 3).join(' | ') : (this.server.exitInfo() ?? 'no output')
      ).slice(0, 400)
      findings.push({
        key: `${request.route} | crash | ${normalize(why)}`,
        status: 'crash',
        symptom: dead
          ? `the server process died (${outcome.error})`
          : `the server stopped answering (${outcome.error})`,
        detail: why,
        shrinkable: false,
      })
    } else {
      findings.push({
        key: `${request.route} | connection ${outcome.error}`,
        status: 'network',
        symptom: `connection failed without a reply: ${outcome.error}`,
        detail: '',
        shrinkable: false,
      })
    }
    if (!responsive) {
      this.log(
        `  [${this.options.label}] ${outcome.kind === 'timeout' ? 'hang' : 'crash'} on ${request.method} ${request.path.slice(0, 160)}: replacing the server`,
      )
      await this.server.restart()
    }
    await this.resync()
  }

  /** Status, JSON, error shape; for queries also the model. */
  private async checkReply(
    request: FuzzRequest,
    outcome: Extract<Outcome, { kind: 'reply' }>,
    findings: Finding[],
  ): Promise<void> {
    const { status } = outcome
    const route = request.route
    let body: unknown
    let parsed = true
    try {
      body = JSON.parse(outcome.body)
    } catch {
      parsed = false
    }
    if (status >= 500) {
      const logged = (await this.server.errors()).pop()
      const message =
        logged ?? (parsed && isPlainObject(body) ? JSON.stringify(body).slice(0, 200) : outcome.body.slice(0, 200))
      // The key leaves out where it was thrown: parallel queries fail in either order.
      findings.push({
        key: `${route} | ${status} | ${normalize(message.replace(/ at \S+ \([^)]*\)$/, ''))}`,
        status: String(status),
        symptom: `${status} ${firstLine(outcome.body)}`,
        detail: message,
        shrinkable: true,
      })
      return
    }
    const contentType = String(outcome.headers['content-type'] ?? '')
    if (!parsed || !/json/i.test(contentType)) {
      findings.push({
        key: `${route} | ${status} | not JSON`,
        status: String(status),
        symptom: `reply is not JSON (content-type ${contentType || 'none'})`,
        detail: outcome.body.slice(0, 200),
        shrinkable: true,
      })
      return
    }
    // A Flux batch whose every item was rejected answers 422 with the batch result (documented), also to a generic request.
    const batchResult =
      `${request.method} ${request.path.split('?')[0]}` === ROUTES.fluxBatch &&
      status === 422 &&
      isPlainObject(body) &&
      isPlainObject(body.data) &&
      body.data.accepted === 0
    if (status >= 400 && !batchResult) {
      const problem = errorShapeProblem(this.surfaces, request.path, status, body)
      if (problem)
        findings.push({
          key: `${route} | ${status} | bad error shape: ${problem}`,
          status: String(status),
          symptom: problem,
          detail: outcome.body.slice(0, 300),
          shrinkable: true,
        })
    }
    const expected = expectedStatuses(request)
    if (expected && !expected.includes(status)) {
      findings.push({
        key: `${route} | ${status} | unexpected status`,
        status: String(status),
        symptom: `status ${status}, expected one of ${expected.join('/')}`,
        detail: outcome.body.slice(0, 300),
        shrinkable: true,
      })
    }
    if (status === 200 && request.method === 'GET' && QUERY_ROUTES.includes(route))
      this.checkQuery(request, body, findings)
  }

  /** A 200 query: structure, tenant isolation, and (when the model can answer it) the exact answer. */
  private checkQuery(request: FuzzRequest, body: unknown, findings: Finding[]): void {
    const route = request.route
    const add = (what: string, detail: string) =>
      findings.push({
        key: `${route} | 200 | ${what} | ${paramSignature(request)}`,
        status: '200',
        symptom: what,
        detail,
        shrinkable: true,
      })
    // Malformed replies dedupe by route and problem; model mismatches also by the parameters involved.
    for (const problem of queryShapeProblems(route, body))
      findings.push({
        key: `${route} | 200 | ${problem}`,
        status: '200',
        symptom: problem,
        detail: JSON.stringify(body).slice(0, 300),
        shrinkable: true,
      })
    if (!isPlainObject(body)) return
    const other = request.auth.kind === 'other'
    const events = other ? this.otherEvents : [...this.model.values()]
    const known = new Map(events.map((e) => [e.id, e]))
    const foreign = other ? new Set(this.model.keys()) : new Set(this.otherEvents.map((e) => e.id))
    const params = new URLSearchParams(
      request.path.includes('?') ? request.path.slice(request.path.indexOf('?') + 1) : '',
    )
    const q = modelQuery(params)

    if (route === ROUTES.list && Array.isArray(body.data)) {
      const items = body.data as Array<Record<string, unknown>>
      for (const item of items) {
        const id = typeof item.id === 'string' && FLUX_ID.test(item.id) ? fluxIdToUuid(item.id) : undefined
        if (id === undefined) {
          add('list: item without an evt_ id', JSON.stringify(item).slice(0, 200))
          continue
        }
        if (foreign.has(id)) {
          add(
            `TENANT ISOLATION: list returned the ${other ? 'fuzz' : 'other'} project's event`,
            JSON.stringify(item).slice(0, 300),
          )
          continue
        }
        const stored = known.get(id)
        if (!stored) {
          add('list: returned an event the project never acknowledged', JSON.stringify(item).slice(0, 300))
          continue
        }
        const diffs = describeListDiffs(fluxView(stored), item)
        if (diffs) add(`list: item differs from the stored event (${diffs.key})`, diffs.text)
      }
      const meta = body.meta as Record<string, number> | undefined
      if (q && meta) {
        const matching = events.filter((e) => matches(e, q)).sort(newestFirst)
        const clean = matching.filter((e) => !tainted(e))
        if (meta.total < clean.length || meta.total > matching.length)
          add(
            'list: meta.total differs from the model',
            `total ${meta.total}, expected ${clean.length === matching.length ? matching.length : `${clean.length}..${matching.length}`}`,
          )
        const page = matching.slice(q.offset, q.offset + q.limit).map((e) => `evt_${e.id.replace(/-/g, '')}`)
        const got = items.map((i) => i.id)
        if (
          clean.length === matching.length &&
          meta.total === matching.length &&
          JSON.stringify(page) !== JSON.stringify(got)
        )
          add(
            'list: page differs from the model (order, offset or limit)',
            `got ${got.length} ids, expected ${page.length}`,
          )
      } else if (meta && meta.total > events.length) {
        add('list: meta.total exceeds the events stored', `total ${meta.total}, stored ${events.length}`)
      }
      return
    }
    const data = body.data as Record<string, unknown>
    if (!isPlainObject(data)) return
    if (route === ROUTES.count) {
      if (typeof data.total === 'number' && data.total > events.length)
        add('count: total exceeds the events stored (isolation?)', `total ${data.total}, stored ${events.length}`)
      if (!q) return
      const matching = events.filter((e) => matches(e, q))
      const clean = matching.filter((e) => !tainted(e))
      const total = data.total as number
      if (total < clean.length || total > matching.length)
        add(
          'count: total differs from the model',
          `total ${total}, expected ${clean.length === matching.length ? matching.length : `${clean.length}..${matching.length}`}`,
        )
      if (q.groupBy !== undefined && isPlainObject(data.groups) && clean.length === matching.length) {
        const expected = modelGroups(matching, q.groupBy)
        const got = new Map(Object.entries(data.groups as Record<string, number>))
        const same = expected.size === got.size && [...expected].every(([k, v]) => got.get(k) === v)
        if (!same)
          add(
            'count: groups differ from the model',
            `got ${JSON.stringify(Object.fromEntries(got)).slice(0, 200)}, expected ${JSON.stringify(Object.fromEntries(expected)).slice(0, 200)}`,
          )
      }
      return
    }
    // stats
    if (typeof data.count === 'number' && data.count > events.length)
      add('stats: count exceeds the events stored (isolation?)', `count ${data.count}`)
    if (!q) return
    const matching = events.filter((e) => matches(e, q))
    if (matching.some(tainted)) return
    const values = modelNumbers(matching, q.field)
    const sorted = [...values].sort((a, b) => a - b)
    const expected: Record<string, number | null> = {
      count: values.length,
      min: sorted.length ? sorted[0] : null,
      max: sorted.length ? sorted[sorted.length - 1] : null,
      p50: nearestRank(sorted, 50),
      p95: nearestRank(sorted, 95),
      p99: nearestRank(sorted, 99),
    }
    const wrong = Object.keys(expected).filter((k) => data[k] !== expected[k] && !(data[k] === 0 && expected[k] === 0))
    if (wrong.length)
      add(
        `stats: ${wrong.join(',')} differ from the model`,
        `got ${JSON.stringify(pick(data, wrong))}, expected ${JSON.stringify(pick(expected, wrong))}`,
      )
    if (
      values.length > 0 &&
      Number.isFinite(values.reduce((a, b) => a + b, 0)) &&
      values.every((v) => Math.abs(v) < 1e300) &&
      data.sum === null
    ) {
      add('stats: sum is null although it is a finite number', `values ${JSON.stringify(values.slice(0, 5))}…`)
    }
    if (values.length > 0 && values.every((v) => Math.abs(v) < 1e15) && typeof data.sum === 'number') {
      const sum = values.reduce((a, b) => a + b, 0)
      if (Math.abs(data.sum - sum) > 1e-6 * Math.max(1, Math.abs(sum)))
        add('stats: sum differs from the model', `got ${data.sum}, expected ≈ ${sum}`)
    }
  }

  /**
   * Nothing written behind an error, in any domain (events are left to checkWrite, which says how
   * many), and nothing of the other project changed by any request.
   */
  private async checkState(
    request: FuzzRequest,
    outcome: Extract<Outcome, { kind: 'reply' }>,
    findings: Finding[],
  ): Promise<void> {
    const before = this.state
    const after = await this.server.state()
    this.state = after
    if (!before) return
    const add = (what: string, detail: string) =>
      findings.push({
        key: `${request.route} | ${outcome.status} | ${what}`,
        status: String(outcome.status),
        symptom: what,
        detail,
        shrinkable: true,
      })
    const other = changedDomains(before.other, after.other)
    if (other.length > 0)
      add(`TENANT ISOLATION: changed the other project's ${other.join(', ')}`, outcome.body.slice(0, 200))
    const written = changedDomains(before.fuzz, after.fuzz).filter((domain) => domain !== 'events')
    if (outcome.status >= 400 && written.length > 0)
      add(`wrote ${written.join(', ')} behind an error`, outcome.body.slice(0, 200))
  }

  /** After a write: what was acknowledged is stored as sent, and nothing else was written. */
  private async checkWrite(
    request: FuzzRequest,
    outcome: Extract<Outcome, { kind: 'reply' }>,
    findings: Finding[],
    window: [number, number],
  ): Promise<void> {
    const route = request.route
    const add = (key: string, status: string, symptom: string, detail: string) =>
      findings.push({ key: `${route} | ${key}`, status, symptom, detail, shrinkable: true })
    const fuzzProject = this.server.projects.fuzz
    let count: number | undefined
    let malformed = false
    if (outcome.status === 201 && WRITE_ROUTES.includes(route)) {
      const acked = this.acknowledged(request, outcome.body)
      if (typeof acked === 'string') {
        add(`201 | bad reply: ${acked}`, '201', `malformed success reply: ${acked}`, outcome.body.slice(0, 300))
        malformed = true
      } else {
        const fresh = [...new Set(acked.filter((a) => !this.model.has(a.id)).map((a) => a.id))]
        const side = await this.server.events(fuzzProject, fresh)
        const stored = side.events
        count = side.count
        const byId = new Map(fresh.map((id, i) => [id, stored[i]]))
        const seenHere = new Set<string>()
        for (const a of acked) {
          const clientId = typeof a.item.id === 'string' ? a.item.id : undefined
          const known = clientId !== undefined ? this.clientIds.get(clientId) : undefined
          if (known !== undefined && known !== a.id) {
            add(
              '201 | idempotency: a repeated id was stored again',
              '201',
              'a retried `id` got a new event instead of the first one',
              `id ${JSON.stringify(clientId)}: first ${known}, now ${a.id}`,
            )
          }
          if (this.model.has(a.id) || seenHere.has(a.id)) {
            // A retry: the first write wins. It must be the event of the same client id.
            const first = this.model.get(a.id)
            if (first && known === undefined && clientId !== undefined && first.clientId !== null) {
              add(
                `201 | idempotency: distinct ids answered with one event (${classifyString(clientId)})`,
                '201',
                "an `id` never sent before was answered with another event's id",
                `sent id ${JSON.stringify(clientId)}, answered ${a.id} (stored with id ${JSON.stringify(first.clientId)})`,
              )
            }
            if (clientId !== undefined && !this.clientIds.has(clientId)) this.clientIds.set(clientId, a.id)
            continue
          }
          seenHere.add(a.id)
          const event = byId.get(a.id)
          if (!event) {
            add(
              '201 | acknowledged event not stored',
              '201',
              'an acknowledged event id is not in the store',
              `id ${a.id}`,
            )
            continue
          }
          this.model.set(a.id, event)
          if (clientId !== undefined) this.clientIds.set(clientId, a.id)
          const diffs = readbackDiffs(a.item, a.surface, event, window)
          for (const diff of diffs) {
            const d = describeDiff(diff)
            // One storage path behind every write route: dedupe across routes, list where seen.
            findings.push({
              key: `POST (any write route) | 201 | readback: ${d.key}`,
              status: '201 readback',
              symptom: `acknowledged, but stored differently: ${d.key}`,
              detail: d.text,
              shrinkable: true,
              seenOn: `${route} ${diff.path.map((p) => JSON.stringify(p).slice(1, 31).replace(/"$/, '')).join('.')}`,
            })
          }
          if (a.reply && diffs.length === 0) {
            const view = fluxView(event)
            for (const k of ['name', 'timestamp', 'user_id', 'value'] as const) {
              if (JSON.stringify(a.reply[k]) !== JSON.stringify(view[k]))
                add(
                  `201 | reply.${k} differs from the stored event`,
                  '201',
                  `the reply's ${k} is not what was stored`,
                  `reply ${JSON.stringify(a.reply[k])?.slice(0, 100)}, stored ${JSON.stringify(view[k])?.slice(0, 100)}`,
                )
            }
          }
        }
      }
    }
    count ??= await this.server.count(fuzzProject)
    if (count !== this.model.size) {
      const diff = count - this.model.size
      if (outcome.status >= 400)
        add(
          `${outcome.status} | wrote events behind an error`,
          String(outcome.status),
          `${diff} event(s) written behind a ${outcome.status}`,
          outcome.body.slice(0, 200),
        )
      else if (WRITE_ROUTES.includes(route) && !malformed)
        add(
          `${outcome.status} | store count differs from the acknowledged events`,
          String(outcome.status),
          `store holds ${diff > 0 ? diff : -diff} ${diff > 0 ? 'more' : 'fewer'} events than acknowledged`,
          outcome.body.slice(0, 200),
        )
      await this.resync()
    }
  }

  /** The acknowledged items of a 201 write reply, or why the reply is malformed. */
  private acknowledged(
    request: FuzzRequest,
    replyText: string,
  ):
    | Array<{ id: string; item: Record<string, unknown>; surface: 'sb' | 'flux'; reply?: Record<string, unknown> }>
    | string {
    const reply = JSON.parse(replyText) as Record<string, any>
    const view = serverView(request)
    if (!isPlainObject(view)) return 'a 201 for a body that is not a JSON object'
    const items =
      request.route === ROUTES.sbEvent || request.route === ROUTES.fluxEvent
        ? [view]
        : Array.isArray(view.events)
          ? (view.events as unknown[])
          : undefined
    if (!items) return 'a 201 for a batch without an events array'
    switch (request.route) {
      case ROUTES.sbEvent:
        if (reply.success !== true || typeof reply.event_id !== 'string' || !UUID.test(reply.event_id))
          return 'not {success: true, event_id: <uuid>}'
        return [{ id: reply.event_id, item: view, surface: 'sb' }]
      case ROUTES.sbBatch: {
        const ids = reply.event_ids
        if (
          reply.success !== true ||
          !Array.isArray(ids) ||
          !ids.every((id) => typeof id === 'string' && UUID.test(id))
        )
          return 'not {success: true, created_count, event_ids: [<uuid>]}'
        if (ids.length !== items.length || reply.created_count !== items.length)
          return `created_count ${reply.created_count} / ${ids.length} ids for ${items.length} items`
        return ids.map((id: string, i: number) => ({
          id,
          item: items[i] as Record<string, unknown>,
          surface: 'sb' as const,
        }))
      }
      case ROUTES.fluxEvent: {
        const data = reply.data
        if (!isPlainObject(data) || typeof data.id !== 'string' || !FLUX_ID.test(data.id))
          return 'not {data: {id: evt_…, …}}'
        return [{ id: fluxIdToUuid(data.id), item: view, surface: 'flux', reply: data }]
      }
      default: {
        const data = reply.data
        if (!isPlainObject(data) || !Array.isArray(data.events) || !Array.isArray(data.errors))
          return 'not {data: {accepted, rejected, events, errors}}'
        if (
          data.accepted !== data.events.length ||
          data.rejected !== data.errors.length ||
          data.accepted + data.rejected !== items.length
        ) {
          return `accepted ${data.accepted} + rejected ${data.rejected} for ${items.length} items`
        }
        const out = []
        for (const e of data.events as Array<Record<string, unknown>>) {
          if (
            typeof e.index !== 'number' ||
            typeof e.id !== 'string' ||
            !FLUX_ID.test(e.id) ||
            !isPlainObject(items[e.index])
          )
            return 'an accepted item without {index, id}'
          out.push({
            id: fluxIdToUuid(e.id),
            item: items[e.index] as Record<string, unknown>,
            surface: 'flux' as const,
            reply: e,
          })
        }
        return out
      }
    }
  }

  /** Rebuilds the model from the store (after a restart, or when counts disagree). */
  private async resync(): Promise<void> {
    this.state = undefined
    const events = await this.server.dump(this.server.projects.fuzz)
    const ids = new Set(events.map((e) => e.id))
    for (const id of this.model.keys()) if (!ids.has(id)) this.model.delete(id)
    for (const e of events) if (!this.model.has(e.id)) this.model.set(e.id, e)
  }

  // -------------------------------------------------------------------------------------------

  private async record(finding: Finding, request: FuzzRequest, index: number): Promise<void> {
    const key = this.shrunkKeys.get(finding.key) ?? finding.key
    const existing = this.failures.get(key)
    const seen = (f: Failure, where?: string) => {
      if (where && !f.seenOn.includes(where) && f.seenOn.length < 12) f.seenOn.push(where)
    }
    if (existing) {
      existing.occurrences++
      seen(existing, finding.seenOn)
      return
    }
    let sample = request
    let final = finding
    let shrunk = false
    if (finding.shrinkable && !this.shrinking && this.shrinkBudget > 0) {
      const result = await this.shrink(request, finding)
      if (result) {
        sample = result.request
        final = result.finding
        shrunk = true
      }
      this.shrunkKeys.set(finding.key, final.key)
      const merged = this.failures.get(final.key)
      if (merged) {
        merged.occurrences++
        seen(merged, finding.seenOn)
        return
      }
    }
    this.log(`  [${this.options.label}] ${final.status} ${request.route}: ${final.symptom}${shrunk ? ' (shrunk)' : ''}`)
    this.failures.set(final.key, {
      key: final.key,
      route: sample.route,
      status: final.status,
      symptom: final.symptom,
      detail: final.detail,
      request: sample,
      index,
      occurrences: 1,
      shrunk,
      seenOn: [...new Set([finding.seenOn, final.seenOn].filter((w): w is string => !!w))],
    })
  }

  /**
   * Greedy shrinking: tries simpler versions of the request (fewer params, fields, items; shorter
   * strings) and keeps each one that still shows the same finding.
   */
  private async shrink(
    request: FuzzRequest,
    finding: Finding,
  ): Promise<{ request: FuzzRequest; finding: Finding } | undefined> {
    this.shrinking = true
    let budget = Math.min(SHRINK_BUDGET_PER_FAILURE, this.shrinkBudget)
    let current = request
    let currentFinding = finding
    let improved = false
    try {
      outer: for (;;) {
        for (const candidate of simplifications(current)) {
          if (budget-- <= 0) break outer
          this.shrinkBudget--
          const findings = await this.exec({ ...candidate, origin: 'shrunk' })
          const same = findings.find((f) => f.key === currentFinding.key || sameKind(f.key, currentFinding.key))
          if (same) {
            current = candidate
            currentFinding = same
            improved = true
            continue outer
          }
        }
        break
      }
    } finally {
      this.shrinking = false
    }
    return improved
      ? { request: { ...current, origin: `${request.origin} (shrunk)` }, finding: currentFinding }
      : undefined
  }

  // -------------------------------------------------------------------------------------------

  /** After the run: still serving; everything acknowledged is stored and readable; tenants apart. */
  private async finalChecks(): Promise<void> {
    const fail = (what: string, detail: string, request: FuzzRequest, status = 'final') => {
      const key = `final | ${what}`
      if (!this.failures.has(key))
        this.failures.set(key, {
          key,
          route: request.route,
          status,
          symptom: what,
          detail,
          request,
          index: -1,
          occurrences: 1,
          shrunk: false,
          seenOn: [],
        })
    }
    const json = (body: unknown) => JSON.stringify(body)
    const final = (
      route: string,
      method: string,
      path: string,
      body?: string,
      auth: FuzzRequest['auth'] = { kind: 'fuzz' },
    ): FuzzRequest => ({
      route,
      method,
      path,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      auth,
      ...(body !== undefined ? { body } : {}),
      origin: 'final',
    })
    const send = async (request: FuzzRequest) => {
      const findings = await this.exec(request)
      for (const f of findings) await this.record(f, request, -1)
      return findings
    }
    const get = async (request: FuzzRequest): Promise<Record<string, any> | undefined> => {
      const outcome = await this.server.send(request, this.keys, this.options.timeoutMs)
      this.sent++
      if (outcome.kind !== 'reply') {
        fail(`${request.route} ${outcome.kind} in the final readback`, '', request, outcome.kind)
        if (!this.server.alive() || outcome.kind === 'timeout') await this.server.restart()
        return undefined
      }
      if (outcome.status !== 200) {
        const logged = outcome.status >= 500 ? (await this.server.errors()).pop() : undefined
        fail(
          `${request.route} answers ${outcome.status} in the final readback`,
          logged ?? outcome.body.slice(0, 300),
          request,
          String(outcome.status),
        )
        return undefined
      }
      return JSON.parse(outcome.body) as Record<string, any>
    }

    // 1. Still serving valid requests (a write on each surface, then the store agrees).
    await send(final(ROUTES.sbEvent, 'POST', '/api/events', json({ event: 'final.sb', user_id: 'final', value: 1 })))
    await send(
      final(ROUTES.fluxEvent, 'POST', '/api/v1/events', json({ name: 'final.flux', tags: { plan: 'pro' }, value: 2 })),
    )
    const finals = [...this.model.values()].filter((e) => e.name === 'final.sb' || e.name === 'final.flux')
    if (finals.length < 2)
      fail(
        'the server no longer accepts a valid event after the run',
        `${finals.length} of 2 stored`,
        final(ROUTES.sbEvent, 'POST', '/api/events', json({ event: 'final.sb' })),
      )

    // 2. The store holds exactly what was acknowledged.
    const stored = await this.server.dump(this.server.projects.fuzz)
    const storedIds = new Set(stored.map((e) => e.id))
    const missing = [...this.model.keys()].filter((id) => !storedIds.has(id))
    const extra = stored.filter((e) => !this.model.has(e.id))
    if (missing.length)
      fail(
        'acknowledged events missing from the store',
        missing.slice(0, 5).join(', '),
        final(ROUTES.list, 'GET', '/api/v1/events'),
      )
    if (extra.length)
      fail(
        'events in the store that were never acknowledged',
        extra
          .slice(0, 3)
          .map((e) => e.name)
          .join(', '),
        final(ROUTES.list, 'GET', '/api/v1/events'),
      )
    await this.resync()

    // 3. Everything reads back over HTTP: count, then every page of the list.
    const count = await get(final(ROUTES.count, 'GET', '/api/v1/events/count'))
    if (count && count.data?.total !== this.model.size)
      fail(
        'GET /count total differs from the events acknowledged',
        `total ${count.data?.total}, acknowledged ${this.model.size}`,
        final(ROUTES.count, 'GET', '/api/v1/events/count'),
      )
    const listed = new Map<string, Record<string, unknown>>()
    for (let offset = 0; offset < this.model.size + 1000; offset += 1000) {
      const page = await get(final(ROUTES.list, 'GET', `/api/v1/events?limit=1000&offset=${offset}`))
      if (!page || !Array.isArray(page.data)) break
      for (const item of page.data as Array<Record<string, unknown>>) listed.set(String(item.id), item)
      if (page.data.length < 1000) break
    }
    if (listed.size > 0 || this.model.size === 0) {
      const unlisted = [...this.model.values()].filter((e) => !listed.has(`evt_${e.id.replace(/-/g, '')}`))
      if (unlisted.length)
        fail(
          'acknowledged events missing from GET /api/v1/events',
          `${unlisted.length} missing, e.g. ${unlisted
            .slice(0, 3)
            .map((e) => JSON.stringify(e.name))
            .join(', ')}`,
          final(ROUTES.list, 'GET', '/api/v1/events?limit=1000'),
        )
      for (const e of this.model.values()) {
        const item = listed.get(`evt_${e.id.replace(/-/g, '')}`)
        const diffs = item && describeListDiffs(fluxView(e), item)
        if (diffs)
          fail(
            `GET /api/v1/events shows an event differently from the store (${diffs.key})`,
            diffs.text,
            final(ROUTES.list, 'GET', '/api/v1/events?limit=1000'),
          )
      }
    }
    const stats = await get(final(ROUTES.stats, 'GET', '/api/v1/events/stats?field=value'))
    const values = modelNumbers([...this.model.values()], { kind: 'value' })
    if (stats && stats.data?.count !== values.length)
      fail(
        'GET /stats count differs from the events with a value',
        `count ${stats.data?.count}, expected ${values.length}`,
        final(ROUTES.stats, 'GET', '/api/v1/events/stats?field=value'),
      )

    // 4. Tenants: the other project still sees exactly its own three events.
    const other = await get(final(ROUTES.list, 'GET', '/api/v1/events?limit=1000', undefined, { kind: 'other' }))
    if (other) {
      const ids = (other.data as Array<{ id: string }>).map((i) => fluxIdToUuid(i.id)).sort()
      const expected = this.otherEvents.map((e) => e.id).sort()
      if (JSON.stringify(ids) !== JSON.stringify(expected))
        fail(
          'TENANT ISOLATION: the other project does not list exactly its own events',
          `listed ${ids.length}, expected ${expected.length}`,
          final(ROUTES.list, 'GET', '/api/v1/events?limit=1000', undefined, { kind: 'other' }),
        )
    }
    const otherStored = await this.server.dump(this.server.projects.other)
    if (otherStored.length !== this.otherEvents.length)
      fail(
        'TENANT ISOLATION: fuzz writes changed the other project',
        `other project holds ${otherStored.length} events, expected ${this.otherEvents.length}`,
        final(ROUTES.list, 'GET', '/api/v1/events', undefined, { kind: 'other' }),
      )
    const otherChanged = changedDomains(this.otherState, (await this.server.state()).other)
    if (otherChanged.length > 0)
      fail(
        `TENANT ISOLATION: the other project's ${otherChanged.join(', ')} changed during the run`,
        'its records after seeding differ from its records now (test/helpers/fingerprint.ts)',
        final(ROUTES.list, 'GET', '/api/v1/events', undefined, { kind: 'other' }),
      )
  }
}

// ---------------------------------------------------------------------------------------------

/** Statuses a request may get, or undefined for requests outside the known routes (only < 500 is asked). */
function expectedStatuses(request: FuzzRequest): number[] | undefined {
  if (request.auth.kind !== 'fuzz' && request.auth.kind !== 'other') {
    if (request.route.startsWith('POST ') || request.route.startsWith('GET '))
      return [401, 200, 201, 400, 403, 404, 413, 415, 422]
    return undefined
  }
  if (WRITE_ROUTES.includes(request.route) && request.method === 'POST') {
    if (request.auth.kind === 'other') return [201, 400, 413, 415, 422]
    return [201, 400, 413, 415, 422]
  }
  if (QUERY_ROUTES.includes(request.route) && request.method === 'GET') return [200, 400, 422]
  return undefined
}

/** The body as the server parses it (UTF-8 decoded, BOM dropped, blank = {}). */
function serverView(request: FuzzRequest): unknown {
  const bytes =
    request.bodyBase64 !== undefined
      ? Buffer.from(request.bodyBase64, 'base64')
      : Buffer.from(request.body ?? '', 'utf8')
  const text = new TextDecoder().decode(bytes)
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function describeListDiffs(
  expected: Record<string, unknown>,
  item: Record<string, unknown>,
): { key: string; text: string } | undefined {
  for (const key of ['id', 'name', 'timestamp', 'user_id', 'value', 'properties', 'tags']) {
    const a = JSON.stringify(expected[key])
    const b = JSON.stringify(item[key])
    if (a !== b) {
      const sameKeys =
        isPlainObject(expected[key]) &&
        isPlainObject(item[key]) &&
        Object.keys(expected[key] as object).length !== Object.keys(item[key] as object).length
      return {
        key: `${key}${sameKeys ? ' keys' : ''}`,
        text: `${key}: stored ${a?.slice(0, 120)}, listed ${b?.slice(0, 120)}`,
      }
    }
  }
  return undefined
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]))
}

/** Which query parameters a request has, with tag keys classified: dedupes model mismatches. */
function paramSignature(request: FuzzRequest): string {
  const query = request.path.includes('?') ? request.path.slice(request.path.indexOf('?') + 1) : ''
  const names = new Set<string>()
  for (const [key, value] of new URLSearchParams(query)) {
    const tag = /^tags\[(.+)\]$/.exec(key)
    if (tag) names.add(`tags[${classify(tag[1])}]`)
    else if (key === 'name')
      names.add(value.endsWith('*') ? `name=${classify(value.slice(0, -1))}*` : `name=${classify(value)}`)
    else if (key === 'group_by' || key === 'field')
      names.add(`${key}=${value.split('.')[0]}.${classify(value.split('.').slice(1).join('.'))}`)
    else if (['user_id', 'limit', 'offset', 'from', 'to', 'interval', 'tz'].includes(key)) names.add(key)
  }
  return [...names].sort().join('&') || '(no params)'
}

function classify(s: string): string {
  if (s === '') return 'empty'
  if (s.includes('\u0000')) return 'NUL'
  if (['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'].includes(s)) return s
  if (s.includes('\u{10FFFF}')) return 'U+10FFFF'
  if (/[%_]/.test(s)) return 'LIKE-wildcard'
  if (/["\\']/.test(s)) return 'quote/backslash'
  if (/[^\x20-\x7e]/.test(s)) return 'non-ASCII'
  return 'plain'
}

/** Model mismatches found while shrinking may shed parameters: the same problem, fewer params. */
function sameKind(candidate: string, original: string): boolean {
  const [routeA, statusA, whatA] = candidate.split(' | ')
  const [routeB, statusB, whatB] = original.split(' | ')
  return statusA === '200' && routeA === routeB && statusA === statusB && whatA === whatB
}

const normalize = (message: string) =>
  message
    .replace(/:\d+(:\d+)?\)/g, ')')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 200)

const firstLine = (text: string) => text.split('\n')[0].slice(0, 160)

// ---------------------------------------------------------------------------------------------
// Simplifications for shrinking

function* simplifications(request: FuzzRequest): Generator<FuzzRequest> {
  // Fewer query parameters.
  const at = request.path.indexOf('?')
  if (at >= 0) {
    const base = request.path.slice(0, at)
    const params = request.path
      .slice(at + 1)
      .split('&')
      .filter((p) => p !== '')
    if (params.length === 0) yield { ...request, path: base }
    for (let i = 0; i < params.length; i++) {
      const rest = params.filter((_, j) => j !== i)
      yield { ...request, path: rest.length ? `${base}?${rest.join('&')}` : base }
    }
  }
  if (request.chunked) yield { ...request, chunked: false }
  if (request.auth.kind === 'raw' || request.auth.kind === 'none') yield { ...request, auth: { kind: 'fuzz' } }
  if (request.headers['content-type'] !== undefined && request.headers['content-type'] !== 'application/json')
    yield { ...request, headers: { ...request.headers, 'content-type': 'application/json' } }
  for (const header of Object.keys(request.headers))
    if (header !== 'content-type') yield { ...request, headers: without(request.headers, header) }
  // A smaller JSON body.
  if (request.body === undefined) return
  let value: unknown
  try {
    value = JSON.parse(request.body.replace(/^\uFEFF/, ''))
  } catch {
    return
  }
  if (!isPlainObject(value) && !Array.isArray(value)) return
  const root = toJ(value)
  for (const smaller of smallerValues(root, 0)) yield { ...request, body: toJson(smaller) }
}

function without<T extends Record<string, unknown>>(o: T, key: string): T {
  const copy = { ...o }
  delete copy[key]
  return copy
}

/** A parsed JSON value back as `J`, keeping `__proto__` keys and non-finite literals. */
function toJ(value: unknown): J {
  if (typeof value === 'number')
    return Number.isFinite(value)
      ? Object.is(value, -0)
        ? new Raw('-0')
        : value
      : new Raw(value > 0 ? '1e400' : '-1e400')
  if (Array.isArray(value)) return value.map(toJ)
  if (isPlainObject(value)) return new Obj(Object.keys(value).map((k) => [k, toJ(value[k])]))
  return value as J
}

/** One-step simplifications of a value, biggest cuts first. */
function* smallerValues(value: J, depth: number): Generator<J> {
  if (depth > 40) return
  if (Array.isArray(value)) {
    if (value.length > 2) {
      yield value.slice(0, Math.ceil(value.length / 2))
      yield value.slice(Math.ceil(value.length / 2))
    }
    for (let i = 0; i < value.length; i++) yield [...value.slice(0, i), ...value.slice(i + 1)]
    for (let i = 0; i < value.length; i++)
      for (const smaller of smallerValues(value[i], depth + 1))
        yield [...value.slice(0, i), smaller, ...value.slice(i + 1)]
  } else if (value instanceof Obj) {
    for (let i = 0; i < value.entries.length; i++) yield new Obj(value.entries.filter((_, j) => j !== i))
    for (let i = 0; i < value.entries.length; i++) {
      const [key, child] = value.entries[i]
      for (const smaller of smallerValues(child, depth + 1))
        yield new Obj(value.entries.map((entry, j) => (j === i ? [key, smaller] : entry)))
    }
  } else if (typeof value === 'string') {
    if (value !== 'x') yield 'x'
    if (value.length > 16) {
      yield value.slice(0, 16)
      yield value.slice(-16)
    }
  } else if (typeof value === 'number' && value !== 1) {
    yield 1
  }
}
