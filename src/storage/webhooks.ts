// Planned (roadmap: monitors and stats alerts share webhook channels).
export interface WebhookEndpoint {
  id: string
  projectId: string
  url: string
  format: 'generic' | 'slack' | 'discord'
  /** HMAC-SHA256 secret for the signature header over `timestamp.body`. */
  secret: string
  createdAt: number
}

/** One notification to one endpoint. Delivered by whoever claims it (see `JobRepository`). */
export interface WebhookDelivery {
  id: string
  projectId: string
  endpointId: string
  event: string
  body: string
  attempts: number
  nextAttemptAt: number | null
  status: 'pending' | 'delivered' | 'failed'
  lastResponseStatus: number | null
  lastError: string | null
  createdAt: number
}

export interface WebhookRepository {
  createEndpoint(input: { endpoint: WebhookEndpoint }): Promise<WebhookEndpoint>
  listEndpoints(input: { projectId: string }): Promise<WebhookEndpoint[]>
  deleteEndpoint(input: { projectId: string; id: string }): Promise<boolean>
  enqueue(input: { deliveries: WebhookDelivery[] }): Promise<void>
  /** Atomically claims due deliveries (`nextAttemptAt <= now`) for `owner` until `now + leaseMs`. */
  claimDue(input: { now: number; owner: string; leaseMs: number; limit: number }): Promise<WebhookDelivery[]>
  recordAttempt(input: { delivery: WebhookDelivery }): Promise<void>
  listDeliveries(input: { projectId: string; endpointId?: string; limit: number }): Promise<WebhookDelivery[]>
}
