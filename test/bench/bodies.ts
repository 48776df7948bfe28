// Varied, realistic request bodies, built once before the load starts so the load generator
// only replays buffers (its CPU should go to sending, not to building JSON).

const EVENT_NAMES = [
  'user_signup',
  'page_view',
  'feature_used',
  'subscription_payment',
  'checkout_started',
  'invite_sent',
]
const PLANS = ['starter', 'pro', 'enterprise']
const PAGES = ['/', '/pricing', '/docs/getting-started', '/blog/launch', '/settings/billing']
const SOURCES = ['organic', 'ads', 'referral', 'newsletter']

/** Deterministic pseudo-random numbers, so every run sends the same bodies. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const pick = <T>(rand: () => number, items: T[]): T => items[Math.floor(rand() * items.length)]

/** One event in Status Blocks wire fields, as `POST /api/events` takes it. */
export function wireEvent(rand: () => number): Record<string, unknown> {
  const user = `user_${Math.floor(rand() * 50_000) + 1}`
  const name = pick(rand, EVENT_NAMES)
  const event: Record<string, unknown> = { event: name, user_id: user }
  if (rand() < 0.6) event.user_email = `${user}@example.com`
  if (rand() < 0.3) event.user_name = `User ${user.slice(5)}`
  if (name === 'subscription_payment') event.value = pick(rand, [29, 99, 499])
  const metadata: Record<string, unknown> = { plan: pick(rand, PLANS) }
  if (name === 'page_view') metadata.page = pick(rand, PAGES)
  if (name === 'user_signup') metadata.source = pick(rand, SOURCES)
  if (rand() < 0.4) metadata.session_ms = Math.floor(rand() * 600_000)
  if (rand() < 0.2) metadata.beta = rand() < 0.5
  event.metadata = metadata
  return event
}

/** `count` distinct single-event bodies. */
export function singleBodies(count: number, seed = 1): string[] {
  const rand = rng(seed)
  return Array.from({ length: count }, () => JSON.stringify(wireEvent(rand)))
}

/** `count` distinct batch bodies of `size` events each (`{"events":[...]}`). */
export function batchBodies(count: number, size: number, seed = 2): string[] {
  const rand = rng(seed)
  return Array.from({ length: count }, () =>
    JSON.stringify({ events: Array.from({ length: size }, () => wireEvent(rand)) }),
  )
}
