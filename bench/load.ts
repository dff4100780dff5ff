// A closed-loop load generator: N workers issue requests back to back until a deadline
// or a request budget is reached, whichever comes first, and record each latency.
import { performance } from 'node:perf_hooks'

export type LoadOptions = {
  concurrency: number
  durationMs: number
  /** Requests issued before the timed part starts (fills connection pools, JITs both sides). */
  warmupMs: number
  /** Hard cap on timed requests; also sizes the latency buffer. */
  maxRequests: number
  /** Issue one request; resolve with its HTTP status. */
  issue: () => Promise<number>
  /** A status that counts as success. */
  ok: (status: number) => boolean
}

export type LoadResult = {
  concurrency: number
  seconds: number
  requests: number
  ok: number
  failed: number
  /** Successful requests per second. */
  rps: number
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number }
  statuses: Record<string, number>
  firstError?: string
  /** Why the loop ended: the deadline, the request budget, or too many errors. */
  stoppedBy: 'time' | 'count' | 'errors'
}

/** Give up on a step that only produces errors rather than spin until its deadline. */
const MAX_ERRORS = 1000

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (o.warmupMs > 0) await loop(o, o.warmupMs, Math.min(o.maxRequests, 100_000), null)
  const latencies = new Float64Array(o.maxRequests)
  return await loop(o, o.durationMs, o.maxRequests, latencies)
}

async function loop(o: LoadOptions, durationMs: number, budget: number, latencies: Float64Array | null): Promise<LoadResult> {
  const statuses = new Map<number, number>()
  let issued = 0
  let done = 0
  let ok = 0
  let errors = 0
  let firstError: string | undefined
  let stoppedBy: LoadResult['stoppedBy'] = 'time'
  const start = performance.now()
  const deadline = start + durationMs
  let last = start

  const worker = async (): Promise<void> => {
    for (;;) {
      if (issued >= budget) {
        stoppedBy = 'count'
        return
      }
      if (errors >= MAX_ERRORS) {
        stoppedBy = 'errors'
        return
      }
      const t0 = performance.now()
      if (t0 >= deadline) return
      issued++
      let status = 0
      try {
        status = await o.issue()
      } catch (e) {
        errors++
        firstError ??= e instanceof Error ? e.message : String(e)
      }
      const t1 = performance.now()
      last = t1
      if (status !== 0) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (o.ok(status)) {
          if (latencies) latencies[ok] = t1 - t0
          ok++
        } else {
          firstError ??= `HTTP ${status}`
        }
      }
      done++
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, worker))
  const seconds = (last - start) / 1000
  return {
    concurrency: o.concurrency,
    seconds,
    requests: done,
    ok,
    failed: done - ok,
    rps: seconds > 0 ? ok / seconds : 0,
    latencyMs: latencies ? summarize(latencies.subarray(0, ok)) : { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 },
    statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
    ...(firstError !== undefined ? { firstError } : {}),
    stoppedBy,
  }
}

function summarize(xs: Float64Array): LoadResult['latencyMs'] {
  if (xs.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 }
  const sorted = Float64Array.from(xs).sort()
  let sum = 0
  for (const x of sorted) sum += x
  return {
    mean: sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? 0,
  }
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] ?? 0
}
