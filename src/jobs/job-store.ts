// Jobs as rows. A worker claims a due job for a lease (one UPDATE that picks the row with
// FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent claimers never wait on or take the same
// row; SQLite serialises writers anyway), renews it by heartbeat, and ends it only while the
// lease is still its own: a worker that lost its lease cannot overwrite the next one's result.
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely'
import type { Database, Dialect, JobTable } from '../metadata/schema.js'
import { currentTraceParent } from '../lib/tracing.js'

export type JobState = JobTable['state']

export interface Job {
  id: number
  type: string
  payload: unknown
  state: JobState
  attempts: number
  maxAttempts: number
  runAt: string
  leaseOwner: string | null
  leaseUntil: string | null
  stopRequested: boolean
  lastError: string | null
  createdAt: string
  updatedAt: string
  startedAt: string | null
  finishedAt: string | null
  /** The trace its run continues (the span that enqueued it), or null. */
  traceParent: string | null
}

export interface NewJob {
  type: string
  payload: unknown
  maxAttempts: number
  runAt?: Date
  /** The same key twice makes one job (an event handled by two nodes, a schedule slot fired twice). */
  dedupeKey?: string
}

/** How a claimed job ended: done, to be tried again later, given up (the dead letter), or stopped. */
export type Outcome = { state: 'success' } | { state: 'pending'; runAt: Date; error: string } | { state: 'error'; error: string } | { state: 'stopped'; error?: string }

function jobOf(r: Selectable<JobTable>): Job {
  return {
    id: Number(r.id),
    type: r.type,
    payload: JSON.parse(r.payload) as unknown,
    state: r.state,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAt: r.run_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    stopRequested: Number(r.stop_requested) === 1,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    traceParent: r.trace_parent ?? null,
  }
}

/** Due now: pending and its time has come, or running on a lease that lapsed (its worker died). */
function due(now: string) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.or([eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', now)]), eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)])])
}

/** Leases held by one pool: owners are `<pool id>#<slot>`. */
function ownedBy(ownerPrefix: string) {
  return () => sql<boolean>`substr(lease_owner, 1, ${ownerPrefix.length}) = ${ownerPrefix}`
}

export class JobStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Adds a job, in the trace of the current span if any; a dedupe key already used returns the existing job's id instead. */
  async enqueue(j: NewJob, now = new Date()): Promise<number> {
    const at = now.toISOString()
    const inserted = await this.db
      .insertInto('jobs')
      .values({
        type: j.type,
        payload: JSON.stringify(j.payload ?? null),
        state: 'pending',
        max_attempts: j.maxAttempts,
        run_at: (j.runAt ?? now).toISOString(),
        dedupe_key: j.dedupeKey ?? null,
        // The enqueuing request's or job's trace, which the run continues.
        trace_parent: currentTraceParent(),
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst()
    if (inserted !== undefined) return Number(inserted.id)
    const existing = await this.db.selectFrom('jobs').select('id').where('dedupe_key', '=', j.dedupeKey!).executeTakeFirstOrThrow()
    return Number(existing.id)
  }

  /** Claims the next due job of one of `types` whose queue is not paused, for `owner` until `now + leaseMs`, counting an attempt. */
  async claim(types: readonly string[], owner: string, leaseMs: number, now = new Date()): Promise<Job | null> {
    if (types.length === 0) return null
    const at = now.toISOString()
    const pick = this.db
      .selectFrom('jobs')
      .select('id')
      .where(due(at))
      .where('type', 'in', types)
      .where('type', 'not in', this.db.selectFrom('job_queues').select('type').where('paused', '=', 1))
      .orderBy('run_at')
      .orderBy('id')
      .limit(1)
      .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'running',
        lease_owner: owner,
        lease_until: new Date(now.getTime() + leaseMs).toISOString(),
        attempts: eb('attempts', '+', 1),
        started_at: eb.fn.coalesce('started_at', sql.val(at)),
        updated_at: at,
      }))
      .where('id', '=', pick)
      // Again outside the subquery: on PostgreSQL a row another claimer took meanwhile no longer matches.
      .where(due(at))
      .returningAll()
      .executeTakeFirst()
    return row === undefined ? null : jobOf(row)
  }

  /** Renews `owner`'s lease. `ours` false: the lease lapsed and the job went to someone else, or ended. */
  async heartbeat(id: number, owner: string, leaseMs: number, now = new Date()): Promise<{ ours: boolean; stop: boolean }> {
    const row = await this.db
      .updateTable('jobs')
      .set({ lease_until: new Date(now.getTime() + leaseMs).toISOString(), updated_at: now.toISOString() })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .returning('stop_requested')
      .executeTakeFirst()
    return row === undefined ? { ours: false, stop: false } : { ours: true, stop: Number(row.stop_requested) === 1 }
  }

  /** Ends a claimed job, if `owner` still holds it; false when it does not (the result is dropped). */
  async finish(id: number, owner: string, o: Outcome, now = new Date()): Promise<boolean> {
    const at = now.toISOString()
    const r = await this.db
      .updateTable('jobs')
      .set({
        state: o.state,
        lease_owner: null,
        lease_until: null,
        last_error: o.state === 'success' ? null : (o.error ?? null),
        run_at: o.state === 'pending' ? o.runAt.toISOString() : sql<string>`run_at`,
        finished_at: o.state === 'pending' ? null : at,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Gives back every job `owner` holds (a node shutting down): pending again, the attempt not counted. */
  async release(ownerPrefix: string, now = new Date()): Promise<number> {
    const r = await this.db
      .updateTable('jobs')
      .set((eb) => ({ state: 'pending', lease_owner: null, lease_until: null, attempts: eb('attempts', '-', 1), updated_at: now.toISOString() }))
      .where('state', '=', 'running')
      .where(ownedBy(ownerPrefix))
      .executeTakeFirst()
    return Number(r.numUpdatedRows)
  }

  /** Stops a job: a pending one at once, a running one at its worker's next heartbeat. Null: no such job. */
  async requestStop(id: number, now = new Date()): Promise<Job | null> {
    const at = now.toISOString()
    await this.db
      .updateTable('jobs')
      .set({ state: 'stopped', finished_at: at, updated_at: at })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute()
    await this.db.updateTable('jobs').set({ stop_requested: 1, updated_at: at }).where('id', '=', id).where('state', '=', 'running').execute()
    return this.get(id)
  }

  async get(id: number): Promise<Job | null> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? null : jobOf(row)
  }

  /** The job enqueued with a dedupe key, if any (a job that stands for a thing, e.g. an execution's planning). */
  async byDedupeKey(key: string): Promise<Job | null> {
    const row = await this.db.selectFrom('jobs').selectAll().where('dedupe_key', '=', key).executeTakeFirst()
    return row === undefined ? null : jobOf(row)
  }

  /** Running jobs whose owner starts with `ownerPrefix` (one pool's busy workers). */
  async runningOf(ownerPrefix: string): Promise<Job[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('state', '=', 'running')
      .where(ownedBy(ownerPrefix))
      .orderBy('id')
      .execute()
    return rows.map(jobOf)
  }
}
