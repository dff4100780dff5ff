// What surrounds the jobs: their log lines (readable from any node while a job runs), paused
// queues and counts per type, cron schedules, and the worker pools that are alive.
import type { Kysely, Selectable } from 'kysely'
import type { Database, ScheduleTable } from '../metadata/schema.js'
import type { JobState } from './job-store.js'

export class JobLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(jobId: number, line: string, now = new Date()): Promise<void> {
    await this.db.insertInto('job_logs').values({ job_id: jobId, at: now.toISOString(), line: line.slice(0, 4000) }).execute()
  }

  /** The log as text, a line per entry, oldest first (at most `limit` lines, the last ones). */
  async read(jobId: number, limit = 10_000): Promise<string> {
    const rows = await this.db.selectFrom('job_logs').select(['at', 'line']).where('job_id', '=', jobId).orderBy('id', 'desc').limit(limit).execute()
    return rows
      .reverse()
      .map((r) => `${r.at} ${r.line}\n`)
      .join('')
  }
}

export interface QueueCounts {
  type: string
  paused: boolean
  counts: Record<JobState, number>
  /** Due time of the oldest pending job that is due, or null. */
  oldestDue: string | null
}

const STATES: JobState[] = ['pending', 'running', 'success', 'error', 'stopped']

export class QueueStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Counts per state for every type that has jobs or is paused, plus `known` types. */
  async list(known: readonly string[], now = new Date()): Promise<QueueCounts[]> {
    const rows = await this.db.selectFrom('jobs').select(['type', 'state', (eb) => eb.fn.countAll<string>().as('n')]).groupBy(['type', 'state']).execute()
    const oldest = await this.db
      .selectFrom('jobs')
      .select(['type', (eb) => eb.fn.min('run_at').as('oldest')])
      .where('state', '=', 'pending')
      .where('run_at', '<=', now.toISOString())
      .groupBy('type')
      .execute()
    const paused = new Set(await this.paused())
    const types = [...new Set([...known, ...rows.map((r) => r.type), ...paused])].sort()
    return types.map((type) => ({
      type,
      paused: paused.has(type),
      counts: Object.fromEntries(STATES.map((s) => [s, Number(rows.find((r) => r.type === type && r.state === s)?.n ?? 0)])) as Record<JobState, number>,
      oldestDue: (oldest.find((o) => o.type === type)?.oldest as string | undefined) ?? null,
    }))
  }

  async paused(): Promise<string[]> {
    return (await this.db.selectFrom('job_queues').select('type').where('paused', '=', 1).execute()).map((r) => r.type)
  }

  async setPaused(type: string, paused: boolean, now = new Date()): Promise<void> {
    const at = now.toISOString()
    await this.db
      .insertInto('job_queues')
      .values({ type, paused: paused ? 1 : 0, updated_at: at })
      .onConflict((oc) => oc.column('type').doUpdateSet({ paused: paused ? 1 : 0, updated_at: at }))
      .execute()
  }

  /** Stops every pending job of a type (Harbor's "stop and clean"); returns how many. */
  async stopPending(type: string, now = new Date()): Promise<number> {
    const at = now.toISOString()
    const r = await this.db.updateTable('jobs').set({ state: 'stopped', finished_at: at, updated_at: at }).where('type', '=', type).where('state', '=', 'pending').executeTakeFirst()
    return Number(r.numUpdatedRows)
  }
}

export interface Schedule {
  id: number
  vendorType: string
  vendorId: number
  cron: string
  jobType: string
  payload: unknown
  nextAt: string
  updatedAt: string
}

function scheduleOf(r: Selectable<ScheduleTable>): Schedule {
  return {
    id: Number(r.id),
    vendorType: r.vendor_type,
    vendorId: Number(r.vendor_id),
    cron: r.cron,
    jobType: r.job_type,
    payload: JSON.parse(r.payload) as unknown,
    nextAt: r.next_at,
    updatedAt: r.updated_at,
  }
}

export class ScheduleStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Sets the schedule of a vendor (one per vendor), replacing any earlier one. */
  async put(s: { vendorType: string; vendorId: number; cron: string; jobType: string; payload: unknown; nextAt: Date }, now = new Date()): Promise<void> {
    const at = now.toISOString()
    const values = { cron: s.cron, job_type: s.jobType, payload: JSON.stringify(s.payload ?? null), next_at: s.nextAt.toISOString(), updated_at: at }
    await this.db
      .insertInto('schedules')
      .values({ vendor_type: s.vendorType, vendor_id: s.vendorId, created_at: at, ...values })
      .onConflict((oc) => oc.columns(['vendor_type', 'vendor_id']).doUpdateSet(values))
      .execute()
  }

  async get(vendorType: string, vendorId: number): Promise<Schedule | null> {
    const r = await this.db.selectFrom('schedules').selectAll().where('vendor_type', '=', vendorType).where('vendor_id', '=', vendorId).executeTakeFirst()
    return r === undefined ? null : scheduleOf(r)
  }

  async remove(vendorType: string, vendorId: number): Promise<void> {
    await this.db.deleteFrom('schedules').where('vendor_type', '=', vendorType).where('vendor_id', '=', vendorId).execute()
  }

  async due(now = new Date(), limit = 100): Promise<Schedule[]> {
    return (await this.db.selectFrom('schedules').selectAll().where('next_at', '<=', now.toISOString()).orderBy('next_at').limit(limit).execute()).map(scheduleOf)
  }

  /** Moves a schedule from `from` to `to`, if no other node did it first: true for the one that fires. */
  async advance(id: number, from: string, to: Date): Promise<boolean> {
    const r = await this.db.updateTable('schedules').set({ next_at: to.toISOString() }).where('id', '=', id).where('next_at', '=', from).executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  async list(offset: number, limit: number): Promise<{ items: Schedule[]; total: number }> {
    const total = await this.db.selectFrom('schedules').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    const rows = await this.db.selectFrom('schedules').selectAll().orderBy('id').offset(offset).limit(limit).execute()
    return { items: rows.map(scheduleOf), total: Number(total.n) }
  }
}

export interface WorkerPool {
  id: string
  host: string
  pid: number
  concurrency: number
  startedAt: string
  heartbeatAt: string
}

export class WorkerPoolStore {
  constructor(private readonly db: Kysely<Database>) {}

  async beat(p: Omit<WorkerPool, 'heartbeatAt'>, now = new Date()): Promise<void> {
    const at = now.toISOString()
    await this.db
      .insertInto('worker_pools')
      .values({ id: p.id, host: p.host, pid: p.pid, concurrency: p.concurrency, started_at: p.startedAt, heartbeat_at: at })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at }))
      .execute()
  }

  /** Pools seen since `since`; older rows (nodes gone) are deleted on the way. */
  async alive(since: Date): Promise<WorkerPool[]> {
    await this.db.deleteFrom('worker_pools').where('heartbeat_at', '<', since.toISOString()).execute()
    const rows = await this.db.selectFrom('worker_pools').selectAll().orderBy('started_at').execute()
    return rows.map((r) => ({ id: r.id, host: r.host, pid: Number(r.pid), concurrency: Number(r.concurrency), startedAt: r.started_at, heartbeatAt: r.heartbeat_at }))
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('worker_pools').where('id', '=', id).execute()
  }
}
