// Hostile requests over every route, from a seeded `Rng`. A run is a targeted corpus (one request
// per known-dangerous input, so every seed covers them) shuffled into random requests built from
// the same pools.

import type { Rng } from '../helpers/prng'
import { type J, nested, Obj, obj, Raw, toJson } from './json'

export const ROUTES = {
  sbEvent: 'POST /api/events',
  sbBatch: 'POST /api/events/batch',
  fluxEvent: 'POST /api/v1/events',
  fluxBatch: 'POST /api/v1/events/batch',
  list: 'GET /api/v1/events',
  count: 'GET /api/v1/events/count',
  stats: 'GET /api/v1/events/stats',
} as const
export type KnownRoute = (typeof ROUTES)[keyof typeof ROUTES]
export const WRITE_ROUTES: readonly string[] = [ROUTES.sbEvent, ROUTES.sbBatch, ROUTES.fluxEvent, ROUTES.fluxBatch]
export const QUERY_ROUTES: readonly string[] = [ROUTES.list, ROUTES.count, ROUTES.stats]

/** Whose credentials a request carries. `raw` is a whole Authorization header; `{key}` is replaced by the fuzz key. */
export type Auth = { kind: 'fuzz' } | { kind: 'other' } | { kind: 'none' } | { kind: 'raw'; header: string }

export interface FuzzRequest {
  /** The route it aims at (`POST /api/events`), or `METHOD <other path>` for the rest. */
  route: string
  method: string
  /** Path and query, percent-encoded as sent. */
  path: string
  /** Headers other than Authorization (content-type etc.). */
  headers: Record<string, string>
  auth: Auth
  /** Text body, sent UTF-8 encoded. */
  body?: string
  /** A body that is not valid UTF-8, base64. */
  bodyBase64?: string
  /** Send without content-length (Transfer-Encoding: chunked). */
  chunked?: boolean
  /** `corpus:<name>`, `random`, `final:<check>` or `shrunk`. */
  origin: string
}

export interface GenContext {
  now: number
  /** The other tenant's project id (bodies try to write into it). */
  otherProjectId: string
  batchLimits: { statusBlocks: number; flux: number }
}

// ---------------------------------------------------------------------------------------------
// Pools

const SPECIAL_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'prototype',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'length',
]

export const STRINGS: string[] = [
  '',
  ' ',
  'a',
  'plain text',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uD800y',
  '\uDFFF\uD800',
  '\uDBFF\uDFFF',
  '😀',
  '👨‍👩‍👧‍👦',
  'שלום עולם',
  'مرحبا بالعالم',
  '\u202Eevil\u202C',
  '\u200B',
  '\uFEFF',
  '\uFFFF',
  '\uFFFE',
  '\u{10FFFF}',
  'e\u0301',
  'é',
  'İ',
  'ß',
  ...SPECIAL_KEYS,
  '"',
  '\\',
  "'",
  "'; drop table telltale_events; --",
  '%',
  '_',
  '*',
  'a%',
  'user.*',
  '\n',
  '\r\n',
  '\t',
  'null',
  'undefined',
  'true',
  '0',
  '-0',
  '1e308',
  'NaN',
  'Infinity',
  '2024-01-15T10:30:00Z',
  '{"a":1}',
  '[]',
  '${x}',
  '<script>alert(1)</script>',
  '\u2028\u2029',
  'a.b',
  '$.a',
  '->>',
  '\u0001\u001f\u007f',
  'x'.repeat(100),
  'x'.repeat(101),
  'x'.repeat(255),
  'x'.repeat(256),
  '😀'.repeat(50),
  '😀'.repeat(51),
  'é'.repeat(100),
  'e\u0301'.repeat(50),
  'x'.repeat(10_000),
]

/** Event names: a few plain ones many events share (so queries find them), and hostile ones. */
export const NAMES: string[] = [
  'signup',
  'signup',
  'user.signup',
  'user.signup',
  'user.login',
  'user',
  'order.placed',
  'order.placed',
  'User.Signup',
  'a.b',
  'a',
  'user_signup',
  'user%signup',
  '__proto__',
  'constructor',
  'toString',
  '😀',
  'שלום',
  'x\u0000y',
  '\u0000',
  '\uD800',
  'x\uD800',
  'a\u{10FFFF}b',
  'a\uFFFF',
  'a\u{10FFFF}',
  'x'.repeat(100),
  ' ',
  'user.*',
  '*',
  'user\\',
  "o'brien",
  '"q"',
  'e\u0301',
  'é',
]

export const KEYS: string[] = [
  ...SPECIAL_KEYS,
  'a.b',
  'a..b',
  '.a',
  'a.',
  '"',
  'a"b',
  '\\',
  'a\\b',
  "'",
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  '😀',
  'שלום',
  '$',
  '$.a',
  'a[0]',
  '[0]',
  '*',
  '->',
  '->>',
  '{}',
  'x'.repeat(300),
  '0',
  '-1',
  'NaN',
  'null',
  'a b',
  '\n',
  '%',
  '_',
  '?',
  '$1',
]
export const PLAIN_KEYS = ['plan', 'amount', 'region', 'env', 'source', 'n']

export const NUMBERS: J[] = [
  0,
  new Raw('-0'),
  1,
  -1,
  1.5,
  -1.5,
  0.1,
  0.2,
  1e308,
  -1e308,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  1e-300,
  5e-324,
  8.64e15,
  8.64e15 + 1,
  -8.64e15,
  -8.64e15 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  2 ** 31,
  -(2 ** 31),
  2 ** 31 - 1,
  new Raw('9007199254740993'),
  123.456,
  29.99,
  1e21,
  1e-7,
  new Raw('1e400'),
  new Raw('-1e400'),
  new Raw('1E+2'),
  new Raw('0.0'),
  new Raw('1.0'),
  new Raw('100000000000000000000000000000'),
  new Raw('0.30000000000000004'),
  new Raw('1e-400'),
]

