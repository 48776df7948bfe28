// Stored-shape records for tests that write to a store directly: a project, an API key, an event.
import { randomUUID } from 'node:crypto'
import type { ApiKey, NewEvent, Project } from '../../src/storage'

/** 2024-01-15T10:30:00.000Z */
export const T0 = Date.UTC(2024, 0, 15, 10, 30)

export function project(fields: Partial<Project> = {}): Project {
  const id = randomUUID()
  return { id, name: 'Acme', slug: `acme-${id}`, timezone: 'Europe/Berlin', createdAt: T0, ...fields }
}

export function apiKey(projectId: string, fields: Partial<ApiKey> = {}): ApiKey {
  const id = randomUUID()
  const prefix = `tt_${id.replace(/-/g, '').slice(0, 12)}`
  return {
    id,
    projectId,
    name: 'ci',
    prefix,
    hash: 'ab'.repeat(32),
    scopes: ['read', 'write'],
    createdAt: T0,
    lastUsedAt: null,
    revokedAt: null,
    ...fields,
  }
}

/** A stored-shape event: nothing set but what `fields` gives (a fresh random id by default). */
export function event(name: string, timestamp: number, fields: Partial<NewEvent> = {}): NewEvent {
  return {
    id: randomUUID(),
    name,
    timestamp,
    receivedAt: timestamp + 5,
    userId: null,
    userEmail: null,
    userName: null,
    value: null,
    properties: null,
    tags: null,
    clientId: null,
    ...fields,
  }
}
