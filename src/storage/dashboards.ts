// Planned (roadmap: StatFlow dashboards and public links).
export interface Dashboard {
  id: string
  projectId: string
  name: string
  charts: Array<{ statId: string; resolution: string; rangeMs: number }>
  /** SHA-256 of the public share token, or null when not shared. */
  shareTokenHash: string | null
  createdAt: number
}

export interface DashboardRepository {
  create(input: { dashboard: Dashboard }): Promise<Dashboard>
  get(input: { projectId: string; id: string }): Promise<Dashboard | undefined>
  list(input: { projectId: string }): Promise<Dashboard[]>
  update(input: { dashboard: Dashboard }): Promise<boolean>
  delete(input: { projectId: string; id: string }): Promise<boolean>
  /** Public links resolve a token to its dashboard before a project is known (like API keys). */
  findByShareToken(input: { tokenHash: string }): Promise<Dashboard | undefined>
}
