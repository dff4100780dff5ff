// System jobs as Harbor runs them (garbage collection, audit-log purge): one kind of work with
// parameters, run now or on a schedule, at most one run at a time across all nodes, each run an
// execution with one task whose job log is the run's log, stoppable, and kept as history.
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import type { SystemPermission } from '../../auth/permissions.js'
import type { Execution } from '../../metadata/execution-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import { nextRun, type JobService } from '../../jobs/job-service.js'
import type { Executions, TaskContext } from '../../jobs/executions.js'
import { actorOf, requireSystemAccess } from '../identity/guards.js'
import type { AuditLog } from '../audit/audit-log.js'

/** Harbor's schedule types; Custom and Schedule carry their own cron. */
export type ScheduleType = 'Hourly' | 'Daily' | 'Weekly' | 'Custom' | 'Schedule' | 'None' | 'Manual'

/** Harbor's crons for its named schedules (six fields, seconds first). */
const PRESETS: Partial<Record<ScheduleType, string>> = { Hourly: '0 0 * * * *', Daily: '0 0 0 * * *', Weekly: '0 0 0 * * 0' }

export interface SystemSchedule {
  type: ScheduleType
  cron: string
  nextScheduledTime: string | null
  parameters: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export interface SystemJobKind<P extends Record<string, unknown>> {
  /** The execution's vendor type, e.g. GARBAGE_COLLECTION. */
  vendorType: string
  /** The job type its single task runs as. */
  jobType: string
  /** Harbor's system resource for permissions, e.g. garbage-collection. */
  resource: 'garbage-collection' | 'purge-audit' | 'scan-all'
  /** What the audit log calls it. */
  auditName: string
  maxAttempts: number
  /** Checks and completes the parameters of a run (BAD_REQUEST naming the key). */
  parameters(raw: Record<string, unknown>): P
  run(parameters: P, ctx: TaskContext): Promise<void>
}

/** What the API does with a system job, whatever its parameters. */
export interface SystemJobApi {
  trigger(caller: Caller, raw: Record<string, unknown>): Promise<number>
  history(caller: Caller, q: ListQuery): Promise<Listed<Execution>>
  get(caller: Caller, id: number): Promise<Execution>
  log(caller: Caller, id: number): Promise<string>
  stop(caller: Caller, id: number): Promise<void>
  schedule(caller: Caller): Promise<SystemSchedule | null>
  setSchedule(caller: Caller, type: ScheduleType, cron: string | undefined, raw: Record<string, unknown>): Promise<number | null>
}

interface SchedulePayload {
  type: ScheduleType
  parameters: Record<string, unknown>
}

export class SystemJobs<P extends Record<string, unknown>> implements SystemJobApi {
  private readonly scheduleJobType: string

  constructor(
    private readonly kind: SystemJobKind<P>,
    private readonly o: { executions: Executions; jobs: JobService; audit: AuditLog },
  ) {
    this.scheduleJobType = `${kind.jobType}_SCHEDULE`
    // Every system job changes what is stored (GC deletes, the purge deletes entries, scan-all
    // writes reports): its runs wait while the registry is read-only, and a schedule's slots
    // meanwhile are skipped as slots during any run are.
    o.executions.registerTask<P>({ jobType: kind.jobType, maxAttempts: kind.maxAttempts, heldWhileReadOnly: true, run: (p, ctx) => kind.run(p, ctx) })
    // A slot of the schedule fires once across nodes; a run still going when it fires is left alone.
    o.jobs.register({
      type: this.scheduleJobType,
      maxAttempts: 1,
      run: async (raw, ctx) => {
        const id = await this.start(this.kind.parameters((raw as SchedulePayload).parameters ?? {}), 'SCHEDULE')
        await ctx.log(id === null ? 'a run is in progress; this slot is skipped' : `started run ${id}`)
      },
    })
  }

  private allow(caller: Caller, action: 'create' | 'read' | 'update' | 'stop' | 'list'): void {
    requireSystemAccess(caller, `${this.kind.resource}:${action}` as SystemPermission)
  }

  private start(parameters: P, trigger: 'MANUAL' | 'SCHEDULE'): Promise<number | null> {
    return this.o.executions.run(this.kind.vendorType, 0, trigger, this.kind.jobType, [{ payload: parameters }], parameters)
  }

  /** Runs now: the new run's id; CONFLICT while one is running (on any node). */
  async trigger(caller: Caller, raw: Record<string, unknown>): Promise<number> {
    this.allow(caller, 'create')
    const id = await this.start(this.kind.parameters(raw), 'MANUAL')
    if (id === null) throw new BerthError('CONFLICT', `another ${this.kind.auditName} is running; wait for it to end or stop it`)
    this.o.audit.record({ ...actorOf(caller), operation: 'create', resourceType: this.kind.resource, resource: String(id), result: 'success' })
    return id
  }

  async history(caller: Caller, q: ListQuery): Promise<Listed<Execution>> {
    this.allow(caller, 'list')
    return this.o.executions.executions.list(this.kind.vendorType, q)
  }

  async get(caller: Caller, id: number): Promise<Execution> {
    this.allow(caller, 'read')
    return this.o.executions.get(id, this.kind.vendorType)
  }

  /** The run's log: its task's job log. */
  async log(caller: Caller, id: number): Promise<string> {
    this.allow(caller, 'read')
    await this.o.executions.get(id, this.kind.vendorType)
    const { items } = await this.o.executions.tasks.list(id, { conditions: [], sort: [], page: 1, pageSize: 1 })
    return items[0] === undefined ? '' : this.o.executions.log(items[0])
  }

  async stop(caller: Caller, id: number): Promise<void> {
    this.allow(caller, 'stop')
    await this.o.executions.stop(id, this.kind.vendorType)
    this.o.audit.record({ ...actorOf(caller), operation: 'stop', resourceType: this.kind.resource, resource: String(id), result: 'success' })
  }

  /** The schedule, or null when there is none. */
  async schedule(caller: Caller): Promise<SystemSchedule | null> {
    this.allow(caller, 'read')
    const s = await this.o.jobs.schedules.get(this.kind.vendorType, 0)
    if (s === null) return null
    const p = s.payload as SchedulePayload
    return { type: p.type, cron: s.cron, nextScheduledTime: s.nextAt, parameters: p.parameters, createdAt: s.updatedAt, updatedAt: s.updatedAt }
  }

  /**
   * Sets the schedule (Harbor's POST and PUT of .../schedule). `Manual` runs once now instead;
   * `None` removes the schedule. Returns the run's id for `Manual`.
   */
  async setSchedule(caller: Caller, type: ScheduleType, cron: string | undefined, raw: Record<string, unknown>): Promise<number | null> {
    if (type === 'Manual') return this.trigger(caller, raw)
    this.allow(caller, 'update')
    const parameters = this.kind.parameters(raw)
    if (type === 'None') {
      await this.o.jobs.schedule(this.kind.vendorType, 0, null, this.scheduleJobType, null)
    } else {
      const expr = PRESETS[type] ?? cron ?? ''
      if (expr === '') throw new BerthError('BAD_REQUEST', `schedule.cron is required for a ${type} schedule`)
      nextRun(expr)
      await this.o.jobs.schedule(this.kind.vendorType, 0, expr, this.scheduleJobType, { type, parameters } satisfies SchedulePayload)
    }
    this.o.audit.record({ ...actorOf(caller), operation: 'update', resourceType: this.kind.resource, resource: 'schedule', result: 'success' })
    return null
  }
}
