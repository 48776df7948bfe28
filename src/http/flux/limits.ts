import type { H3Event } from 'h3'
import type { CoreContext } from '../../core/context'
import { consumeRateLimit, rateLimitHeaders } from '../../core/rate-limit'
import type { AuthContext } from '../auth'

type Kind = 'fluxEvent' | 'fluxBatch' | 'fluxQuery'

/** Counts the request against its Flux limit (per API key; per project for host sessions). */
export async function applyFluxRateLimit(ctx: CoreContext, event: H3Event, auth: AuthContext, kind: Kind): Promise<void> {
  const rule = ctx.limits.rateLimits[kind]
  if (!rule) return
  const state = await consumeRateLimit(ctx, { projectId: auth.projectId, bucket: `${kind}:${auth.keyId ?? 'session'}`, rule })
  for (const [name, value] of Object.entries(rateLimitHeaders(state))) event.res.headers.set(name, value)
}