/** Timestamps: numbers and strings, in and far out of the JS Date range, fractional, future. */
function timestamps(now: number): J[] {
  return [
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    1e-300,
    8.64e15,
    8.64e15 + 1,
    -8.64e15,
    -8.64e15 - 1,
    2 ** 63,
    -(2 ** 63),
    now,
    now - 0.5,
    now + 3_600_000,
    now + 3_600_001,
    now + 1e9,
    1705314600000.5,
    1705314600000,
    -62_135_596_800_000,
    new Raw('1e400'),
    '+275760-09-13T00:00:00.001Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00Z',
    '-271821-04-19T23:59:59.999Z',
    '0000-01-01',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:00:00Z',
    '2024-02-30',
    '2024-02-29',
    '2023-02-29',
    '2024-01-15',
    '2024-01-15T10:30:00Z',
    '2024-01-15T10:30:00.123456789Z',
    '2024-01-15T10:30:00+14:00',
    '2024-01-15T10:30:00-12:00',
    '2024-01-15T10:30:00+99:99',
    '2024-01-15T10:30:00+0530',
    '2024-01-15 10:30Z',
    '2024-01-15T24:00:00Z',
    '2024-01-15T10:30:60Z',
    '  2024-01-15  ',
    'yesterday',
    '',
    '\u0000',
    '2024-01-15T10:30:00Z\u0000',
    '1e308',
    '1705314600000',
    new Date(now).toISOString(),
    new Date(now + 7_200_000).toISOString(),
    '2011-12-30T12:00:00Z',
    '1993-08-21T00:00:00Z',
  ]
}

export const EMAILS: J[] = [
  'john@example.com',
  'a@b.co',
  'not-an-email',
  '',
  'a@b',
  '"quoted"@example.com',
  'a\u0000@b.co',
  'ü@exämple.de',
  `${'x'.repeat(250)}@b.co`,
  'a@b.co\n',
  ' a@b.co',
  'a+tag@example.com',
  '😀@example.com',
  'a@[127.0.0.1]',
]

export const WRONG_TYPES: J[] = [
  null,
  true,
  false,
  0,
  1.5,
  '',
  'str',
  [],
  [1, 2],
  obj(),
  obj({ a: 1 }),
  [obj()],
  nested(5),
]

export const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/json;;',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '',
  ' application/json ',
  'application/json; charset=utf-8',
  'application/problem+json',
  'application/*',
  '*/*',
  'json',
]

// Query parameter pools. Values are JS strings (percent-encoded when sent) or `enc(...)`, sent as written.
export class Enc {
  constructor(readonly text: string) {}
}
const enc = (text: string) => new Enc(text)
type Param = [string | Enc, string | Enc]

export const RAW_HOSTILE = [
  enc('%00'),
  enc('%ED%A0%80'),
  enc('%ED%BF%BF'),
  enc('%F0%9F%98%80'),
  enc('%zz'),
  enc('%'),
  enc('%C0%80'),
  enc('%FF'),
  enc('a%00b'),
  enc('%E2%80%AE'),
]

const QUERY_NAMES: Array<string | Enc> = [
  ...NAMES,
  'user.*',
  'user*',
  'signup*',
  '*',
  '**',
  'a%*',
  'a_*',
  'user%*',
  '',
  'x'.repeat(101),
  'x'.repeat(102),
  'a\u{10FFFF}*',
  'a*',
  '\\*',
  ...RAW_HOSTILE,
]

function timeBounds(now: number): Array<string | Enc> {
  return [
    '2024-01-15',
    '2024-01-15T10:30:00Z',
    '2024-01-15T10:30Z',
    '2024-01-15T10:30:00.5Z',
    '1970-01-01',
    '2099-12-31',
    '0000-01-01',
    '9999-12-31T23:59:59Z',
    '1969-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.001Z',
    '-271821-04-20T00:00:00Z',
    '2011-12-29',
    '2011-12-30',
    '2011-12-31',
    '2024-03-31',
    '2024-10-27',
    '2024-02-30',
    'yesterday',
    '',
    '1705314600000',
    new Date(now).toISOString(),
    new Date(now - 86_400_000).toISOString().slice(0, 10),
    new Date(now + 86_400_000).toISOString().slice(0, 10),
    '2024-01-15T10:30:00+14:00',
    '2024-01-15 10:30:00Z',
    enc('2024-01-15T10:30:00+01:00'),
    '2024-01-15T10:30:00%2B01:00',
    ...RAW_HOSTILE.slice(0, 3),
  ]
}

const LIMITS: Array<string | Enc> = [
  '-1',
  '0',
  '1',
  '2',
  '10',
  '1000',
  '1001',
  '1e3',
  '99999999999999999999',
  '1.5',
  '',
  ' 1',
  '0x10',
  '+1',
  '１',
  '1000000000',
  '1000000001',
  '9007199254740993',
  'NaN',
  enc('%00'),
  '01',
]
const INTERVALS: Array<string | Enc> = [
  '1m',
  '5m',
  '1h',
  '1d',
  '1d',
  '1h',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  '2h',
  '',
  '1D',
  ' 1d',
  '1d ',
  enc('%00'),
]
export const ZONES: Array<string | Enc> = [
  'UTC',
  'Europe/Berlin',
  'Pacific/Apia',
  'Pacific/Kiritimati',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'garbage',
  '',
  'Etc/GMT+12',
  'Etc/GMT-14',
  '+05:30',
  'utc',
  'EST5EDT',
  'America/Sao_Paulo',
  'America/Havana',
  'Asia/Gaza',
  'Africa/Casablanca',
  'Asia/Tehran',
  '../../etc/passwd',
  'Europe/London',
  'America/New_York',
  'Antarctica/Troll',
  enc('%00'),
  'Europe/Berlin\u0000',
]
const GROUP_BYS: Array<string | Enc> = [
  'tags.plan',
  'tags.region',
  'tags.',
  'tags',
  enc('tags.%00'),
  'tags.__proto__',
  'tags.constructor',
  'tags.toString',
  'tags.a.b',
  'tags."',
  "tags.'",
  'tags.\\',
  'plan',
  'properties.plan',
  '',
  `tags.${'x'.repeat(5000)}`,
  enc('tags.%ED%A0%80'),
  'tags.😀',
  'tags.$',
  'tags.*',
  'tags. ',
]
const FIELDS: Array<string | Enc> = [
  'value',
  'value',
  'properties.amount',
  'properties.amount',
  'properties.n',
  enc('properties.%00'),
  'properties.__proto__',
  'properties.a.b',
  'properties."',
  'properties.$',
  'properties.',
  'properties.\\',
  'properties.nested.x',
  'foo',
  '',
  "properties.x') --",
  'properties.toString',
  enc('properties.%ED%A0%80'),
  'properties.😀',
  'properties.constructor',
  'properties.0',
  'VALUE',
]
const TAG_KEYS: Array<string | Enc> = [
  'plan',
  'region',
  'env',
  '__proto__',
  'constructor',
  'toString',
  enc('%00'),
  'a.b',
  '"',
  '\\',
  ']',
  '[',
  'a]b',
  'x'.repeat(300),
  enc('%ED%A0%80'),
  '😀',
  '$',
  "'",
  ' ',
]
const TAG_VALUES: Array<string | Enc> = [
  'pro',
  'starter',
  'enterprise',
  'x',
  '',
  enc('%00'),
  enc('%ED%A0%80'),
  '😀',
  'prod',
  'eu',
  "'",
  '"',
]

