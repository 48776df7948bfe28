// A surface that exists only in tests, to prove that adding one is a folder and a line in the
// registry: two routes over existing operations, StatusCore's error shape, one rate limit.
import { countEvents, trackEvent } from '../../../src/events'
import { defineRoute, defineSurface } from '../../../src/surfaces'
import { plainErrors } from '../../../src/surfaces/errors'

export const echo = defineSurface({
  id: 'echo',
  prefixes: ['/echo'],
  errors: plainErrors({ name: 'title' }),
  rateLimits: { write: { limit: 2, windowMs: 60_000 } },
  routes: [
    defineRoute({
      method: 'POST',
      path: '/echo/notes',
      operation: trackEvent,
      rateLimit: 'write',
      body: (body) => ({ name: body.title, properties: { text: body.text } }),
      status: 201,
      reply: ({ id }, input) => ({ note: { id, title: input.name } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/echo/notes/count',
      operation: countEvents,
      query: (params) => ({ filter: { name: params.get('title') ?? undefined } }),
      reply: ({ total }) => ({ count: total }),
    }),
  ],
})
