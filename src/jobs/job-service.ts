// The job service of one node: a pool of workers that claim due jobs of the registered types
// from the database, run them with a lease they renew by heartbeat, and retry failures with
// exponential backoff until the type's attempts run out (then the job stays, in state error,
// for the API to show). A job whose node died is claimed again once its lease lapses. Cron
// schedules fire from whichever node first moves the schedule's next run time (one UPDATE that
// only one node can win). Handlers must be idempotent: a job may run again after a crash.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Cron } from 'croner'
import type { Kysely } from 'kysely'
import { BerthError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import type { Database, Db } from '../metadata/schema.js'
import type { Bus } from '../cache/shared-state.js'
import { ATTR, SpanKind, SpanStatusCode, contextOfTraceParent, startSpan, untraced, withSpan } from '../lib/tracing.js'
import { JobStore, type Job, type NewJob, type Outcome } from './job-store.js'
import { JobLogStore, QueueStore, ScheduleStore, WorkerPoolStore } from './job-records.js'

export interface JobContext {
  job: Job
  /** Aborted when the job is stopped, its lease is lost, or the node shuts down. */
  signal: AbortSignal
  /** A line in the job's log, readable through the API from any node at once. */
  log(line: string): Promise<void>
}

export interface JobType {
  type: string
  /** Attempts before the job is given up (state error). */
  maxAttempts: number
  run(payload: unknown, ctx: JobContext): Promise<void>
  /** Called once a job of this type has ended for good (success, error or stopped), on the node that ran it last. */
  ended?(job: Job, state: 'success' | 'error' | 'stopped'): Promise<void>
  /** Jobs of this type change the registry's content (GC, retention...): none is claimed while the registry is read-only; they wait, pending. */
  heldWhileReadOnly?: boolean
}

/** Work that runs on a schedule, once per slot across all nodes (see JobService.periodic). */
export interface PeriodicJob {
  /** The job type, also the vendor type of its schedule (e.g. SYSTEM_UPLOAD_PURGE). */
  type: string
  /** Harbor's 6 fields (seconds first) or 5; null or '' for no schedule. */
  cron: string | null
  /** 1 by default: the next slot is the retry. */
  maxAttempts?: number
  run(ctx: JobContext): Promise<void>
}

export interface JobServiceOptions {
  db: Db
  log: Logger
  bus: Bus
  /** Workers on this node. */
  concurrency: number
  leaseMs: number
  /** How often an idle worker looks for work (a wake-up message comes sooner). */
  pollMs?: number
  /** First retry delay; doubled per attempt up to maxBackoffMs. */
  backoffMs?: number
  maxBackoffMs?: number
  /** How often schedules are checked. */
  tickMs?: number
  /** Whether the registry is read-only now: job types `heldWhileReadOnly` are not claimed meanwhile. */
  readOnly?: () => Promise<boolean>
  /** Told of every attempt this node ran: its type, how it ended (pending: to be retried) and how long it took. */
  observe?: (type: string, state: Outcome['state'], seconds: number) => void
}

/** A thrown error of this kind fails the job at once, without retries. */
export class PermanentJobError extends Error {}

const WAKE = 'jobs-enqueued'
const STOP = 'job-stop'

/** The next run of a cron expression (Harbor's 6 fields, seconds first, or 5) after `from`; BAD_REQUEST when invalid. */
export function nextRun(cron: string, from = new Date()): Date {
  let next: Date | null
  try {
    next = new Cron(cron, { paused: true }).nextRun(from)
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `invalid cron expression ${JSON.stringify(cron)}: ${(err as Error).message}`)
  }
  if (next === null) throw new BerthError('BAD_REQUEST', `cron expression ${JSON.stringify(cron)} never fires`)
  return next
}