// ---------------------------------------------------------------------------------------------
// Values

export class Gen {
  readonly ts: J[]
  readonly bounds: Array<string | Enc>
  private uniqueId = 0

  constructor(
    readonly r: Rng,
    readonly ctx: GenContext,
  ) {
    this.ts = timestamps(ctx.now)
    this.bounds = timeBounds(ctx.now)
  }

  hostileString(): string {
    return this.r.pick(STRINGS)
  }

  /** A string value: plain most of the time. */
  stringValue(): J {
    return this.r.weighted<() => J>([
      [5, () => this.r.pick(['pro', 'starter', 'enterprise', 'eu', 'us', 'google', 'organic', '42'])],
      [4, () => this.hostileString()],
    ])()
  }

  number(): J {
    return this.r.chance(0.5) ? Math.round(this.r.float() * 100_000) / 100 : this.r.pick(NUMBERS)
  }

  key(): string {
    return this.r.chance(0.55) ? this.r.pick(PLAIN_KEYS) : this.r.pick(KEYS)
  }

  /** Any JSON value, up to `depth` levels of nesting. */
  anyValue(depth: number): J {
    return this.r.weighted<() => J>([
      [4, () => this.stringValue()],
      [4, () => this.number()],
      [1, () => this.r.chance(0.5)],
      [1, () => null],
      [depth > 0 ? 2 : 0, () => this.object(depth - 1)],
      [depth > 0 ? 1 : 0, () => Array.from({ length: this.r.int(4) }, () => this.anyValue(depth - 1))],
    ])()
  }

  object(depth: number, size = this.r.int(5)): Obj {
    const o = new Obj([])
    for (let i = 0; i < size; i++) o.entries.push([this.key(), this.anyValue(depth)])
    if (this.r.chance(0.05) && o.entries.length > 0) o.entries.push([o.entries[0][0], this.anyValue(0)]) // duplicate key
    return o
  }

  properties(): J {
    return this.r.weighted<() => J>([
      [10, () => this.object(this.r.int(3))],
      [2, () => obj({ amount: this.number(), plan: this.r.pick(['pro', 'starter']) })],
      [
        1,
        () =>
          obj([
            [this.r.pick(SPECIAL_KEYS), this.r.chance(0.5) ? obj({ polluted: true }) : 'x'],
            ['plan', 'pro'],
          ]),
      ],
      [1, () => obj({ nested: nested(this.r.pick([5, 100, 510, 511, 512])) })],
      [1, () => this.r.pick(WRONG_TYPES)],
    ])()
  }

  tags(): J {
    return this.r.weighted<() => J>([
      [
        8,
        () => {
          const o = new Obj([])
          for (let i = this.r.int(4); i >= 0; i--)
            o.entries.push([
              this.r.chance(0.6) ? this.r.pick(['plan', 'region', 'env']) : this.r.pick(KEYS),
              this.stringValue(),
            ])
          return o
        },
      ],
      [2, () => obj([[this.key(), this.r.pick<J>([1, null, true, obj(), [], 1e308])]])],
      [1, () => this.r.pick(WRONG_TYPES)],
    ])()
  }

  clientId(): J {
    return this.r.weighted<() => J>([
      [6, () => `id-${this.r.seed}-${++this.uniqueId}`],
      [3, () => this.r.pick(['dup-1', 'dup-2', 'dup-3', 'shared'])],
      [
        1,
        () =>
          this.r.pick<J>([
            '',
            'x'.repeat(255),
            'x'.repeat(256),
            '\u0000',
            '\uD800',
            '\uDFFF',
            'a\u0000',
            123,
            true,
            obj(),
            ['dup-1'],
          ]),
      ],
    ])()
  }

  timestamp(): J {
    return this.r.chance(0.4)
      ? new Date(this.ctx.now - this.r.int(30 * 86_400_000)).toISOString()
      : this.r.pick(this.ts)
  }

