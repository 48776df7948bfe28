import type { Telltale } from 'telltale'

/** A week of plausible product events, so queries have something to return. */
export async function seedDemoData(telltale: Telltale, projectId: string): Promise<number> {
  const now = Date.now()
  const day = 86_400_000
  const plans = ['starter', 'pro', 'enterprise']
  const prices: Record<string, number> = { starter: 29, pro: 99, enterprise: 499 }
  const events = []
  for (let i = 0; i < 300; i++) {
    const user = `user_${(i % 60) + 1}`
    const plan = plans[i % plans.length]
    const at = new Date(now - Math.floor((((i * 7919) % 1000) / 1000) * 7 * day)).toISOString()
    events.push({
      name: 'page_view',
      userId: user,
      timestamp: at,
      properties: { page: i % 2 ? '/pricing' : '/' },
      tags: { plan },
    })
    if (i % 5 === 0)
      events.push({
        name: 'user_signup',
        userId: user,
        userEmail: `${user}@example.com`,
        timestamp: at,
        properties: { plan, source: i % 3 ? 'organic' : 'ads' },
        tags: { plan },
      })
    if (i % 4 === 0)
      events.push({
        name: 'subscription_payment',
        userId: user,
        value: prices[plan],
        timestamp: at,
        properties: { period: 'monthly', plan },
        tags: { plan },
      })
  }
  for (let i = 0; i < events.length; i += 100)
    await telltale.api.trackEvents({ projectId, events: events.slice(i, i + 100) })
  return events.length
}