export class JobService {
  /** This node's pool: `<host>:<pid>:<random>`; worker slots are `<pool>#<n>`. */
  readonly poolId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  readonly jobs: JobStore
  readonly logs: JobLogStore
  readonly queues: QueueStore
  readonly schedules: ScheduleStore
  readonly pools: WorkerPoolStore
  private readonly types = new Map<string, JobType>()
  private readonly periodics: { type: string; cron: string | null }[] = []
  private readonly running = new Map<number, { controller: AbortController; slot: string; type: string; startedAt: string }>()
  private readonly loops: Promise<void>[] = []
  private readonly startedAt = new Date().toISOString()
  /** Idle workers waiting for work. */
  private readonly waiting = new Set<() => void>()
  private timers: NodeJS.Timeout[] = []
  private stopping = false
  private started = false

  constructor(private readonly o: JobServiceOptions) {
    const k = o.db.kysely
    this.jobs = new JobStore(k, o.db.dialect)
    this.logs = new JobLogStore(k)
    this.queues = new QueueStore(k)
    this.schedules = new ScheduleStore(k)
    this.pools = new WorkerPoolStore(k)
    o.bus.subscribe(WAKE, () => this.wakeUp())
    // A stop asked on another node: abort here at once rather than at the next heartbeat.
    o.bus.subscribe(STOP, (id) => this.running.get(Number(id))?.controller.abort(new Error('stopped')))
  }

  /** Adds a job type; throws when the type is taken, so that a second consumer never silently replaces the first. */
  register(t: JobType): void {
    if (this.types.has(t.type)) throw new Error(`job type ${t.type} is already registered`)
    this.types.set(t.type, t)
  }

  /**
   * A periodic job in one line: registers `type` and remembers its schedule (`cron`, Harbor's
   * 6 fields or 5; null or '' for none), written by `schedulePeriodic()` at start-up under the
   * vendor type of the same name. Each slot runs once across all nodes: only the node that
   * advances the schedule enqueues the slot's job.
   */
  periodic(p: PeriodicJob): void {
    this.register({ type: p.type, maxAttempts: p.maxAttempts ?? 1, run: (_payload, ctx) => p.run(ctx) })
    this.periodics.push({ type: p.type, cron: p.cron })
  }

  /** Writes the schedules of the periodic jobs (every node does at start; the same schedule again keeps its next run). */
  async schedulePeriodic(): Promise<void> {
    for (const p of this.periodics) await this.schedule(p.type, 0, p.cron, p.type, null)
  }

  /** Jobs running on this node now, by type. */
  runningByType(): Map<string, number> {
    const out = new Map<string, number>()
    for (const r of this.running.values()) out.set(r.type, (out.get(r.type) ?? 0) + 1)
    return out
  }

  get registeredTypes(): string[] {
    return [...this.types.keys()].sort()
  }

  /** The types a worker may claim now: all of them, less those held while the registry is read-only. */
  private async claimableTypes(): Promise<string[]> {
    const all = this.registeredTypes
    if (this.o.readOnly === undefined || !(await this.o.readOnly().catch(() => false))) return all
    return all.filter((t) => this.types.get(t)?.heldWhileReadOnly !== true)
  }

  /**
   * Adds a job. With `executor` (a transaction) the job commits or rolls back with the change
   * that caused it: the outbox. Workers are woken at once; a job in a transaction not yet
   * committed is found at the next poll.
   */
  async enqueue(j: Omit<NewJob, 'maxAttempts'> & { maxAttempts?: number }, executor?: Kysely<Database>): Promise<number> {
    const t = this.types.get(j.type)
    if (t === undefined) throw new Error(`no job type ${j.type} registered`)
    const store = executor === undefined ? this.jobs : new JobStore(executor, this.o.db.dialect)
    const id = await store.enqueue({ ...j, maxAttempts: j.maxAttempts ?? t.maxAttempts })
    if (executor === undefined) await this.wake()
    return id
  }

  /** Wakes idle workers on every node. */
  async wake(): Promise<void> {
    await this.o.bus.publish(WAKE, '').catch(() => {})
  }

