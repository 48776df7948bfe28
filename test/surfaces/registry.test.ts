// The surface registry: a test-only surface (./echo) added with one line gets the router's whole
// prologue (auth, scope, rate limit, body, validation), its own error shape and its own paths.
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { SURFACES } from '../../src/surfaces'
import { makeTelltale, reply, type TestApp } from '../helpers/app'
import { echo } from './echo'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale({ surfaces: [...SURFACES, echo] })
})
afterEach(() => t.close())

const get = (path: string, key = t.keys.readWrite) => t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }))

describe('a surface added in one line', () => {
  test('serves its routes through the shared prologue and the shared store', async () => {
    expect(await reply(await t.post('/echo/notes', { title: 'hello', text: 'world' }))).toMatchObject({ status: 201, body: { note: { title: 'hello' } } })
    expect(await reply(await get('/echo/notes/count?title=hello'))).toEqual({ status: 200, body: { count: 1 } })
    // Written through echo, read through Flux: one event store.
    expect((await reply(await get('/api/v1/events?name=hello'))).body.data[0].properties).toEqual({ text: 'world' })
  })

  test('answers errors in its own shape, with its own wire names', async () => {
    expect(await reply(await t.post('/echo/notes', { text: 'no title' }))).toEqual({ status: 422, body: { error: 'The title field is required.' } })
    expect(await reply(await t.post('/echo/notes', { title: 'x' }, 'tt_wrong'))).toEqual({ status: 401, body: { error: 'Invalid API key.' } })
    expect(await reply(await t.post('/echo/notes', { title: 'x' }, t.keys.read))).toEqual({ status: 403, body: { error: 'This API key does not have the write scope.' } })
    expect(await reply(await get('/echo/nothing-here'))).toEqual({ status: 404, body: { error: 'Not found.' } })
    expect(await reply(await t.post('/echo/notes', '{"title": '))).toMatchObject({ status: 400, body: { error: 'The request body is not valid JSON.' } })
  })

  test('gets its rate limits from its definition, overridable under its id', async () => {
    for (let i = 0; i < 2; i++) expect((await t.post('/echo/notes', { title: 'n' })).status).toBe(201)
    const limited = await t.post('/echo/notes', { title: 'n' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    await t.close()
    t = await makeTelltale({ surfaces: [...SURFACES, echo], limits: { rateLimits: { echo: { write: false } } } })
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
