// Planned (roadmap: StatFlow annotations).
export interface Annotation {
  id: string
  projectId: string
  timestamp: number
  text: string
  statIds: string[]
  tags: string[]
  createdAt: number
}

export interface AnnotationRepository {
  create(input: { annotation: Annotation }): Promise<Annotation>
  list(input: { projectId: string; from: number; to: number; statId?: string }): Promise<Annotation[]>
  delete(input: { projectId: string; id: string }): Promise<boolean>
}