  /** Stops a job (pending: at once; running: its worker aborts it). NOT_FOUND for an unknown id. */
  async stop(id: number): Promise<Job> {
    const job = await this.jobs.requestStop(id)
    if (job === null) throw new BerthError('NOT_FOUND', `job ${id} not found`)
    if (job.state === 'running') await this.o.bus.publish(STOP, String(id)).catch(() => {})
    return job
  }

  /** Sets or clears a type's schedule (cron), e.g. a replication policy's. */
  async schedule(vendorType: string, vendorId: number, cron: string | null, jobType: string, payload: unknown): Promise<void> {
    if (cron === null || cron === '') return this.schedules.remove(vendorType, vendorId)
    const next = nextRun(cron)
    // The same schedule set again (every node does at start-up) keeps its next run: a rolling
    // restart must not keep pushing a 15-minute schedule into the future.
    const existing = await this.schedules.get(vendorType, vendorId)
    if (existing !== null && existing.cron === cron && existing.jobType === jobType && JSON.stringify(existing.payload) === JSON.stringify(payload ?? null)) return
    await this.schedules.put({ vendorType, vendorId, cron, jobType, payload, nextAt: next })
  }

  /** Starts the workers, the schedule ticker and the pool heartbeat. */
  start(): void {
    if (this.started) return
    this.started = true
    const beat = () =>
      void this.pools
        .beat({ id: this.poolId, host: hostname(), pid: process.pid, concurrency: this.o.concurrency, startedAt: this.startedAt })
        .catch((err) => this.o.log.warn({ err }, 'worker pool heartbeat failed'))
    beat()
    this.timers.push(setInterval(beat, 10_000))
    this.timers.push(setInterval(() => void this.tick().catch((err) => this.o.log.warn({ err }, 'schedule check failed')), this.o.tickMs ?? 1_000))
    for (let i = 0; i < this.o.concurrency; i++) this.loops.push(this.loop(`${this.poolId}#${i}`))
  }

