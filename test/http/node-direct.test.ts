// toNodeHandler runs telltale's known routes without h3 (no web Request or Response per request).
// The same requests sent that way and through telltale.fetch (h3) must get the same answers:
// status, body, content type and rate-limit headers. Runs on every adapter.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from 'telltale/node'
import { afterEach, expect, test } from 'vitest'
import { makeTelltale, type TestApp } from '../helpers/app'

let t: TestApp
let server: http.Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  await t.close()
})

interface Case {
  method: 'GET' | 'POST'
  path: string
  body?: string
  key?: 'write' | 'read' | 'none' | 'bad'
  headers?: Record<string, string>
}

const CASES: Case[] = [
  {
    method: 'POST',
    path: '/api/events',
    body: '{"event":"signup","user_id":"1","value":29.0,"metadata":{"plan":"pro","__proto__":{"x":1}}}',
  },
  { method: 'POST', path: '/api/events', body: '{"event":"signup","id":"retry-1","user_email":null}' },
  { method: 'POST', path: '/api/events', body: '{"event":"signup","id":"retry-1"}' },
  { method: 'POST', path: '/api/events', body: '{"user_email":"nope","value":"x"}' },
  { method: 'POST', path: '/api/events', body: '{"event":' },
  { method: 'POST', path: '/api/events', body: '[1]' },
  { method: 'POST', path: '/api/events', body: '' },
  {
    method: 'POST',
    path: '/api/events',
    body: 'event=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  {
    method: 'POST',
    path: '/api/events',
    body: '{"event":"x"}',
    headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
  },
  { method: 'POST', path: '/api/events', body: '{"event":"x"}', key: 'read' },
  { method: 'POST', path: '/api/events', body: '{"event":"x"}', key: 'bad' },
  { method: 'POST', path: '/api/events', body: '{"event":"x"}', key: 'none' },
  { method: 'POST', path: '/api/events', body: `{"event":"x","metadata":{"pad":"${'x'.repeat(1024 * 1024)}"}}` },
  {
    method: 'POST',
    path: '/api/events/batch',
    body: '{"events":[{"event":"a"},{"event":"b","timestamp":"2024-01-15T10:00:00Z"}]}',
  },
  { method: 'POST', path: '/api/events/batch', body: '{"events":[{"event":"a"},{}]}' },
  { method: 'POST', path: '/api/v1/events', body: '{"name":"page.view","tags":{"plan":"pro"},"user_id":null}' },
  { method: 'POST', path: '/api/v1/events', body: '{"name":"page.view","tags":{"plan":3}}' },
  { method: 'POST', path: '/api/v1/events/batch', body: '{"events":[{"name":"a"},{"name":""},7]}' },
  { method: 'GET', path: '/api/v1/events?name=page.*&limit=5', key: 'read' },
  { method: 'GET', path: '/api/v1/events?limit=0', key: 'read' },
  {
    method: 'GET',
    path: '/api/v1/events/count?interval=1h&from=2024-01-15&to=2024-01-15T12:00:00Z&group_by=tags.plan',
    key: 'read',
  },
  { method: 'GET', path: '/api/v1/events/stats?field=value&name=signup', key: 'read' },
  { method: 'GET', path: '/api/v1/events/count?tz=Mars/Base', key: 'read' },
  { method: 'GET', path: '/api/v1/events', key: 'write' },
]

/** Ids and rate-limit counters differ from one request to the next; the rest must not. */
function normalise(status: number, headers: Headers, body: string) {
  return {
    status,
    contentType: headers.get('content-type'),
    rateLimit: [headers.get('ratelimit-limit'), headers.get('retry-after')],
    connection: headers.get('connection') === 'close' ? 'close' : 'keep-alive',
    body: body
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/evt_[0-9a-f]{32}/g, 'evt_<id>'),
  }
}

test('every route answers the same through the direct Node path and through h3', async () => {
  t = await makeTelltale()
  server = http.createServer(toNodeHandler(t.telltale))
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const keys = { write: t.keys.write, read: t.keys.read, bad: `tt_${'x'.repeat(43)}`, none: undefined }

  for (const c of CASES) {
    const key = keys[c.key ?? 'write']
    // Content-Length as a real client sends it (an in-process Request has none by itself).
    const length: Record<string, string> =
      c.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(c.body)) }
    const init = (): RequestInit => ({
      method: c.method,
      headers: {
        'content-type': 'application/json',
        ...length,
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...c.headers,
      },
      body: c.body,
    })
    const viaNode = await fetch(base + c.path, init())
    const node = normalise(viaNode.status, viaNode.headers, await viaNode.text())
    const viaH3 = await t.telltale.fetch(new Request(`http://localhost${c.path}`, init()))
    const h3 = normalise(viaH3.status, viaH3.headers, await viaH3.text())
    expect({ case: `${c.method} ${c.path} ${c.body?.slice(0, 60)}`, ...node }).toEqual({
      case: `${c.method} ${c.path} ${c.body?.slice(0, 60)}`,
      ...h3,
    })
  }
})
