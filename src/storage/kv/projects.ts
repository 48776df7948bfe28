import { ConflictError } from '../index'
import type { Project, ProjectRepository } from '../projects'
import { type KvStore, kvKey } from './store'

/**
 * `project:{id}` holds the project; `project-slug:{slug}` holds its id and is what makes slugs
 * unique (set-if-absent). A slug whose project was never written (a crash between the two writes)
 * is taken over by the next create.
 */
export function kvProjects(kv: KvStore): ProjectRepository {
  const projectKey = (id: string) => kvKey('project', id)
  const slugKey = (slug: string) => kvKey('project-slug', slug)
  const read = async (id: string) => {
    const json = await kv.get(projectKey(id))
    return json === undefined ? undefined : (JSON.parse(json) as Project)
  }
  return {
    async create({ project }) {
      const slug = slugKey(project.slug)
      if (!(await kv.setIfAbsent(slug, project.id))) {
        const holder = await kv.get(slug)
        const orphan = holder !== undefined && (await read(holder)) === undefined
        if (!orphan || !(await kv.compareAndSet(slug, holder, project.id))) throw new ConflictError('slug')
      }
      if (!(await kv.setIfAbsent(projectKey(project.id), JSON.stringify(project)))) {
        if ((await kv.get(slug)) === project.id) await kv.delete(slug)
        throw new ConflictError('id')
      }
      return project
    },
    get: ({ projectId }) => read(projectId),
    async getBySlug({ slug }) {
      const id = await kv.get(slugKey(slug))
      const project = id ? await read(id) : undefined
      return project?.slug === slug ? project : undefined
    },
  }
}