  /**
   * Stops claiming, gives running jobs `graceMs` to finish, aborts the rest and hands their
   * leases back (pending again, the attempt not counted) so another node takes them at once.
   */
  async close(graceMs = 5_000): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    for (const t of this.timers) clearInterval(t)
    this.wakeUp()
    const all = Promise.all(this.loops)
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs).unref())
    await Promise.race([all, timeout])
    for (const r of this.running.values()) r.controller.abort(new Error('node shutting down'))
    await Promise.race([all, new Promise((r) => setTimeout(r, 1_000).unref())])
    const released = await this.jobs.release(`${this.poolId}#`).catch(() => 0)
    if (released > 0) this.o.log.info({ released }, 'job leases released')
    await this.pools.remove(this.poolId).catch(() => {})
  }

  private wakeUp(): void {
    for (const w of this.waiting) w()
  }

  /** Waits `ms`, or less when woken. */
  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiting.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiting.add(done)
    })
  }

  private async loop(slot: string): Promise<void> {
    while (!this.stopping) {
      let job: Job | null = null
      try {
        job = await this.jobs.claim(await this.claimableTypes(), slot, this.o.leaseMs)
      } catch (err) {
        this.o.log.warn({ err }, 'claiming a job failed')
      }
      if (job === null) {
        if (!this.stopping) await this.idle(this.o.pollMs ?? 1_000)
        continue
      }
      await this.run(job, slot)
    }
  }

  /**
   * Runs a claimed job in a span of its own, a child of the span that enqueued it (when that was
   * traced): a push's replication, a webhook delivery, continue the push's trace.
   */
  private run(job: Job, slot: string): Promise<void> {
    const span = startSpan(`job ${job.type}`, {
      kind: SpanKind.CONSUMER,
      parent: contextOfTraceParent(job.traceParent),
      attributes: { [ATTR.JOB_ID]: job.id, [ATTR.JOB_TYPE]: job.type, [ATTR.JOB_ATTEMPT]: job.attempts },
    })
    return withSpan(span, async () => {
      const outcome = await this.attempt(job, slot)
      if (outcome !== null && outcome.state !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: `${outcome.state}: ${outcome.error ?? ''}` })
    })
  }

  /** One attempt at a claimed job: how it ended, or null when it was handed to another worker. */
  private async attempt(job: Job, slot: string): Promise<Outcome | null> {
    const t = this.types.get(job.type)!
    const controller = new AbortController()
    this.running.set(job.id, { controller, slot, type: job.type, startedAt: new Date().toISOString() })
    let lost = false
    // Lease renewals stay out of the job's trace.
    const heartbeat = untraced(() => setInterval(() => {
      void this.jobs
        .heartbeat(job.id, slot, this.o.leaseMs)
        .then((h) => {
          if (!h.ours) {
            lost = true
            controller.abort(new Error('lease lost'))
          } else if (h.stop) controller.abort(new Error('stopped'))
        })
        .catch((err) => this.o.log.warn({ err, job: job.id }, 'job heartbeat failed'))
    }, Math.max(100, Math.floor(this.o.leaseMs / 3))))
    const ctx: JobContext = { job, signal: controller.signal, log: (line) => this.logs.append(job.id, line).catch(() => {}) }
    let outcome: Outcome
    const began = process.hrtime.bigint()
    try {
      if (job.attempts > job.maxAttempts) throw new PermanentJobError(`gave up after ${job.maxAttempts} attempts (its workers stopped without finishing it)`)
      await ctx.log(`attempt ${job.attempts} of ${job.maxAttempts} on ${slot}`)
      await t.run(job.payload, ctx)
      if (controller.signal.aborted) throw controller.signal.reason
      outcome = { state: 'success' }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      const reason = controller.signal.aborted ? (controller.signal.reason as Error).message : ''
      if (reason === 'stopped') outcome = { state: 'stopped', error: 'stopped on request' }
      else if (err instanceof PermanentJobError || job.attempts >= job.maxAttempts) outcome = { state: 'error', error: message }
      else {
        const base = this.o.backoffMs ?? 2_000
        const delay = Math.min(base * 2 ** (job.attempts - 1), this.o.maxBackoffMs ?? 5 * 60_000) * (0.8 + Math.random() * 0.4)
        outcome = { state: 'pending', runAt: new Date(Date.now() + delay), error: message }
      }
      await ctx.log(`${outcome.state === 'pending' ? `failed, retrying in ${Math.round((outcome.runAt.getTime() - Date.now()) / 1000)} s` : outcome.state}: ${message}`)
    } finally {
      clearInterval(heartbeat)
      this.running.delete(job.id)
    }
    this.o.observe?.(job.type, outcome.state, Number(process.hrtime.bigint() - began) / 1e9)
    if (lost || (this.stopping && controller.signal.aborted)) return null // another worker owns it now, or close() hands it back
    const ended = await this.jobs.finish(job.id, slot, outcome).catch((err) => {
      this.o.log.warn({ err, job: job.id }, 'recording a job result failed')
      return false
    })
    if (!ended) return outcome
    if (outcome.state === 'pending') setTimeout(() => this.wakeUp(), Math.max(0, outcome.runAt.getTime() - Date.now())).unref()
    else await t.ended?.(job, outcome.state).catch((err) => this.o.log.warn({ err, job: job.id }, 'job end handler failed'))
    return outcome
  }

  /** Fires due schedules: each slot once across all nodes. */
  private async tick(): Promise<void> {
    const now = new Date()
    for (const s of await this.schedules.due(now)) {
      const next = nextRun(s.cron, now)
      await this.o.db.kysely.transaction().execute(async (trx) => {
        if (!(await new ScheduleStore(trx).advance(s.id, s.nextAt, next))) return
        await this.enqueue({ type: s.jobType, payload: s.payload, dedupeKey: `schedule:${s.id}:${s.nextAt}` }, trx)
      })
    }
  }
}
