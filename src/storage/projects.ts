/** A tenant. Every other record belongs to exactly one project. */
export interface Project {
  id: string
  name: string
  /** URL-safe and unique across the store; used by public pages (`/status/:slug`). */
  slug: string
  /** IANA zone used for calendar-day buckets (metric history, daily rollups). */
  timezone: string
  createdAt: number
}

export interface ProjectRepository {
  /** Inserts a project. Rejects with `ConflictError` when the slug is taken. */
  create(input: { project: Project }): Promise<Project>
  /** The project, or `undefined`. */
  get(input: { projectId: string }): Promise<Project | undefined>
  /** Looks a project up by slug (public pages resolve a slug to a project this way). */
  getBySlug(input: { slug: string }): Promise<Project | undefined>
}
