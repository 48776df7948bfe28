// The fuzz oracle's error shapes (shape.ts) are read off each surface's formatter. Pinned here for
// the reference surfaces, so that a formatter drifting from the documented shape fails at once
// (the HTTP fuzz compares replies with the formatter, and so cannot see it), and checked against
// broken bodies, so that the oracle can fail.
import { describe, expect, test } from 'vitest'
import { SURFACES } from '../../src/surfaces'
import { flux } from '../../src/surfaces/flux'
import { statusBlocks } from '../../src/surfaces/status-blocks'
import { statusBlocksMetrics } from '../../src/surfaces/status-blocks-metrics'
import { echo } from '../surfaces/echo'
import { describeShape, errorShapeProblem, errorShapes, NO_SURFACE } from './shape'

const documented = (surface: Parameters<typeof errorShapes>[0], status: number) =>
  errorShapes(surface).byStatus.get(status)?.map(describeShape)

const LARAVEL = {
  404: ['{message: string}'],
  422: ['{message: string, errors: {*: [string]}}'],
  500: ['{message: "Server Error"}'],
}

describe('the documented error shapes, as the oracle reads them off the formatters', () => {
  test.each([
    ['Status Blocks', statusBlocks],
    ['Status Blocks metrics', statusBlocksMetrics],
    ['paths no surface owns', NO_SURFACE],
  ])('%s: Laravel', (_, surface) => {
    for (const [status, shapes] of Object.entries(LARAVEL)) expect(documented(surface, Number(status))).toEqual(shapes)
  })

  test('Flux: {error: {code, message}}, the code fixed for each status but 422', () => {
    expect(documented(flux, 400)).toEqual([
      '{error: {code: "invalid_json", message: string}}',
      '{error: {code: "bad_request", message: string}}',
    ])
    expect(documented(flux, 404)).toEqual(['{error: {code: "not_found", message: string}}'])
    expect(documented(flux, 422)).toEqual(['{error: {code: string, message: string, errors: {*: [string]}}}'])
    expect(documented(flux, 500)).toEqual(['{error: {code: "server_error", message: "Server Error"}}'])
  })

  test('a test-only surface gets its own (StatusCore: {error: "<message>"})', () => {
    expect(documented(echo, 422)).toEqual(['{error: string}'])
    expect(documented(echo, 401)).toEqual(['{error: string}'])
  })
})

describe('errorShapeProblem', () => {
  const surfaces = [...SURFACES, echo]
  const problem = (path: string, status: number, body: unknown) => errorShapeProblem(surfaces, path, status, body)

  test('accepts each surface its own shape, by the path', () => {
    expect(problem('/api/events?x=1', 422, { message: 'm', errors: { event: ['m'] } })).toBeUndefined()
    expect(problem('/api/metrics/values/x', 404, { message: 'Not found.' })).toBeUndefined()
    expect(problem('/api/v1/events', 401, { error: { code: 'unauthorized', message: 'm' } })).toBeUndefined()
    expect(problem('/api/v1', 404, { error: { code: 'not_found', message: 'm' } })).toBeUndefined()
    expect(
      problem('/api/v1/events/./count', 422, { error: { code: 'invalid_x', message: 'm', errors: {} } }),
    ).toBeUndefined()
    expect(problem('/echo/nothing', 404, { error: 'Not found.' })).toBeUndefined()
    expect(problem('/nowhere', 404, { message: 'Not found.' })).toBeUndefined()
    expect(problem('/api/v1/events', 400, { error: { code: 'bad_request', message: 'm' } })).toBeUndefined()
  })

  test.each<[string, string, number, unknown, RegExp]>([
    ['an extra key', '/api/events', 404, { message: 'm', status: 404 }, /extra keys "status"/],
    ['errors on a 404', '/api/events', 404, { message: 'm', errors: {} }, /extra keys "errors"/],
    ['no errors on a 422', '/api/events/batch', 422, { message: 'm' }, /`body.errors` is missing/],
    ['an empty message', '/api/metrics/definitions', 404, { message: '' }, /`body.message` is empty/],
    ['errors not {field: [string]}', '/api/events', 422, { message: 'm', errors: { a: 'm' } }, /body.errors.\*/],
    [
      'a message in an errors list that is not a string',
      '/api/events',
      422,
      { message: 'm', errors: { a: [1] } },
      /body.errors/,
    ],
    ['the Laravel shape on a Flux path', '/api/v1/events', 404, { message: 'Not found.' }, /^flux error \(404\)/],
    [
      'the Flux shape off every surface',
      '/nowhere',
      404,
      { error: { code: 'not_found', message: 'm' } },
      /^no surface/,
    ],
    ['another code', '/api/v1/events', 404, { error: { code: 'invalid_name', message: 'm' } }, /is not "not_found"/],
    [
      'a top-level extra key',
      '/api/v1/events',
      401,
      { error: { code: 'unauthorized', message: 'm' }, x: 1 },
      /extra keys "x"/,
    ],
    [
      'a code that is not a string',
      '/api/v1/events',
      422,
      { error: { code: 1, message: 'm', errors: {} } },
      /not a string/,
    ],
    ['a 500 that tells', '/api/events', 500, { message: 'SQLITE_ERROR: no such table' }, /is not "Server Error"/],
    ['not an object', '/echo/notes', 422, ['x'], /not an object/],
  ])('refuses %s', (_, path, status, body, why) => {
    expect(problem(path, status, body)).toMatch(why)
  })
})
