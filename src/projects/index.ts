import { defineDomain } from '../core/domain'
import { createProject, ensureProject, getProject, getProjectBySlug } from './operations'

/** Projects: every tenant's record. Other domains reach a project through `requireProject` (core). */
export const projects = defineDomain({
  id: 'projects',
  operations: { createProject, ensureProject, getProject, getProjectBySlug },
})

export { createProject, ensureProject, getProject, getProjectBySlug }
