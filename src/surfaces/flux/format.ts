import { formatUtcIso } from '../../core/time-zones'
import type { StoredEvent } from '../../storage'

/** Flux event ids are the store's UUIDs written `evt_<32 hex>`. */
export const toFluxId = (uuid: string): string => `evt_${uuid.replace(/-/g, '')}`

/** The UUID behind a Flux id, or `undefined` when it is not one. */
export function fromFluxId(id: string): string | undefined {
  const hex = /^evt_([0-9a-f]{32})$/i.exec(id)?.[1]
  return (
    hex &&
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase()
  )
}

/** The `data` of a track response. */
export function fluxTracked(event: Pick<StoredEvent, 'id' | 'name' | 'timestamp' | 'userId' | 'value'>) {
  return {
    id: toFluxId(event.id),
    name: event.name,
    timestamp: formatUtcIso(event.timestamp),
    user_id: event.userId,
    value: event.value,
  }
}

/** One item of a list response. */
export function fluxEvent(event: StoredEvent) {
  return { ...fluxTracked(event), properties: event.properties ?? {}, tags: event.tags ?? {} }
}
