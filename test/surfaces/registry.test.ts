// The surface registry: a test-only surface (./echo) added with one line gets the router's whole
// prologue (auth, scope, rate limit, body, validation), its own error shape and its own paths.

import { createTelltale, isTelltaleError } from 'telltale'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { defineSurface, SURFACES, type Surface } from '../../src/surfaces'
import { statusBlocksMetrics } from '../../src/surfaces/status-blocks-metrics'
import { makeTelltale, reply, type TestApp } from '../helpers/app'
import { echo } from './echo'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale({ surfaceList: [...SURFACES, echo] })
})
afterEach(() => t.close())

const get = (path: string, key = t.keys.readWrite) =>
  t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }))

describe('a surface added in one line', () => {
  test('serves its routes through the shared prologue and the shared store', async () => {
    expect(await reply(await t.post('/echo/notes', { title: 'hello', text: 'world' }))).toMatchObject({
      status: 201,
      body: { note: { title: 'hello' } },
    })
    expect(await reply(await get('/echo/notes/count?title=hello'))).toEqual({ status: 200, body: { count: 1 } })
    // Written through echo, read through Flux: one event store.
    expect((await reply(await get('/api/v1/events?name=hello'))).body.data[0].properties).toEqual({ text: 'world' })
  })

  test('answers errors in its own shape, with its own wire names', async () => {
    expect(await reply(await t.post('/echo/notes', { text: 'no title' }))).toEqual({
      status: 422,
      body: { error: 'The title field is required.' },
    })
    expect(await reply(await t.post('/echo/notes', { title: 'x' }, 'tt_wrong'))).toEqual({
      status: 401,
      body: { error: 'Invalid API key.' },
    })
    expect(await reply(await t.post('/echo/notes', { title: 'x' }, t.keys.read))).toEqual({
      status: 403,
      body: { error: 'This API key does not have the write scope.' },
    })
    expect(await reply(await get('/echo/nothing-here'))).toEqual({ status: 404, body: { error: 'Not found.' } })
    expect(await reply(await t.post('/echo/notes', '{"title": '))).toMatchObject({
      status: 400,
      body: { error: 'The request body is not valid JSON.' },
    })
  })

  test('gets its rate limits from its definition, overridable under its id', async () => {
    for (let i = 0; i < 2; i++) expect((await t.post('/echo/notes', { title: 'n' })).status).toBe(201)
    const limited = await t.post('/echo/notes', { title: 'n' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    await t.close()
    t = await makeTelltale({ surfaceList: [...SURFACES, echo], limits: { rateLimits: { echo: { write: false } } } })
    for (let i = 0; i < 5; i++) expect((await t.post('/echo/notes', { title: 'n' })).status).toBe(201)
  })

  test('claims its routes for middleware hosts, and nothing else', () => {
    expect(t.telltale.handles('/echo/notes', 'POST')).toBe(true)
    expect(t.telltale.handles('/echo/notes/', 'post')).toBe(true)
    expect(t.telltale.handles('/echo/notes/count', 'GET')).toBe(true)
    expect(t.telltale.handles('/echo/notes/count', 'HEAD')).toBe(true)
    // The prefix is not claimed: other paths and methods under it belong to the host.
    expect(t.telltale.handles('/echo/notes', 'GET')).toBe(false)
    expect(t.telltale.handles('/echo', 'POST')).toBe(false)
    expect(t.telltale.handles('/echo/other', 'POST')).toBe(false)
    expect(t.telltale.handles('/echoes', 'POST')).toBe(false)
  })
})

test('without the line, the surface does not exist', async () => {
  expect(t.telltale.handles('/echo/notes', 'POST')).toBe(true)
  await t.close()
  t = await makeTelltale()
  expect(t.telltale.handles('/echo/notes', 'POST')).toBe(false)
  expect((await t.post('/echo/notes', { title: 'x' })).status).toBe(404)
})

describe('surfaces that check themselves at createTelltale', () => {
  const failure = (surfaces: Surface[]) => {
    try {
      createTelltale({ storage: sqliteStorage({ file: ':memory:' }), surfaceList: surfaces })
    } catch (error) {
      if (isTelltaleError(error) && error.kind === 'config') return error.message
      throw error
    }
    throw new Error('createTelltale accepted the surfaces')
  }

  test('two routes with the same method and path: one line naming both surfaces', () => {
    const copy = defineSurface({ ...echo, id: 'echoAgain', prefixes: ['/echo-again'], routes: [echo.routes[0]] })
    expect(failure([...SURFACES, echo, copy])).toBe(
      `telltale: ${echo.routes[0].method} ${echo.routes[0].path} is a route of both the echo and the echoAgain surface: one would hide the other`,
    )
  })

  test('the same path under another parameter name is the same route', () => {
    const [values] = statusBlocksMetrics.routes.filter((r) => r.path === '/api/metrics/values/:slug')
    const clash = defineSurface({
      ...echo,
      id: 'other',
      rateLimits: statusBlocksMetrics.rateLimits,
      routes: [{ ...values, path: '/api/metrics/values/:name' }],
    })
    expect(failure([...SURFACES, clash])).toMatch(
      /^telltale: GET \/api\/metrics\/values\/:name is a route of both the statusBlocksMetrics and the other surface/,
    )
  })

  test('a rate limit the surface does not define', () => {
    // @ts-expect-error: a rule the surface does not define is a type error; untyped callers get the config error.
    const typo = defineSurface({ ...echo, routes: [{ ...echo.routes[0], rateLimit: 'wirte' }] })
    expect(failure([...SURFACES, typo])).toMatch(
      /counts the rate limit "wirte", which the surface does not define \(it has: write/,
    )
  })

  test('two surfaces with one id', () => {
    expect(failure([...SURFACES, echo, { ...echo, prefixes: ['/echo2'], routes: [] }])).toBe(
      'telltale: two surfaces have the id "echo": give each its own',
    )
  })
})
