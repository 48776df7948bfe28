import { EgressError } from './errors'

/** The time a request may take, from its start to its last byte, and the caller's signal. */
export interface Budget {
  /** Epoch ms (performance.now() clock) when the request must be done. */
  deadline: number
  timeoutMs: number
  signal?: AbortSignal
}

export function budget(timeoutMs: number, signal?: AbortSignal): Budget {
  return { deadline: performance.now() + timeoutMs, timeoutMs, signal }
}

export const remaining = (limits: Budget) => Math.max(0, limits.deadline - performance.now())

export const timeoutError = (host: string, limits: Budget, what = 'no complete answer') =>
  new EgressError('timeout', host, `${host}: ${what} within ${limits.timeoutMs} ms`)

export const abortError = (host: string) => new EgressError('aborted', host, `${host}: aborted`)

/**
 * Calls `stop(error)` once when the deadline passes or the caller aborts; returns the function
 * that cancels the watch (call it when the work is done).
 */
export function watch(limits: Budget, host: string, stop: (error: EgressError) => void, what?: string): () => void {
  const onAbort = () => stop(abortError(host))
  const timer = setTimeout(() => stop(timeoutError(host, limits, what)), remaining(limits))
  limits.signal?.addEventListener('abort', onAbort, { once: true })
  return () => {
    clearTimeout(timer)
    limits.signal?.removeEventListener('abort', onAbort)
  }
}

/** `promise`, or an EgressError when the deadline passes or the caller aborts first. */
export function within<T>(promise: Promise<T>, limits: Budget, host: string, what?: string): Promise<T> {
  if (limits.signal?.aborted) return Promise.reject(abortError(host))
  return new Promise<T>((resolve, reject) => {
    const cancel = watch(limits, host, reject, what)
    promise.then(
      (value) => {
        cancel()
        resolve(value)
      },
      (error) => {
        cancel()
        reject(error)
      },
    )
  })
}
