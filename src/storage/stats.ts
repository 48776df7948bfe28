// Planned (roadmap: StatFlow). Stat points are events named after the stat; this is the registry.
export type StatType = 'counter' | 'value'

export interface Stat {
  id: string
  projectId: string
  name: string
  /** A stat keeps the type it was created with. */
  type: StatType
  /** Private stats are never served through a public dashboard link. */
  isPublic: boolean
  createdAt: number
  lastValue: number | null
  lastSeenAt: number | null
}

export interface StatRepository {
  /** Returns the existing stat by name, or creates it with `type` (atomic get-or-create). */
  ensure(input: { projectId: string; name: string; type: StatType; id: string; now: number }): Promise<Stat>
  get(input: { projectId: string; id: string }): Promise<Stat | undefined>
  list(input: { projectId: string }): Promise<Stat[]>
  recordLast(input: { projectId: string; statId: string; value: number; at: number }): Promise<void>
  /** Import progress (StatHat): one row per import run, updated as stats complete. */
  putImportStatus(input: { projectId: string; status: Record<string, unknown> }): Promise<void>
  getImportStatus(input: { projectId: string }): Promise<Record<string, unknown> | undefined>
}