  /**
   * One event for a surface. `hostility` is the chance that a field is replaced by a wrong type or
   * an invalid value; below that, values are still drawn from the hostile-but-valid pools.
   */
  event(surface: 'sb' | 'flux', hostility: number): Obj {
    const r = this.r
    const e = new Obj([])
    const nameKey = surface === 'sb' ? 'event' : 'name'
    const field = (key: string, value: () => J, p: number) => {
      if (!r.chance(p)) return
      if (r.chance(hostility)) e.entries.push([key, r.chance(0.2) ? null : r.pick(WRONG_TYPES)])
      else e.entries.push([key, value()])
    }
    if (!r.chance(hostility * 0.3))
      e.entries.push([
        nameKey,
        r.chance(1 - hostility) ? r.pick(NAMES) : r.chance(0.5) ? this.hostileString() : r.pick(WRONG_TYPES),
      ])
    field('user_id', () => (r.chance(0.6) ? `user-${r.int(20)}` : this.hostileString()), 0.5)
    field('value', () => this.number(), 0.5)
    field('timestamp', () => this.timestamp(), 0.4)
    field('id', () => this.clientId(), 0.25)
    if (surface === 'sb') {
      field('user_email', () => r.pick(EMAILS), 0.2)
      field('user_name', () => this.hostileString(), 0.2)
      field('metadata', () => this.properties(), 0.5)
    } else {
      field('properties', () => this.properties(), 0.5)
      field('tags', () => this.tags(), 0.5)
    }
    // Fields the surface does not document (ignored), some aimed at other tenants or the prototype.
    if (r.chance(0.1)) {
      e.entries.push(
        r.pick<[string, J]>([
          ['project_id', this.ctx.otherProjectId],
          ['projectId', this.ctx.otherProjectId],
          ['__proto__', obj({ name: 'polluted', event: 'polluted' })],
          ['constructor', obj({ prototype: obj({ polluted: true }) })],
          [surface === 'sb' ? 'name' : 'event', 'other-surface-field'],
          [surface === 'sb' ? 'tags' : 'metadata', obj({ plan: 'pro' })],
          ['user_email', 'not-an-email'],
          ['received_at', 0],
        ]),
      )
    }
    if (r.chance(0.03) && e.entries.length > 0) e.entries.push([nameKey, r.pick(NAMES)]) // duplicate key: the last wins
    return e
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  write(route: KnownRoute): FuzzRequest {
    const r = this.r
    const surface = route === ROUTES.sbEvent || route === ROUTES.sbBatch ? 'sb' : 'flux'
    const batch = route === ROUTES.sbBatch || route === ROUTES.fluxBatch
    let body: J | undefined
    let text: string | undefined
    let bodyBase64: string | undefined
    const shape = r.weighted<string>([
      [80, 'json'],
      [3, 'empty'],
      [3, 'truncated'],
      [3, 'garbage'],
      [3, 'not-object'],
      [2, 'deep'],
      [1, 'huge'],
      [2, 'invalid-utf8'],
      [2, 'bom'],
      [1, 'trailing'],
    ])
    if (batch) {
      const limit = surface === 'sb' ? this.ctx.batchLimits.statusBlocks : this.ctx.batchLimits.flux
      const n = r.weighted<number>([
        [3, 1],
        [4, 2 + r.int(4)],
        [2, 6 + r.int(20)],
        [1, 0],
        [1, limit],
        [1, limit + 1],
      ])
      // Status Blocks batches are all-or-nothing: keep most items valid so some get through.
      const hostility = surface === 'sb' ? (r.chance(0.6) ? 0 : 0.08) : r.pick([0, 0.1, 0.3, 0.6])
      const items: J[] = Array.from({ length: n }, () =>
        r.chance(0.04) ? r.pick(WRONG_TYPES) : this.event(surface, hostility),
      )
      const wrapper = r.weighted<() => J>([
        [20, () => obj({ events: items })],
        [1, () => obj({ events: r.pick(WRONG_TYPES) })],
        [1, () => obj({ events: obj(Object.fromEntries(items.map((item, i) => [String(i), item]))) })],
        [1, () => obj({ data: items })],
        [1, () => items],
        [1, () => obj({ events: items, extra: this.anyValue(1), __proto__x: 1 })],
      ])
      body = wrapper()
    } else {
      body = this.event(surface, r.pick([0, 0, 0.05, 0.15, 0.4]))
    }
    switch (shape) {
      case 'json':
        text = toJson(body)
        break
      case 'empty':
        text = r.pick(['', ' ', '\n', '\t\r\n '])
        break
      case 'truncated': {
        const full = toJson(body)
        text = full.slice(0, r.int(Math.max(1, full.length)))
        break
      }
      case 'garbage':
        text = r.pick([
          'event=signup',
          '<xml/>',
          '{"event": "x",}',
          "{'event':'x'}",
          '{"event": "x" /* c */}',
          'null',
          'undefined',
          '{"event":NaN}',
          '{"event":"x","value":Infinity}',
          '{"event":"x","value":-Infinity}',
          '{"event":"x","value":0x10}',
          '{"event":"x","value":.5}',
          '{"event":"x","value":01}',
          '{"event":"\\ud800"}',
          '{"event":"\\u0000"}',
          '{"name":"\\uDFFF"}',
          '{"event":"\x01"}',
          '{"event":"x"}{"event":"y"}',
          '[{"event":"x"}]',
          '{"events":[{"event":"x"}]',
          '{"event":"x',
          '{"a":' + '['.repeat(10_000),
        ])
        break
      case 'not-object':
        text = toJson(r.pick<J>([[body], 'string', 42, null, true, false, [], 1e400 as number, new Raw('1e400')]))
        break
      case 'deep':
        text = toJson(
          surface === 'sb'
            ? obj({ event: 'deep', metadata: nested(r.pick([510, 511, 512, 513, 600, 5000])) })
            : obj({ name: 'deep', properties: nested(r.pick([510, 511, 512, 513, 600, 5000])) }),
        )
        if (batch) text = `{"events":[${text}]}`
        break
      case 'huge': {
        const size = r.pick([1024 * 1024 - 40, 1024 * 1024 + 1, 2 * 1024 * 1024])
        const key = surface === 'sb' ? 'event' : 'name'
        const event = `{"${key}":"huge","${surface === 'sb' ? 'metadata' : 'properties'}":{"p":"${'x'.repeat(size)}"}}`
        text = batch ? `{"events":[${event}]}` : event
        break
      }
      case 'invalid-utf8': {
        const before = Buffer.from(
          toJson(
            surface === 'sb'
              ? obj({ event: 'bytes', metadata: obj({ p: '' }) })
              : obj({ name: 'bytes', properties: obj({ p: '' }) }),
          ).replace('""', '"'),
        )
        const bad = Buffer.from(
          r.pick([[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]]),
        )
        const after = Buffer.from('"}}')
        const full = Buffer.concat([before, bad, after])
        bodyBase64 = (batch ? Buffer.concat([Buffer.from('{"events":['), full, Buffer.from(']}')]) : full).toString(
          'base64',
        )
        break
      }
      case 'bom':
        text = `\uFEFF${toJson(body)}`
        break
      case 'trailing':
        text = `${toJson(body)}${r.pick([' x', '\u0000', ',', ' {}', '\n\n'])}`
        break
    }
    const headers: Record<string, string> = {}
    const ct = r.weighted<string | undefined>([
      [88, 'application/json'],
      [4, undefined],
      [8, r.pick(CONTENT_TYPES)],
    ])
    if (ct !== undefined) headers['content-type'] = ct
    if (r.chance(0.03)) headers.accept = r.pick(['text/html', 'application/xml', '*/*'])
    return {
      route,
      method: 'POST',
      path: route.slice('POST '.length) + (r.chance(0.05) ? `?${this.query()}` : ''),
      headers,
      auth: this.writeAuth(),
      ...(text !== undefined ? { body: text } : {}),
      ...(bodyBase64 !== undefined ? { bodyBase64 } : {}),
      ...(r.chance(0.1) ? { chunked: true } : {}),
      origin: 'random',
    }
  }

  /** Writes never use the other tenant's key: its events are the isolation baseline. */
  private writeAuth(): Auth {
    return this.r.weighted<Auth>([
      [94, { kind: 'fuzz' }],
      [2, { kind: 'none' }],
      [4, { kind: 'raw', header: this.r.pick(GARBAGE_AUTH) }],
    ])
  }

  private readAuth(): Auth {
    return this.r.weighted<Auth>([
      [88, { kind: 'fuzz' }],
      [5, { kind: 'other' }],
      [2, { kind: 'none' }],
      [5, { kind: 'raw', header: this.r.pick(GARBAGE_AUTH) }],
    ])
  }

  /** A query string (without `?`) for a read route. */
  query(route: string = this.r.pick(QUERY_ROUTES)): string {
    const r = this.r
    const params: Param[] = []
    const add = (p: number, key: string | Enc, values: () => string | Enc) => {
      if (r.chance(p)) params.push([key, values()])
    }
    add(0.55, 'name', () => r.pick(QUERY_NAMES))
    add(0.2, 'from', () => r.pick(this.bounds))
    add(0.2, 'to', () => r.pick(this.bounds))
    add(0.12, 'user_id', () =>
      r.chance(0.6) ? `user-${r.int(20)}` : r.chance(0.5) ? this.hostileString() : r.pick(RAW_HOSTILE),
    )
    if (r.chance(0.2)) {
      for (let i = r.int(3); i >= 0; i--)
        params.push([enc(`tags%5B${encodeKey(r.pick(TAG_KEYS))}%5D`), r.pick(TAG_VALUES)])
    }
    if (r.chance(0.03))
      params.push(
        r.pick<Param>([
          ['tags', 'x'],
          [enc('tags%5B%5D'), 'x'],
          [enc('tags%5Ba%5D%5Bb%5D'), 'x'],
          [enc('tags%5B'), 'x'],
          ['tagsfoo', 'x'],
          [enc('tags[plan]'), 'pro'],
        ]),
      )
    add(route === ROUTES.list ? 0.3 : 0.05, 'limit', () => r.pick(LIMITS))
    add(route === ROUTES.list ? 0.2 : 0.03, 'offset', () => r.pick([...LIMITS, '999999999999', '1000000000']))
    add(route === ROUTES.count ? 0.5 : 0.05, 'interval', () => r.pick(INTERVALS))
    add(route === ROUTES.count ? 0.2 : 0.04, 'tz', () => r.pick(ZONES))
    add(route === ROUTES.count ? 0.3 : 0.04, 'group_by', () => r.pick(GROUP_BYS))
    add(route === ROUTES.stats ? 0.5 : 0.04, 'field', () => r.pick(FIELDS))
    if (r.chance(0.06) && params.length > 0) {
      const [key] = r.pick(params)
      params.push([key, r.pick<string | Enc>(['', 'x', '1d', '1', 'user.*', enc('%00')])]) // repeated parameter
    }
    if (r.chance(0.04))
      params.push(
        r.pick<Param>([
          ['foo', 'bar'],
          ['__proto__', '1'],
          ['constructor', 'x'],
          ['toString', '1'],
          [enc('%00'), 'x'],
          ['', ''],
          [enc('na%6De'), 'user.signup'],
        ]),
      )
    r.shuffle(params)
    return params.map(([k, v]) => `${encodePart(k)}${r.chance(0.01) ? '' : `=${encodePart(v)}`}`).join('&')
  }

  read(route: KnownRoute): FuzzRequest {
    const q = this.query(route)
    return {
      route,
      method: 'GET',
      path: `${route.slice('GET '.length)}${q || this.r.chance(0.5) ? `?${q}` : ''}`,
      headers: {},
      auth: this.readAuth(),
      origin: 'random',
    }
  }

  /** Wrong methods on known paths, and unknown or odd paths. */
  other(): FuzzRequest {
    const r = this.r
    const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
    const path = r.pick([
      '/api/events',
      '/api/events/batch',
      '/api/v1/events',
      '/api/v1/events/batch',
      '/api/v1/events/count',
      '/api/v1/events/stats',
      '/api/v1/events/',
      '/api/v1//events',
      '/API/EVENTS',
      '/api/v1/events%2Fcount',
      '/api/v1/events/evt_00000000000000000000000000000000',
      '/api/events/batch/',
      '/api/v1/events/%ZZ',
      '/api/v1/events/%00',
      '/api/v1/events/%ED%A0%80',
      '/api/v1/events/..%2F..%2Fetc',
      '/api/v1/events/./count',
      '/api/metrics/values',
      '/api/v1/',
      '/api/',
      '/v1/stats',
      '/status/x',
      '/api/monitors',
      '/',
      '/nowhere',
      '/api/v1/events/count/',
      `/api/v1/${'x'.repeat(3000)}`,
    ])
    const route = `${method} ${path}`
    const isKnownGet = method === 'GET' && QUERY_ROUTES.includes(route)
    const isKnownPost = method === 'POST' && WRITE_ROUTES.includes(route)
    const body =
      method === 'GET' || method === 'OPTIONS'
        ? undefined
        : r.chance(0.5)
          ? '{"event":"other-method","name":"other-method"}'
          : r.pick(['', '{', '[]'])
    return {
      route: isKnownGet || isKnownPost ? route : `${method} <other path>`,
      method,
      path: path + (r.chance(0.3) ? `?${this.query()}` : ''),
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      auth: r.chance(0.9) ? { kind: 'fuzz' } : { kind: 'none' },
      ...(body !== undefined ? { body } : {}),
      origin: 'random',
    }
  }

  /**
   * The Status Blocks metrics routes: definitions with one or two fields hostile, templates,
   * values, history queries and recalculations, under known and hostile slugs. Their answers are
   * not modelled: the oracle asks for no 5xx, JSON, the Laravel error shape and no events written.
   */
  metrics(): FuzzRequest {
    const r = this.r
    const slug = r.weighted<() => string>([
      [6, () => r.pick(['mrr', 'signups', 'arpu', 'requests', 'error_rate', 'revenue', 'aov', 'fuzz_metric'])],
      // Every byte percent-encoded (encodeURIComponent throws on a lone surrogate), at most 300
      // characters of it: past Node's 16 KiB of request head, Node itself answers 431 without us.
      [
        2,
        () =>
          [...Buffer.from(this.hostileString().slice(0, 300), 'utf8')]
            .map((b) => `%${b.toString(16).padStart(2, '0')}`)
            .join(''),
      ],
      [1, () => r.pick(['%ZZ', '%00', '..%2F..', 'x'.repeat(2000)])],
    ])()
    const definition = (): Obj => {
      const d = obj(
        r.chance(0.5)
          ? {
              name: 'Fuzz metric',
              slug: 'fuzz_metric',
              event: 'ok',
              aggregation: r.pick([
                'count',
                'sum',
                'p95',
                'unique_users',
                'latest',
                'mrr',
                'subscribers',
                'repeat_users',
              ]),
              window: r.pick(['day', 'month', '7d', '30d', null]),
            }
          : {
              name: 'Fuzz formula',
              formula: r.pick([
                'mrr / paying_customers',
                'revenue - refunds',
                '(1 + 2) * requests',
                this.hostileString(),
                '1 / 0',
                `${'('.repeat(40)}1${')'.repeat(40)}`,
              ]),
            },
      )
      for (let i = 1 + r.int(2); i > 0; i--) {
        const field = r.pick([
          'name',
          'slug',
          'description',
          'kind',
          'event',
          'aggregation',
          'field',
          'filters',
          'window',
          'formula',
          'format',
          'extra',
        ])
        d.set(
          field,
          r.weighted<() => J>([
            [4, () => this.anyValue(2)],
            [
              2,
              () => [
                obj({
                  field: r.pick(['value', 'user_id', 'metadata.plan', this.hostileString()]),
                  op: r.pick(['eq', 'neq', 'gt', 'in', 'like']),
                  value: this.anyValue(1),
                }),
              ],
            ],
            [1, () => this.hostileString()],
          ])(),
        )
      }
      return d
    }
    const range = () => {
      const q = new URLSearchParams()
      if (r.chance(0.4)) q.set('days', r.pick(['1', '30', '366', '367', '0', '-1', '1e3', 'abc', '']))
      if (r.chance(0.4))
        q.set('from', r.pick(['2024-01-01', '2024-02-30', '1970-01-01', '9999-12-31', this.hostileString()]))
      if (r.chance(0.4)) q.set('to', r.pick(['2024-01-31', '2023-01-01', '0000-01-01', this.hostileString()]))
      return q.toString()
    }
    const [method, path, body] = r.weighted<() => [string, string, J | undefined]>([
      [3, () => ['POST', '/api/metrics/definitions', definition()]],
      [1, () => ['GET', '/api/metrics/definitions', undefined]],
      [
        2,
        () => [
          r.pick(['GET', 'PUT', 'DELETE']),
          `/api/metrics/definitions/${r.pick(['01940000-0000-7000-8000-000000000000', slug])}`,
          definition(),
        ],
      ],
      [1, () => ['GET', '/api/metrics/templates', undefined]],
      [
        2,
        () => [
          'POST',
          '/api/metrics/templates/apply',
          obj({ template: r.chance(0.7) ? r.pick(['saas', 'ecommerce', 'api']) : this.anyValue(1) }),
        ],
      ],
      [2, () => ['GET', '/api/metrics/values', undefined]],
      [3, () => ['GET', `/api/metrics/values/${slug}`, undefined]],
      [3, () => ['GET', `/api/metrics/values/${slug}/history?${range()}`, undefined]],
      [
        1,
        () => [
          'POST',
          `/api/metrics/values/${slug}/recalculate`,
          r.chance(0.5) ? obj({ from: this.anyValue(0), to: this.anyValue(0) }) : undefined,
        ],
      ],
    ])()
    const text = method === 'GET' ? undefined : body === undefined ? '' : toJson(body)
    return {
      route: `${method} <metrics>`,
      method,
      path,
      headers: text !== undefined ? { 'content-type': 'application/json' } : {},
      auth: r.chance(0.95) ? { kind: 'fuzz' } : { kind: 'none' },
      ...(text !== undefined ? { body: text } : {}),
      origin: 'random',
    }
  }

  random(): FuzzRequest {
    const kind = this.r.weighted<() => FuzzRequest>([
      [10, () => this.metrics()],
      [14, () => this.write(ROUTES.sbEvent)],
      [7, () => this.write(ROUTES.sbBatch)],
      [14, () => this.write(ROUTES.fluxEvent)],
      [7, () => this.write(ROUTES.fluxBatch)],
      [14, () => this.read(ROUTES.list)],
      [16, () => this.read(ROUTES.count)],
      [12, () => this.read(ROUTES.stats)],
      [3, () => this.other()],
      // A zoned daily series across a day some zone skipped (Samoa, Tokelau: 2011-12-30; Kwajalein: 1993-08-21).
      // Rare: each such request may cost a timeout and a restart.
      [0.03, () => this.skippedDay()],
    ])
    return kind()
  }

  skippedDay(): FuzzRequest {
    const [tz, from, to] = this.r.pick([
      ['Pacific/Apia', '2011-12-28', '2012-01-02'],
      ['Pacific/Fakaofo', '2011-12-29', '2011-12-31'],
      ['Pacific/Kwajalein', '1993-08-20', '1993-08-22'],
      ['Pacific/Apia', '2011-12-30', '2011-12-31'],
    ])
    return {
      route: ROUTES.count,
      method: 'GET',
      path: `/api/v1/events/count?interval=1d&tz=${encodeURIComponent(tz)}&from=${from}&to=${to}`,
      headers: {},
      auth: { kind: 'fuzz' },
      origin: 'random:skipped-day',
    }
  }
}

export const GARBAGE_AUTH = [
  'Bearer ',
  'Bearer',
  `Bearer tt_${'A'.repeat(43)}`,
  'Bearer {key} ',
  'bearer {key}',
  'BEARER {key}',
  'Basic dXNlcjpwYXNz',
  'Bearer {key}{key}',
  'Bearer {key}x',
  `Bearer ${'x'.repeat(8000)}`,
  'Bearer sb_your_api_key_here',
  'Bearer  {key}',
  'Token {key}',
  'Bearer "{key}"',
  'Bearer tt_',
  'Bearer \u0000',
  'Bearer %00',
].map((h) => h.replace('\u0000', ''))

export function encodePart(part: string | Enc): string {
  return part instanceof Enc ? part.text : encodeWtf8(part)
}
const encodeKey = encodePart

/** encodeURIComponent, except that a lone surrogate is written as its (invalid) 3-byte UTF-8 form, e.g. %ED%A0%80. */
function encodeWtf8(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    if (code >= 0xd800 && code <= 0xdfff)
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`
    else out += encodeURIComponent(ch)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Corpus: one request per input known (or suspected) to be dangerous, so every seed covers them.

export function corpus(ctx: GenContext): FuzzRequest[] {
  const out: FuzzRequest[] = []
  const post = (
    name: string,
    route: KnownRoute,
    body: J | string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) =>
    out.push({
      route,
      method: 'POST',
      path: route.slice(5),
      headers,
      auth: { kind: 'fuzz' },
      body: typeof body === 'string' ? body : toJson(body),
      origin: `corpus:${name}`,
    })
  const get = (name: string, route: KnownRoute, query: string, auth: Auth = { kind: 'fuzz' }) =>
    out.push({ route, method: 'GET', path: `${route.slice(4)}?${query}`, headers: {}, auth, origin: `corpus:${name}` })

  // Timestamps out of the JS Date range, fractional, at the edges of the calendar.
  for (const ts of [
    -8.64e15 - 1,
    -1e308,
    1.5,
    1705314600000.5,
    new Raw('1e400'),
    '+275760-09-13T00:00:00.001Z',
    '0000-01-01',
    '9999-12-31T23:59:59Z',
    '1969-12-31T23:59:59Z',
    -62_135_596_800_000,
  ]) {
    post(`sb timestamp ${toJson(ts)}`, ROUTES.sbEvent, obj({ event: 'ts.edge', timestamp: ts }))
    post(`flux timestamp ${toJson(ts)}`, ROUTES.fluxEvent, obj({ name: 'ts.edge', timestamp: ts }))
  }
  post(
    'flux batch with one out-of-range timestamp',
    ROUTES.fluxBatch,
    obj({ events: [obj({ name: 'ok' }), obj({ name: 'ts.edge', timestamp: -8.64e15 - 1 }), obj({ name: 'ok2' })] }),
  )

  // NUL and lone surrogates in every kind of string.
  for (const s of ['a\u0000b', '\uD800', 'x\uDFFF']) {
    post(`sb event name ${JSON.stringify(s)}`, ROUTES.sbEvent, obj({ event: s }))
    post(`sb user_id ${JSON.stringify(s)}`, ROUTES.sbEvent, obj({ event: 'strings', user_id: s }))
    post(`sb metadata value ${JSON.stringify(s)}`, ROUTES.sbEvent, obj({ event: 'strings', metadata: obj({ p: s }) }))
    post(`sb metadata key ${JSON.stringify(s)}`, ROUTES.sbEvent, obj({ event: 'strings', metadata: obj([[s, 1]]) }))
    post(`flux tags key ${JSON.stringify(s)}`, ROUTES.fluxEvent, obj({ name: 'strings', tags: obj([[s, 'v']]) }))
    post(`flux tags value ${JSON.stringify(s)}`, ROUTES.fluxEvent, obj({ name: 'strings', tags: obj({ plan: s }) }))
    post(`flux id ${JSON.stringify(s)}`, ROUTES.fluxEvent, obj({ name: 'strings', id: s }))
    post(`sb id ${JSON.stringify(s)}`, ROUTES.sbEvent, obj({ event: 'strings', id: `sb-${s}` }))
  }
  // Prototype keys.
  for (const key of ['__proto__', 'constructor', 'toString']) {
    post(
      `sb metadata key ${key}`,
      ROUTES.sbEvent,
      obj({
        event: 'proto',
        metadata: obj([
          [key, obj({ polluted: true })],
          ['plan', 'pro'],
        ]),
      }),
    )
    post(
      `flux tags key ${key}`,
      ROUTES.fluxEvent,
      obj({
        name: 'proto',
        tags: obj([
          [key, 'x'],
          ['plan', 'pro'],
        ]),
      }),
    )
    post(`flux properties key ${key}`, ROUTES.fluxEvent, obj({ name: 'proto', properties: obj([[key, 5]]) }))
  }
  for (const key of ['a.b', '"', '\\', '', "'", '$', 'a[0]'])
    post(
      `flux tags key ${JSON.stringify(key)}`,
      ROUTES.fluxEvent,
      obj({ name: 'keys', tags: obj([[key, 'v']]), properties: obj([[key, 1]]) }),
    )
  // Numbers whose sums overflow.
  post('sb value 1e308 (a)', ROUTES.sbEvent, obj({ event: 'big', value: 1e308 }))
  post('sb value 1e308 (b)', ROUTES.sbEvent, obj({ event: 'big', value: 1e308 }))
  post(
    'flux properties.amount 1e308 x2',
    ROUTES.fluxBatch,
    obj({
      events: [
        obj({ name: 'big', properties: obj({ amount: 1.7976931348623157e308 }) }),
        obj({ name: 'big', properties: obj({ amount: 1.7976931348623157e308 }) }),
      ],
    }),
  )
  post('sb value 2^63', ROUTES.sbEvent, obj({ event: 'big', value: 2 ** 63 }))
  post('flux value 1e400', ROUTES.fluxEvent, '{"name":"big","value":1e400}')
  // Nesting at PHP's json_decode depth.
  post('sb nesting 512', ROUTES.sbEvent, obj({ event: 'deep', metadata: nested(510) }))
  post('sb nesting 513', ROUTES.sbEvent, obj({ event: 'deep', metadata: nested(512) }))
  // Batches: mixed, empty, over the limit, non-objects.
  post(
    'sb batch one invalid',
    ROUTES.sbBatch,
    obj({ events: [obj({ event: 'ok' }), obj({ event: 7 }), obj({ event: 'ok' })] }),
  )
  post('sb batch empty', ROUTES.sbBatch, obj({ events: [] }))
  post(
    'sb batch over limit',
    ROUTES.sbBatch,
    obj({ events: Array.from({ length: ctx.batchLimits.statusBlocks + 1 }, () => obj({ event: 'many' })) }),
  )
  post(
    'flux batch mixed',
    ROUTES.fluxBatch,
    obj({
      events: [
        obj({ name: 'ok' }),
        null,
        'x',
        [],
        obj({ name: '' }),
        obj({ name: 'ok', tags: obj({ a: 1 }) }),
        obj({ name: 'ok', id: 'dup-1' }),
        obj({ name: 'ok', id: 'dup-1' }),
      ],
    }),
  )
  post(
    'flux batch over limit',
    ROUTES.fluxBatch,
    obj({ events: Array.from({ length: ctx.batchLimits.flux + 1 }, () => obj({ name: 'many' })) }),
  )
  post('flux batch empty', ROUTES.fluxBatch, obj({ events: [] }))
  post(
    'flux write into the other project',
    ROUTES.fluxEvent,
    obj({ name: 'tenant', project_id: ctx.otherProjectId, projectId: ctx.otherProjectId }),
  )
  // Bodies that are not JSON objects.
  post('empty body, no content type', ROUTES.sbEvent, '', {})
  post('truncated', ROUTES.fluxEvent, '{"name":"x","properties":{"a":')
  post('text/plain', ROUTES.sbEvent, '{"event":"x"}', { 'content-type': 'text/plain' })
  post('array body', ROUTES.fluxBatch, '[{"name":"x"}]')
  // Bodies over the 1 MiB limit, with a declared length and streamed (chunked).
  for (const chunked of [false, true]) {
    for (const route of [ROUTES.sbEvent, ROUTES.fluxEvent] as const) {
      const key = route === ROUTES.sbEvent ? 'event' : 'name'
      out.push({
        route,
        method: 'POST',
        path: route.slice(5),
        headers: { 'content-type': 'application/json' },
        auth: { kind: 'fuzz' },
        body: `{"${key}":"huge","properties":{"p":"${'x'.repeat(2 * 1024 * 1024)}"}}`,
        ...(chunked ? { chunked } : {}),
        origin: `corpus:2 MiB body${chunked ? ', chunked' : ''}`,
      })
    }
  }

  // Queries: intervals that are Object.prototype members, bad zones, ranges, limits.
  for (const interval of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '2h'])
    get(`interval=${interval}`, ROUTES.count, `interval=${interval}`)
  get(
    "zoned series across Samoa's skipped day",
    ROUTES.count,
    'interval=1d&tz=Pacific%2FApia&from=2011-12-29&to=2011-12-31',
  )
  get('tz garbage', ROUTES.count, 'interval=1d&tz=garbage')
  get('from > to', ROUTES.list, 'from=2024-02-01&to=2024-01-01')
  get('1m buckets over a century', ROUTES.count, 'interval=1m&from=1970-01-01&to=2099-12-31')
  get('from/to out of range', ROUTES.count, 'from=0000-01-01&to=9999-12-31T23:59:59Z')
  get('from out of JS range', ROUTES.list, 'from=%2B275760-09-13T00%3A00%3A00.001Z')
  for (const limit of ['-1', '1e3', '99999999999999999999', '1.5']) get(`limit=${limit}`, ROUTES.list, `limit=${limit}`)
  get('offset huge', ROUTES.list, 'offset=999999999999')
  get('offset max', ROUTES.list, 'offset=1000000000')
  get('tags[__proto__]', ROUTES.list, 'tags%5B__proto__%5D=x')
  get('tags[%00]', ROUTES.list, 'tags%5B%00%5D=x')
  get('tags[constructor]', ROUTES.count, 'tags%5Bconstructor%5D=x')
  get('group_by=tags.%00', ROUTES.count, 'group_by=tags.%00')
  get('group_by=tags.__proto__', ROUTES.count, 'group_by=tags.__proto__')
  get('field=properties.%00', ROUTES.stats, 'field=properties.%00')
  get('field=properties.__proto__', ROUTES.stats, 'field=properties.__proto__')
  get('field=properties.amount', ROUTES.stats, 'field=properties.amount')
  get('name=%00', ROUTES.list, 'name=%00')
  get('name=lone surrogate', ROUTES.list, 'name=%ED%A0%80')
  get('name=emoji', ROUTES.count, 'name=%F0%9F%98%80')
  get('name prefix with LIKE wildcard', ROUTES.list, 'name=user%25*')
  get('name prefix before U+10FFFF', ROUTES.count, 'name=a*')
  get('repeated params', ROUTES.count, 'name=signup&name=user.signup&interval=1d&interval=toString&limit=1&limit=-1')
  get('stats value', ROUTES.stats, 'field=value')
  get('isolation: other key, everything', ROUTES.list, 'limit=1000', { kind: 'other' })
  return out
}

/** A run's requests: the corpus shuffled into `total` random ones. */
export function plan(r: Rng, ctx: GenContext, total: number): FuzzRequest[] {
  const gen = new Gen(r, ctx)
  const fixed = corpus(ctx)
  const random = Array.from({ length: Math.max(0, total - fixed.length) }, () => gen.random())
  // Corpus items go into the second half, after random writes have put data in the store.
  const half = Math.floor(random.length / 2)
  const tail = r.shuffle([...random.slice(half), ...fixed])
  return [...random.slice(0, half), ...tail]
}
