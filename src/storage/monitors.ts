// Planned (roadmap: uptime monitoring). Monitor ids are integers, as StatusCore shows them.
export type MonitorType = 'http' | 'https' | 'ping' | 'tcp' | 'sip' | 'domain' | 'heartbeat'
export type CheckStatus = 'up' | 'down' | 'degraded' | 'unknown'

export interface Monitor {
  id: number
  projectId: string
  name: string
  type: MonitorType
  target: string | null
  port: number | null
  sslCheck: boolean
  checkLocations: string[]
  intervalMs: number
  timeoutMs: number
  retries: number
  expectedStatus: number[] | null
  keyword: string | null
  isActive: boolean
  publicStatus: boolean
  /** Heartbeat monitors: secret push token, period/grace or a cron with a time zone. */
  heartbeat: { token: string; periodMs: number; graceMs: number; cron?: string; timezone?: string } | null
  createdAt: number
}

export interface CheckResult {
  projectId: string
  monitorId: number
  location: string
  checkedAt: number
  status: CheckStatus
  responseTimeMs: number | null
  details: Record<string, unknown>
}

export interface Incident {
  id: number
  projectId: string
  monitorId: number
  startedAt: number
  resolvedAt: number | null
  cause: string
}

export interface Anomaly {
  id: number
  projectId: string
  monitorId: number
  detectedAt: number
  responseTimeMs: number
  score: number
  acknowledgedAt: number | null
}

export interface MonitorRepository {
  create(input: { monitor: Omit<Monitor, 'id'> }): Promise<Monitor>
  get(input: { projectId: string; id: number }): Promise<Monitor | undefined>
  list(input: { projectId: string; publicOnly?: boolean }): Promise<Monitor[]>
  update(input: { monitor: Monitor }): Promise<boolean>
  /** Deletes the monitor with its checks, incidents and anomalies, atomically. */
  delete(input: { projectId: string; id: number }): Promise<boolean>
  recordCheck(input: { result: CheckResult }): Promise<void>
  listChecks(input: { projectId: string; monitorId: number; from: number; to: number }): Promise<CheckResult[]>
  /** Rolled-up uptime and response times per bucket (hourly/daily rollups keep 90 days cheap). */
  summarizeChecks(input: { projectId: string; monitorId: number; from: number; to: number; bucketMs: number }): Promise<
    Array<{
      start: number
      up: number
      total: number
      avgMs: number | null
      minMs: number | null
      maxMs: number | null
    }>
  >
  /** Opens an incident unless one is open for the monitor (atomic); returns the open incident. */
  openIncident(input: { incident: Omit<Incident, 'id'> }): Promise<Incident>
  resolveIncident(input: { projectId: string; monitorId: number; at: number }): Promise<Incident | undefined>
  listIncidents(input: { projectId: string; monitorId?: number; limit: number }): Promise<Incident[]>
  recordAnomaly(input: { anomaly: Omit<Anomaly, 'id'> }): Promise<Anomaly>
  listAnomalies(input: { projectId: string; unacknowledgedOnly: boolean; monitorId?: number }): Promise<Anomaly[]>
  acknowledgeAnomaly(input: { projectId: string; id: number; at: number }): Promise<boolean>
}
