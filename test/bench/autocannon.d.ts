// The slice of autocannon 8's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p99: number
    }

    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string | Buffer
    }

    interface Options {
      url: string
      connections?: number
      duration?: number
      pipelining?: number
      timeout?: number
      headers?: Record<string, string>
      requests?: Request[]
    }

    interface Result {
      requests: Histogram
      latency: Histogram
      throughput: Histogram
      /** Seconds. */
      duration: number
      errors: number
      timeouts: number
      non2xx: number
      '2xx': number
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result> & { stop(): void }
  export = autocannon
}
