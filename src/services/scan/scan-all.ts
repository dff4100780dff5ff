// Scan-all as Harbor runs it (/system/scanAll, /scans/all/metrics): a SCAN_ALL execution, now or
// on a schedule, at most one at a time, whose first task reads every project's artifacts a page
// at a time and adds one scan task per image to the same execution (ScanService.scanAll).
// Harbor's rules on top of the system-job model: every route needs a default scanner (412),
// POST refuses a second schedule (412), PUT refuses Manual (400), stop without a run is 400.
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import type { SystemPermission } from '../../auth/permissions.js'
import type { Executions } from '../../jobs/executions.js'
import type { JobService } from '../../jobs/job-service.js'
import type { ScannerStore } from '../../metadata/scan-store.js'
import type { AuditLog } from '../audit/audit-log.js'
import { requireSystemAccess } from '../identity/guards.js'
import { SystemJobs, type ScheduleType, type SystemSchedule } from '../system/system-jobs.js'
import { SCAN_ALL, type ScanService } from './scan-service.js'

/** Harbor's Stats: the progress of the latest scan-all run (its scan tasks; the enqueuing task is not one). */
export interface ScanAllStats {
  total: number
  completed: number
  metrics: Record<'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped', number>
  ongoing: boolean
  /** Manual, Schedule or Event; absent before the first run. */
  trigger?: string
}

export class ScanAllService {
  private readonly jobs: SystemJobs<Record<string, never>>

  constructor(private readonly o: { scans: ScanService; scanners: ScannerStore; executions: Executions; jobs: JobService; audit: AuditLog }) {
    this.jobs = new SystemJobs(
      { vendorType: SCAN_ALL, jobType: 'SCAN_ALL_TASK', resource: 'scan-all', auditName: 'scan-all', maxAttempts: 1, parameters: () => ({}), run: (_p, ctx) => o.scans.scanAll(ctx) },
      { executions: o.executions, jobs: o.jobs, audit: o.audit },
    )
  }

  /** Harbor's check on every scan-all route: the permission, then a default scanner (412 without). */
  private async allow(caller: Caller, action: 'create' | 'read' | 'update' | 'stop'): Promise<void> {
    requireSystemAccess(caller, `scan-all:${action}` as SystemPermission)
    if ((await this.o.scanners.getDefault()) === null) throw new BerthError('PRECONDITION', 'no scanner is configured: register one and make it the default')
  }

  async schedule(caller: Caller): Promise<SystemSchedule | null> {
    await this.allow(caller, 'read')
    return this.jobs.schedule(caller)
  }

  /** Harbor's POST: None does nothing, Manual runs now (409 while one runs), a schedule only when there is none (412). */
  async create(caller: Caller, type: ScheduleType, cron: string | undefined): Promise<number | null> {
    await this.allow(caller, 'create')
    if (type === 'None') return null
    if (type === 'Manual') return this.jobs.trigger(caller, {})
    if ((await this.jobs.schedule(caller)) !== null) throw new BerthError('PRECONDITION', 'scan-all has a schedule already: change it with PUT, or remove it (type None) first')
    return this.jobs.setSchedule(caller, type, cron, {})
  }

  /** Harbor's PUT: None removes the schedule, Manual is refused (400). */
  async update(caller: Caller, type: ScheduleType, cron: string | undefined): Promise<void> {
    await this.allow(caller, 'update')
    if (type === 'Manual') throw new BerthError('BAD_REQUEST', 'schedule.type Manual cannot be set with PUT; POST it to run scan-all now')
    await this.jobs.setSchedule(caller, type, cron, {})
  }

  /** Stops the latest run and its scans; 400 when there has been none. */
  async stop(caller: Caller): Promise<void> {
    await this.allow(caller, 'stop')
    const latest = await this.latest()
    if (latest === null) throw new BerthError('BAD_REQUEST', 'no scan-all run was found')
    await this.jobs.stop(caller, latest)
  }

  /** The progress of the latest run (only scheduled runs with `scheduled`); zeros before any. */
  async metrics(caller: Caller, scheduled = false): Promise<ScanAllStats> {
    await this.allow(caller, 'read')
    const id = await this.latest(scheduled ? 'SCHEDULE' : undefined)
    const metrics = { Pending: 0, Running: 0, Success: 0, Error: 0, Stopped: 0 }
    if (id === null) return { total: 0, completed: 0, metrics, ongoing: false }
    const e = await this.o.executions.get(id, SCAN_ALL)
    const m = e.metrics
    Object.assign(metrics, { Pending: m.pending, Running: m.running, Success: m.success, Error: m.error, Stopped: m.stopped })
    // The first task enqueues the scans: it is not a scan.
    const [first] = (await this.o.executions.tasks.list(id, { conditions: [], sort: [], page: 1, pageSize: 1 })).items
    if (first !== undefined && first.kind === '') metrics[first.status] -= 1
    const total = Math.max(0, m.total - (first !== undefined && first.kind === '' ? 1 : 0))
    const completed = metrics.Success + metrics.Error + metrics.Stopped
    const trigger = e.trigger.charAt(0) + e.trigger.slice(1).toLowerCase()
    return { total, completed, metrics, ongoing: e.status === 'Running' || total !== completed, trigger }
  }

  private async latest(trigger?: string): Promise<number | null> {
    const { items } = await this.o.executions.executions.list(SCAN_ALL, { conditions: trigger === undefined ? [] : [{ key: 'trigger', op: 'eq', value: trigger }], sort: [], page: 1, pageSize: 1 })
    return items[0]?.id ?? null
  }
}
