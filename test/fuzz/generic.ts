// The generic pass: hostile requests to every route of every surface served, built from the route's
// own definition (method, path and its `:params`, the keys its body and query mappings read), so a
// new surface is fuzzed without an entry in gen.ts. What it checks is what every route owes: no
// 5xx, no hang, JSON, the surface's error shape, nothing written behind an error.

import type { HttpMethod, Route, Surface } from '../../src/surfaces/define'
import type { Rng } from '../helpers/prng'
import {
  CONTENT_TYPES,
  type Enc,
  encodePart,
  type FuzzRequest,
  GARBAGE_AUTH,
  Gen,
  type GenContext,
  RAW_HOSTILE,
  WRONG_TYPES,
} from './gen'
import { type J, nested, Obj, obj, toJson } from './json'

export interface RouteInfo {
  surface: string
  method: HttpMethod
  /** With `:params`. */
  path: string
  params: string[]
  /** The body keys the route's mapping reads, and for those holding an array, the keys read of an item. */
  body?: { keys: string[]; items: Record<string, string[]> }
  /** The query parameters the route's mapping reads. */
  query?: string[]
}

/** Names any mapping may touch that are no field (JSON.stringify, await, the prototype). */
const NOT_FIELDS = new Set(['toJSON', 'then', 'constructor', '__proto__', 'valueOf', 'toString'])

/** An object that records the string keys read of it (get, `in`, Object.hasOwn); `values` answers some. */
function recorder(values: Record<string, unknown> = {}): { proxy: Record<string, unknown>; keys: Set<string> } {
  const keys = new Set<string>()
  const note = (key: string | symbol) => {
    if (typeof key === 'string' && !NOT_FIELDS.has(key)) keys.add(key)
    return typeof key === 'string' && Object.hasOwn(values, key)
  }
  const proxy = new Proxy({} as Record<string, unknown>, {
    get: (_, key) => (note(key) ? values[key as string] : undefined),
    has: (_, key) => note(key),
    getOwnPropertyDescriptor: (_, key) =>
      note(key) ? { value: values[key as string], enumerable: true, configurable: true, writable: true } : undefined,
  })
  return { proxy, keys }
}

/** Calls a mapping, which may throw (a validation error on an empty body): only what it read matters. */
function attempt(call: () => unknown): void {
  try {
    call()
  } catch {}
}

/** What a route reads: found by calling its mappings on objects that record what is read of them. */
export function describeRoute(surface: Surface, route: Route): RouteInfo {
  const context = {
    auth: { projectId: 'fuzz', scopes: ['read' as const, 'write' as const], userId: 1 },
    batchSize: 2,
    clientAddress: '127.0.0.1',
  }
  const info: RouteInfo = {
    surface: surface.id,
    method: route.method,
    path: route.path,
    params: route.path
      .split('/')
      .filter((segment) => segment.startsWith(':'))
      .map((segment) => segment.slice(1)),
  }
  const mapBody = route.body
  if (mapBody) {
    const top = recorder()
    attempt(() => mapBody(top.proxy, context))
    const items: Record<string, string[]> = {}
    for (const key of top.keys) {
      // The same key holding an array of one recording item: the keys read of an item.
      const item = recorder()
      attempt(() => mapBody(recorder({ [key]: [item.proxy] }).proxy, context))
      if (item.keys.size > 0) items[key] = [...item.keys]
    }
    info.body = { keys: [...top.keys], items }
  }
  const mapQuery = route.query
  if (mapQuery) {
    const names = new Set<string>()
    class Recording extends URLSearchParams {
      override get(name: string) {
        names.add(name)
        return super.get(name)
      }
      override getAll(name: string) {
        names.add(name)
        return super.getAll(name)
      }
      override has(name: string, value?: string) {
        names.add(name)
        return super.has(name, value)
      }
    }
    attempt(() => mapQuery(new Recording(), context))
    info.query = [...names]
  }
  return info
}

export const describeRoutes = (surfaces: readonly Surface[]): RouteInfo[] =>
  surfaces.flatMap((surface) => surface.routes.map((route) => describeRoute(surface, route)))

/** `METHOD /path/:param` matches a request sent to `METHOD /path/anything?query`. */
export function reaches(route: RouteInfo, request: Pick<FuzzRequest, 'method' | 'path'>): boolean {
  const pattern = new RegExp(`^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+')}/?$`)
  return request.method === route.method && pattern.test(request.path.split('?')[0])
}

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
/** Path parameters and values a route may be given: existing-looking, then hostile (sent percent-encoded). */
const PLAUSIBLE = ['01940000-0000-7000-8000-000000000000', 'mrr', 'signups', 'fuzz_metric', 'saas', '1', 'x', 'ok']
const ODD_SEGMENTS = ['%ZZ', '%00', '..%2F..', '%2F', 'x'.repeat(2000), '%ED%A0%80', '.', '..']

/**
 * `n` generic requests, most to routes the other requests of the run (`planned`) never reach: a
 * route only this pass knows gets three shares. Routes take turns, so each gets its share.
 */
export function genericPlan(
  r: Rng,
  ctx: GenContext,
  routes: RouteInfo[],
  planned: readonly FuzzRequest[],
  n: number,
): FuzzRequest[] {
  const gen = new Gen(r, ctx)
  const turns = routes.flatMap((route) => (planned.some((p) => reaches(route, p)) ? [route] : [route, route, route]))
  if (turns.length === 0) return []
  r.shuffle(turns)
  return Array.from({ length: n }, (_, i) => genericRequest(gen, turns[i % turns.length]))
}

