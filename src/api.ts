import type { CoreContext } from './core/context'
import { getEvent, trackEvent, trackEvents } from './core/events'
import { createApiKey, listApiKeys, revokeApiKey } from './core/keys'
import { createProject, getProject, getProjectBySlug } from './core/projects'
import { countEvents, eventStats, listEvents } from './core/queries'

/**
 * Every operation, callable in-process. Each is the same function the HTTP routes call; each waits
 * for `ready()` first, so `api` works before the app has served a request.
 */
export function createApi(ctx: CoreContext, ready: () => Promise<void>) {
  const op =
    <I, O>(fn: (ctx: CoreContext, input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      await ready()
      return fn(ctx, input)
    }
  return {
    createProject: op(createProject),
    getProject: op(getProject),
    getProjectBySlug: op(getProjectBySlug),
    createApiKey: op(createApiKey),
    listApiKeys: op(listApiKeys),
    revokeApiKey: op(revokeApiKey),
    trackEvent: op(trackEvent),
    trackEvents: op(trackEvents),
    getEvent: op(getEvent),
    listEvents: op(listEvents),
    countEvents: op(countEvents),
    eventStats: op(eventStats),
  }
}

export type TelltaleApi = ReturnType<typeof createApi>
