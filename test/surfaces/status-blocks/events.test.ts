// Status Blocks events surface (reference 000: "Send Event", "Batch Events", "Error Handling",
// "Code Examples"). Every documented example request is a test here.
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { makeTelltale, reply, type TestApp, UUID } from '../../helpers/app'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale()
})
afterEach(async () => {
  await t.close()
})

const stored = (id: string) => t.telltale.api.getEvent({ projectId: t.project.id, id })

describe('documented examples', () => {
  test('Send Event: the curl example request', async () => {
    const res = await reply(
      await t.post('/api/events', {
        event: 'user_signup',
        user_id: '123',
        user_email: 'john@example.com',
        metadata: { plan: 'starter', source: 'organic' },
      }),
    )
    expect(res.status).toBe(201)
    expect(Object.keys(res.body).sort()).toEqual(['event_id', 'success'])
    expect(res.body.success).toBe(true)
    expect(res.body.event_id).toMatch(UUID)

    const event = await stored(res.body.event_id)
    expect(event).toMatchObject({
      id: res.body.event_id,
      projectId: t.project.id,
      name: 'user_signup',
      userId: '123',
      userEmail: 'john@example.com',
      userName: null,
      value: null,
      properties: { plan: 'starter', source: 'organic' },
      timestamp: t.clock.now(),
      receivedAt: t.clock.now(),
    })
  })

  test('Batch Events: the curl example request', async () => {
    const res = await reply(
      await t.post('/api/events/batch', {
        events: [
          { event: 'user_signup', user_id: '1', user_email: 'alice@example.com' },
          {
            event: 'subscription_payment',
            user_id: '1',
            value: 29.0,
            metadata: { period: 'monthly', plan: 'starter' },
          },
        ],
      }),
    )
    expect(res.status).toBe(201)
    expect(Object.keys(res.body).sort()).toEqual(['created_count', 'event_ids', 'success'])
    expect(res.body.success).toBe(true)
    expect(res.body.created_count).toBe(2)
    expect(res.body.event_ids).toHaveLength(2)
    for (const id of res.body.event_ids) expect(id).toMatch(UUID)
    expect(new Set(res.body.event_ids).size).toBe(2)

    const [signup, payment] = await Promise.all(res.body.event_ids.map(stored))
    expect(signup).toMatchObject({
      name: 'user_signup',
      userId: '1',
      userEmail: 'alice@example.com',
      value: null,
      properties: null,
    })
    expect(payment).toMatchObject({
      name: 'subscription_payment',
      userId: '1',
      userEmail: null,
      value: 29,
      properties: { period: 'monthly', plan: 'starter' },
    })
  })

  test('Batch Events: the raw documented body, with "29.00" written as in the curl example', async () => {
    const body = `{
    "events": [
      { "event": "user_signup", "user_id": "1", "user_email": "alice@example.com" },
      { "event": "subscription_payment", "user_id": "1", "value": 29.00, "metadata": { "period": "monthly", "plan": "starter" } }
    ]
  }`
    const res = await reply(await t.post('/api/events/batch', body))
    expect(res.status).toBe(201)
    expect(res.body.created_count).toBe(2)
    expect((await stored(res.body.event_ids[1])).value).toBe(29)
  })

  test('JavaScript client: the exact payloads its track() builds', async () => {
    // class StatusBlocks { track(event, { userId, userEmail, value, metadata }) } from the document
    const track = async (
      event: string,
      {
        userId,
        userEmail,
        value,
        metadata,
      }: { userId?: string; userEmail?: string; value?: number; metadata?: object } = {},
    ) => {
      const body: Record<string, unknown> = { event }
      if (userId) body.user_id = userId
      if (userEmail) body.user_email = userEmail
      if (value !== undefined) body.value = value
      if (metadata) body.metadata = metadata
      return t.telltale.fetch(
        new Request('http://localhost/api/events', {
          method: 'POST',
          headers: { Authorization: `Bearer ${t.keys.write}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        }),
      )
    }
    const signup = await reply(await track('user_signup', { userId: '123', userEmail: 'john@example.com' }))
    const payment = await reply(
      await track('subscription_payment', {
        userId: '123',
        value: 29.0,
        metadata: { period: 'monthly', plan: 'starter' },
      }),
    )
    for (const res of [signup, payment]) {
      expect(res.status).toBe(201)
      expect(res.body).toEqual({ success: true, event_id: expect.stringMatching(UUID) })
    }
    expect(await stored(signup.body.event_id)).toMatchObject({
      name: 'user_signup',
      userId: '123',
      userEmail: 'john@example.com',
    })
    expect(await stored(payment.body.event_id)).toMatchObject({
      name: 'subscription_payment',
      userId: '123',
      value: 29,
      properties: { period: 'monthly', plan: 'starter' },
    })
  })

  test('PHP / Laravel client: Http::withToken()->post() with array_filter()ed payloads', async () => {
    // Laravel's Http client sends JSON with `Content-Type: application/json` and `Accept: application/json`;
    // PHP's json_encode writes the float 29.00 as 29.0.
    const send = (body: string) =>
      t.post('/api/events', body, t.keys.write, { accept: 'application/json', 'user-agent': 'GuzzleHttp/7' })
    const signup = await reply(await send('{"event":"user_signup","user_id":"123","user_email":"john@example.com"}'))
    const payment = await reply(
      await send(
        '{"event":"subscription_payment","user_id":"123","value":29.0,"metadata":{"period":"monthly","plan":"starter"}}',
      ),
    )
    expect(signup).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(payment).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(await stored(payment.body.event_id)).toMatchObject({
      value: 29,
      properties: { period: 'monthly', plan: 'starter' },
    })
  })

  test('Python client: requests.post(json=payload) bodies (", " / ": " separators, 29.0)', async () => {
    const signup = await reply(
      await t.post('/api/events', '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'),
    )
    const payment = await reply(
      await t.post(
        '/api/events',
        '{"event": "subscription_payment", "user_id": "123", "value": 29.0, "metadata": {"period": "monthly", "plan": "starter"}}',
      ),
    )
    expect(signup).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(payment).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(await stored(signup.body.event_id)).toMatchObject({
      name: 'user_signup',
      userId: '123',
      userEmail: 'john@example.com',
    })
    expect(await stored(payment.body.event_id)).toMatchObject({
      name: 'subscription_payment',
      value: 29,
      properties: { period: 'monthly', plan: 'starter' },
    })
  })

  test('cURL: "Send a single event"', async () => {
    const res = await reply(
      await t.post('/api/events', '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'),
    )
    expect(res).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
  })

  test('cURL: "Send batch events"', async () => {
    const res = await reply(
      await t.post(
        '/api/events/batch',
        '{"events": [{"event": "user_signup", "user_id": "1"}, {"event": "user_login", "user_id": "1"}]}',
      ),
    )
    expect(res).toEqual({
      status: 201,
      body: { success: true, created_count: 2, event_ids: [expect.stringMatching(UUID), expect.stringMatching(UUID)] },
    })
    const names = (await Promise.all(res.body.event_ids.map(stored))).map((e) => (e as { name: string }).name)
    expect(names).toEqual(['user_signup', 'user_login'])
  })

  test('Error Handling: the documented 422 example (missing event)', async () => {
    const res = await reply(await t.post('/api/events', { user_id: '123' }))
    expect(res).toEqual({
      status: 422,
      body: { message: 'The event field is required.', errors: { event: ['The event field is required.'] } },
    })
  })

  test('Error Handling: the documented 401 example', async () => {
    const res = await reply(await t.post('/api/events', { event: 'user_signup' }, 'sb_your_api_key'))
    expect(res).toEqual({ status: 401, body: { message: 'Invalid API key.' } })
  })
})

describe('field rules', () => {
  const single = (body: unknown) => t.post('/api/events', body).then(reply)

  test('all optional fields are stored; user_name is accepted', async () => {
    const res = await single({
      event: 'e',
      user_id: 'u',
      user_email: 'a@b.co',
      user_name: 'Ann',
      value: -1.5,
      metadata: { nested: { a: [1] } },
    })
    expect(res.status).toBe(201)
    expect(await stored(res.body.event_id)).toMatchObject({
      userName: 'Ann',
      value: -1.5,
      properties: { nested: { a: [1] } },
    })
  })

  test('event at 100 characters is accepted; 101 is rejected', async () => {
    expect((await single({ event: 'e'.repeat(100) })).status).toBe(201)
    expect(await single({ event: 'e'.repeat(101) })).toEqual({
      status: 422,
      body: {
        message: 'The event field must not be greater than 100 characters.',
        errors: { event: ['The event field must not be greater than 100 characters.'] },
      },
    })
  })

  test.each(['user_id', 'user_name'])('%s at 255 characters is accepted; 256 is rejected', async (field) => {
    expect((await single({ event: 'e', [field]: 'x'.repeat(255) })).status).toBe(201)
    const attr = field.replace('_', ' ')
    expect(await single({ event: 'e', [field]: 'x'.repeat(256) })).toEqual({
      status: 422,
      body: {
        message: `The ${attr} field must not be greater than 255 characters.`,
        errors: { [field]: [`The ${attr} field must not be greater than 255 characters.`] },
      },
    })
  })

  test('user_email must be a valid email address', async () => {
    expect(await single({ event: 'e', user_email: 'john@' })).toEqual({
      status: 422,
      body: {
        message: 'The user email field must be a valid email address.',
        errors: { user_email: ['The user email field must be a valid email address.'] },
      },
    })
  })

  test('event must be a string, and an empty one is missing', async () => {
    expect((await single({ event: 42 })).body.errors).toEqual({ event: ['The event field must be a string.'] })
    expect((await single({ event: '' })).body.errors).toEqual({ event: ['The event field is required.'] })
    expect((await single({ event: null })).body.errors).toEqual({ event: ['The event field is required.'] })
  })

  test('value must be a number (a numeric string is not)', async () => {
    expect(await single({ event: 'e', value: '29.00' })).toEqual({
      status: 422,
      body: { message: 'The value field must be a number.', errors: { value: ['The value field must be a number.'] } },
    })
  })

  test('value must be finite (1e400 parses to Infinity)', async () => {
    const res = await reply(await t.post('/api/events', '{"event":"e","value":1e400}'))
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual({ value: ['The value field must be a number.'] })
    expect(await t.count()).toBe(0)
  })

  test('value null is the same as absent', async () => {
    const res = await single({ event: 'e', value: null })
    expect(res.status).toBe(201)
    expect((await stored(res.body.event_id)).value).toBeNull()
  })

  test.each([[['a']], ['plan'], [7]])('metadata must be an object (%j)', async (metadata) => {
    expect(await single({ event: 'e', metadata })).toEqual({
      status: 422,
      body: {
        message: 'The metadata field must be an object.',
        errors: { metadata: ['The metadata field must be an object.'] },
      },
    })
  })

  test('several broken rules: Laravel "(and N more errors)" message, every field listed', async () => {
    const res = await single({ event: 'e'.repeat(101), user_email: 'nope', value: 'x', metadata: [] })
    expect(res).toEqual({
      status: 422,
      body: {
        message: 'The event field must not be greater than 100 characters. (and 3 more errors)',
        errors: {
          event: ['The event field must not be greater than 100 characters.'],
          user_email: ['The user email field must be a valid email address.'],
          value: ['The value field must be a number.'],
          metadata: ['The metadata field must be an object.'],
        },
      },
    })
    expect(await t.count()).toBe(0)
  })

  test('core field names are not wire names: {"name": ...} is not an event name', async () => {
    const res = await single({ name: 'user_signup' })
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual({ event: ['The event field is required.'] })
  })
})

describe('timestamp', () => {
  const single = (timestamp: unknown) => t.post('/api/events', { event: 'e', timestamp }).then(reply)

  test('an ISO-8601 timestamp in the past is stored as given', async () => {
    const res = await single('2024-01-10T08:00:00Z')
    expect(res.status).toBe(201)
    const event = await stored(res.body.event_id)
    expect(event.timestamp).toBe(Date.parse('2024-01-10T08:00:00Z'))
    expect(event.receivedAt).toBe(t.clock.now())
  })

  test('offsets and fractions are understood', async () => {
    const res = await single('2024-01-15T12:00:00.250+02:00')
    expect(res.status).toBe(201)
    expect((await stored(res.body.event_id)).timestamp).toBe(Date.parse('2024-01-15T10:00:00.250Z'))
  })

  test('exactly 1 hour ahead is accepted (clock skew)', async () => {
    const res = await single('2024-01-15T11:30:00Z')
    expect(res.status).toBe(201)
    expect((await stored(res.body.event_id)).timestamp).toBe(Date.parse('2024-01-15T11:30:00Z'))
  })

  test('more than 1 hour ahead is rejected', async () => {
    expect(await single('2024-01-15T11:30:01Z')).toEqual({
      status: 422,
      body: {
        message: 'The timestamp field must not be more than 1 hour in the future.',
        errors: { timestamp: ['The timestamp field must not be more than 1 hour in the future.'] },
      },
    })
    expect(await t.count()).toBe(0)
  })

  test.each(['yesterday', '01/15/2024', '2024-13-01', 'now', ''])('garbage %j is rejected', async (timestamp) => {
    expect(await single(timestamp)).toEqual({
      status: 422,
      body: {
        message: 'The timestamp field must be a valid ISO-8601 date.',
        errors: { timestamp: ['The timestamp field must be a valid ISO-8601 date.'] },
      },
    })
  })
})

describe('client id (idempotency)', () => {
  test('the same id twice is stored once and answers with the same event_id', async () => {
    const first = await reply(await t.post('/api/events', { id: 'order-1001', event: 'purchase', value: 10 }))
    const again = await reply(await t.post('/api/events', { id: 'order-1001', event: 'purchase', value: 10 }))
    expect(first.status).toBe(201)
    expect(again).toEqual({ status: 201, body: { success: true, event_id: first.body.event_id } })
    expect(await t.count()).toBe(1)
    expect((await stored(first.body.event_id)).clientId).toBe('order-1001')
  })

  test('across single and batch endpoints', async () => {
    const single = await reply(await t.post('/api/events', { id: 'evt-a', event: 'signup' }))
    const batch = await reply(
      await t.post('/api/events/batch', {
        events: [
          { id: 'evt-b', event: 'login' },
          { id: 'evt-a', event: 'signup' },
        ],
      }),
    )
    expect(batch.status).toBe(201)
    expect(batch.body.event_ids[1]).toBe(single.body.event_id)
    expect(batch.body.event_ids[0]).not.toBe(single.body.event_id)
    expect(await t.count()).toBe(2)

    // and back: a batch id retried on the single endpoint
    const retry = await reply(await t.post('/api/events', { id: 'evt-b', event: 'login' }))
    expect(retry.body.event_id).toBe(batch.body.event_ids[0])
    expect(await t.count()).toBe(2)
  })

  test('a retried batch answers exactly as the first time and stores nothing new', async () => {
    const body = {
      events: [
        { id: 'x1', event: 'a' },
        { id: 'x2', event: 'b' },
      ],
    }
    const first = await reply(await t.post('/api/events/batch', body))
    const again = await reply(await t.post('/api/events/batch', body))
    expect(again).toEqual(first)
    expect(await t.count()).toBe(2)
  })

  test('concurrent retries with one id store one event and all answer its id', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.post('/api/events', { id: 'race', event: 'a' }).then(reply)),
    )
    const ids = new Set(results.map((r) => r.body.event_id))
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(ids.size).toBe(1)
    expect(await t.count()).toBe(1)
  })

  test('the same id twice in one batch is one event', async () => {
    const res = await reply(
      await t.post('/api/events/batch', {
        events: [
          { id: 'dup', event: 'a' },
          { id: 'dup', event: 'a' },
        ],
      }),
    )
    expect(res.status).toBe(201)
    expect(res.body.event_ids[0]).toBe(res.body.event_ids[1])
    expect(await t.count()).toBe(1)
  })

  test('ids are per project: the same id in another project is another event', async () => {
    const a = await reply(await t.post('/api/events', { id: 'shared', event: 'a' }))
    const b = await reply(await t.post('/api/events', { id: 'shared', event: 'a' }, t.other.key))
    expect(b.status).toBe(201)
    expect(b.body.event_id).not.toBe(a.body.event_id)
    expect(await t.count(t.project.id)).toBe(1)
    expect(await t.count(t.other.project.id)).toBe(1)
  })

  test('an id longer than 255 characters is rejected', async () => {
    const res = await reply(await t.post('/api/events', { id: 'i'.repeat(256), event: 'a' }))
    expect(res).toEqual({
      status: 422,
      body: {
        message: 'The id field must not be greater than 255 characters.',
        errors: { id: ['The id field must not be greater than 255 characters.'] },
      },
    })
  })
})

describe('batch rules', () => {
  const batch = (body: unknown) => t.post('/api/events/batch', body).then(reply)

  test('100 events are accepted', async () => {
    const res = await batch({ events: Array.from({ length: 100 }, (_, i) => ({ event: `e${i}` })) })
    expect(res.status).toBe(201)
    expect(res.body.created_count).toBe(100)
    expect(res.body.event_ids).toHaveLength(100)
    expect(await t.count()).toBe(100)
  })

  test('101 events are rejected and none stored', async () => {
    expect(await batch({ events: Array.from({ length: 101 }, (_, i) => ({ event: `e${i}` })) })).toEqual({
      status: 422,
      body: {
        message: 'The events field must not have more than 100 items.',
        errors: { events: ['The events field must not have more than 100 items.'] },
      },
    })
    expect(await t.count()).toBe(0)
  })

  test('an empty batch is rejected', async () => {
    expect(await batch({ events: [] })).toEqual({
      status: 422,
      body: {
        message: 'The events field must have at least 1 items.',
        errors: { events: ['The events field must have at least 1 items.'] },
      },
    })
  })

  test('events is required and must be an array', async () => {
    expect(await batch({})).toEqual({
      status: 422,
      body: { message: 'The events field is required.', errors: { events: ['The events field is required.'] } },
    })
    expect(await batch({ events: { event: 'a' } })).toEqual({
      status: 422,
      body: {
        message: 'The events field must be an array.',
        errors: { events: ['The events field must be an array.'] },
      },
    })
  })

  test('errors name the item (events.3.event) and a rejected batch writes nothing', async () => {
    const res = await batch({ events: [{ event: 'a' }, { event: 'b' }, { event: 'c' }, { user_id: '1' }] })
    expect(res).toEqual({
      status: 422,
      body: {
        message: 'The events.3.event field is required.',
        errors: { 'events.3.event': ['The events.3.event field is required.'] },
      },
    })
    expect(await t.count()).toBe(0)
  })

  test('every invalid item is reported, with wire names', async () => {
    const res = await batch({
      events: [
        { event: 'ok' },
        { event: 'x', user_email: 'bad' },
        'nope',
        { event: 'y', metadata: 'z', user_name: 'n'.repeat(256) },
      ],
    })
    expect(res.status).toBe(422)
    expect(res.body).toEqual({
      message: 'The events.1.user email field must be a valid email address. (and 3 more errors)',
      errors: {
        'events.1.user_email': ['The events.1.user email field must be a valid email address.'],
        'events.2': ['The events.2 field must be an object.'],
        'events.3.user_name': ['The events.3.user name field must not be greater than 255 characters.'],
        'events.3.metadata': ['The events.3.metadata field must be an object.'],
      },
    })
    expect(await t.count()).toBe(0)
  })

  test('a future timestamp in one item rejects the whole batch', async () => {
    const res = await batch({ events: [{ event: 'a' }, { event: 'b', timestamp: '2024-01-16T00:00:00Z' }] })
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual({
      'events.1.timestamp': ['The events.1.timestamp field must not be more than 1 hour in the future.'],
    })
    expect(await t.count()).toBe(0)
  })

  test('limits.batchSize.statusBlocks changes the maximum', async () => {
    const small = await makeTelltale({ limits: { batchSize: { statusBlocks: 2 } } })
    try {
      const res = await reply(
        await small.post('/api/events/batch', { events: [{ event: 'a' }, { event: 'b' }, { event: 'c' }] }),
      )
      expect(res.body.errors).toEqual({ events: ['The events field must not have more than 2 items.'] })
      expect((await small.post('/api/events/batch', { events: [{ event: 'a' }, { event: 'b' }] })).status).toBe(201)
    } finally {
      await small.close()
    }
  })
})