function genericRequest(gen: Gen, route: RouteInfo): FuzzRequest {
  const r = gen.r
  const wrongMethod = r.chance(0.1)
  const method = wrongMethod ? r.pick(METHODS.filter((m) => m !== route.method)) : route.method
  const path = route.path.replace(/:[^/]+/g, () => param(gen))
  const query = route.query || r.chance(0.1) ? queryString(gen, route) : ''
  const withBody = method !== 'GET' && (route.body !== undefined || r.chance(0.5))
  const body = withBody ? bodyText(gen, route) : undefined
  const headers: Record<string, string> = {}
  if (body !== undefined)
    headers['content-type'] = r.weighted<string>([
      [90, 'application/json'],
      [10, r.pick(CONTENT_TYPES)],
    ])
  return {
    route: `generic ${method} ${route.path}${wrongMethod ? ' (wrong method)' : ''}`,
    method,
    path: query ? `${path}?${query}` : path,
    headers,
    // Writes never carry the other tenant's key: its records are the isolation baseline.
    auth: r.weighted<FuzzRequest['auth']>([
      [88, { kind: 'fuzz' }],
      [method === 'GET' ? 4 : 0, { kind: 'other' }],
      [3, { kind: 'none' }],
      [5, { kind: 'raw', header: r.pick(GARBAGE_AUTH) }],
    ]),
    ...(body !== undefined ? { body } : {}),
    origin: 'generic',
  }
}

/** A path parameter, as sent (percent-encoded). */
function param(gen: Gen): string {
  const r = gen.r
  return r.weighted<() => string>([
    [6, () => encodeURIComponent(r.pick(PLAUSIBLE))],
    // Every byte percent-encoded, at most 300 characters (past 16 KiB of request head Node answers 431 itself).
    [
      3,
      () =>
        [...Buffer.from(gen.hostileString().slice(0, 300), 'utf8')]
          .map((b) => `%${b.toString(16).padStart(2, '0')}`)
          .join(''),
    ],
    [1, () => r.pick(ODD_SEGMENTS)],
  ])()
}

/** Values for the query parameters the route reads, plausible and hostile, sometimes repeated or unknown. */
function queryString(gen: Gen, route: RouteInfo): string {
  const r = gen.r
  const value = (): string | Enc =>
    r.weighted<() => string | Enc>([
      [4, () => r.pick(['1', '10', '0', '-1', '1e3', '2024-01-01', '2024-01-31T00:00:00Z', 'value', 'x', '1d', 'UTC'])],
      [3, () => gen.hostileString()],
      [1, () => r.pick(RAW_HOSTILE)],
    ])()
  const params: Array<[string | Enc, string | Enc]> = []
  for (const name of route.query ?? []) if (r.chance(0.5)) params.push([name, value()])
  if (params.length > 0 && r.chance(0.1)) params.push([r.pick(params)[0], value()])
  if (r.chance(0.1)) params.push([r.pick(['__proto__', 'constructor', 'x', '']), value()])
  return params.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&')
}

/** A value for a key the route reads. */
function fieldValue(gen: Gen): J {
  const r = gen.r
  return r.weighted<() => J>([
    [4, () => gen.anyValue(2)],
    [3, () => r.pick(PLAUSIBLE)],
    [2, () => gen.hostileString()],
    [1, () => r.pick(WRONG_TYPES)],
  ])()
}

/** A JSON body from the keys the route reads (most of the time), or a hostile one. */
function bodyText(gen: Gen, route: RouteInfo): string {
  const r = gen.r
  const object = (keys: string[], items: Record<string, string[]>): Obj => {
    const o = new Obj([])
    for (const key of keys) {
      if (!r.chance(0.8)) continue
      const itemKeys = Object.hasOwn(items, key) ? items[key] : undefined
      o.entries.push([
        key,
        itemKeys && r.chance(0.8)
          ? Array.from({ length: r.int(4) }, () => (r.chance(0.9) ? object(itemKeys, {}) : fieldValue(gen)))
          : fieldValue(gen),
      ])
    }
    if (r.chance(0.1))
      o.entries.push(
        r.pick<[string, J]>([
          ['project_id', gen.ctx.otherProjectId],
          ['projectId', gen.ctx.otherProjectId],
          ['__proto__', obj({ polluted: true })],
          [gen.key(), gen.anyValue(1)],
        ]),
      )
    return o
  }
  return r.weighted<() => string>([
    [80, () => toJson(object(route.body?.keys ?? [gen.key()], route.body?.items ?? {}))],
    [6, () => toJson(r.pick(WRONG_TYPES))],
    [5, () => r.pick(['', ' ', '{', '{"a":1,}', 'null', '[]', '\uFEFF{}', '{"a":1} x'])],
    [4, () => toJson(obj({ [route.body?.keys[0] ?? 'a']: nested(r.pick([100, 511, 600])) }))],
    [5, () => toJson(gen.object(2))],
  ])()
}

/** `generic` spread among `planned`, each at a random place. */
export function interleave(r: Rng, planned: FuzzRequest[], generic: FuzzRequest[]): FuzzRequest[] {
  const out: FuzzRequest[] = []
  let p = 0
  let g = 0
  while (p < planned.length || g < generic.length) {
    const left = planned.length - p + generic.length - g
    if (g < generic.length && r.chance((generic.length - g) / left)) out.push(generic[g++])
    else out.push(planned[p++])
  }
  return out
}
