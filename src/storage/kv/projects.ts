import type { Project, ProjectRepository } from '../projects'
import { kvRecordType } from './records'
import type { KvStore } from './store'

/**
 * `project:{id}` holds the project; `project-slug:{slug}` holds the claim that makes slugs unique
 * across the store (`claimUnique`: a slug whose project was never written, a crash between the two
 * writes, is taken over once the claim is older than the grace period).
 */
export function kvProjects(kv: KvStore): ProjectRepository {
  const projects = kvRecordType<Project>(kv, { name: 'project', unique: { slug: 'store' } })
  return {
    create: ({ project }) => projects.create(project),
    get: ({ projectId }) => projects.get({ id: projectId }),
    getBySlug: ({ slug }) => projects.findUnique('slug', slug),
  }
}
