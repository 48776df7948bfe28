// Planned (roadmap: StatFlow alerts).
export interface AlertRule {
  id: string
  projectId: string
  statId: string
  kind:
    | { type: 'threshold'; op: 'above' | 'below'; value: number; windowMs: number }
    | { type: 'delta'; percent: number; windowMs: number }
    | { type: 'deadman'; silenceMs: number }
  /** The condition must hold this long before firing, so one bad point does not fire. */
  forMs: number
  state: 'ok' | 'pending' | 'firing'
  /** When the current state began; a transition is a compare-and-set on (state, stateSince). */
  stateSince: number
  createdAt: number
}

export interface AlertRepository {
  create(input: { rule: AlertRule }): Promise<AlertRule>
  list(input: { projectId: string; statId?: string }): Promise<AlertRule[]>
  delete(input: { projectId: string; id: string }): Promise<boolean>
  /**
   * Moves a rule from `from` to `to` only if it is still in `from` since `since`. Exactly one
   * instance wins a transition, so exactly one notification is sent.
   */
  transition(input: {
    projectId: string
    id: string
    from: AlertRule['state']
    since: number
    to: AlertRule['state']
    at: number
  }): Promise<boolean>
}
