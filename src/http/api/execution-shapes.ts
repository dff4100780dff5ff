// The JSON of the execution/task model as Harbor shows it: its generic Execution and Task (webhook
// jobs, and any vendor with no shape of its own), and the job history of system jobs (GCHistory and
// ExecHistory: garbage collection and audit-log purge) with their schedules. One converter per
// shape, so every vendor's routes answer alike.
import { Type, type Static } from '@sinclair/typebox'
import type { Execution, Task } from '../../metadata/execution-store.js'
import type { SystemSchedule } from '../../services/system/system-jobs.js'

const Attrs = Type.Record(Type.String(), Type.Unknown())

export const MetricsJson = Type.Object({
  task_count: Type.Integer(),
  success_task_count: Type.Integer(),
  error_task_count: Type.Integer(),
  pending_task_count: Type.Integer(),
  running_task_count: Type.Integer(),
  scheduled_task_count: Type.Integer(),
  stopped_task_count: Type.Integer(),
})

export const ExecutionJson = Type.Object({
  id: Type.Integer(),
  vendor_type: Type.String(),
  vendor_id: Type.Integer(),
  status: Type.String(),
  status_message: Type.String(),
  metrics: MetricsJson,
  trigger: Type.String(),
  extra_attrs: Attrs,
  start_time: Type.String(),
  end_time: Type.Optional(Type.String()),
})

export const TaskJson = Type.Object({
  id: Type.Integer(),
  execution_id: Type.Integer(),
  status: Type.String(),
  status_message: Type.String(),
  run_count: Type.Integer(),
  extra_attrs: Attrs,
  creation_time: Type.String(),
  update_time: Type.String(),
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
})

export function executionJson(e: Execution): Static<typeof ExecutionJson> {
  const m = e.metrics
  return {
    id: e.id,
    vendor_type: e.vendorType,
    vendor_id: e.vendorId,
    status: e.status,
    status_message: e.statusMessage,
    metrics: {
      task_count: m.total,
      success_task_count: m.success,
      error_task_count: m.error,
      pending_task_count: m.pending,
      running_task_count: m.running,
      scheduled_task_count: 0,
      stopped_task_count: m.stopped,
    },
    trigger: e.trigger,
    extra_attrs: e.extraAttrs,
    start_time: e.startTime,
    ...(e.endTime !== null ? { end_time: e.endTime } : {}),
  }
}

export function taskJson(t: Task): Static<typeof TaskJson> {
  return {
    id: t.id,
    execution_id: t.executionId,
    status: t.status,
    status_message: t.statusMessage,
    run_count: t.runCount,
    extra_attrs: t.extraAttrs,
    creation_time: t.creationTime,
    update_time: t.updateTime,
    ...(t.startTime !== null ? { start_time: t.startTime } : {}),
    ...(t.endTime !== null ? { end_time: t.endTime } : {}),
  }
}

export const ScheduleObjJson = Type.Object({
  type: Type.String({ description: 'Hourly, Daily, Weekly, Custom, Schedule, Manual or None' }),
  cron: Type.String(),
  next_scheduled_time: Type.Optional(Type.String()),
})

/** Harbor's GCHistory and ExecHistory: one run of a system job. */
export const JobHistoryJson = Type.Object({
  id: Type.Integer(),
  job_name: Type.String(),
  job_kind: Type.String({ description: 'MANUAL or SCHEDULE' }),
  job_parameters: Type.String({ description: 'JSON: the parameters of the run and, once it ran, its results' }),
  schedule: Type.Optional(Type.Union([ScheduleObjJson, Type.Null()])),
  job_status: Type.String({ description: 'Pending, Running, Success, Error or Stopped' }),
  deleted: Type.Boolean(),
  creation_time: Type.String(),
  update_time: Type.String(),
})

export function jobHistoryJson(jobName: string, e: Execution): Static<typeof JobHistoryJson> {
  return {
    id: e.id,
    job_name: jobName,
    job_kind: e.trigger,
    job_parameters: JSON.stringify(e.extraAttrs),
    schedule: null,
    job_status: e.status,
    deleted: false,
    creation_time: e.startTime,
    update_time: e.updateTime,
  }
}

/** A system job's schedule as Harbor's GET .../schedule shows it (type None when there is none). */
export function scheduleHistoryJson(jobName: string, s: SystemSchedule | null): Static<typeof JobHistoryJson> {
  if (s === null) return { id: 0, job_name: jobName, job_kind: 'SCHEDULE', job_parameters: '{}', schedule: { type: 'None', cron: '' }, job_status: '', deleted: false, creation_time: '', update_time: '' }
  return {
    id: 0,
    job_name: jobName,
    job_kind: 'SCHEDULE',
    job_parameters: JSON.stringify(s.parameters),
    schedule: { type: s.type, cron: s.cron, ...(s.nextScheduledTime !== null ? { next_scheduled_time: s.nextScheduledTime } : {}) },
    job_status: '',
    deleted: false,
    creation_time: s.createdAt,
    update_time: s.updatedAt,
  }
}

/** Harbor's RetentionExecution: one run of a retention policy. */
export const RetentionExecutionJson = Type.Object({
  id: Type.Integer(),
  policy_id: Type.Integer(),
  start_time: Type.String(),
  end_time: Type.Optional(Type.String()),
  status: Type.String({ description: 'Running, Success, Error or Stopped' }),
  trigger: Type.String({ description: 'MANUAL or SCHEDULE' }),
  dry_run: Type.Boolean(),
})

export function retentionExecutionJson(e: Execution): Static<typeof RetentionExecutionJson> {
  return {
    id: e.id,
    policy_id: e.vendorId,
    start_time: e.startTime,
    ...(e.endTime !== null ? { end_time: e.endTime } : {}),
    status: e.status,
    trigger: e.trigger,
    dry_run: e.extraAttrs.dry_run === true,
  }
}

/** Harbor's RetentionExecutionTask: one repository of a run, with how many artifacts it kept of how many. */
export const RetentionExecutionTaskJson = Type.Object({
  id: Type.Integer(),
  execution_id: Type.Integer(),
  repository: Type.String(),
  job_id: Type.String(),
  status: Type.String(),
  status_code: Type.Integer(),
  status_revision: Type.Integer(),
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
  total: Type.Integer(),
  retained: Type.Integer(),
})

/** Harbor's status codes of its job statuses (Pending 0, Running 1, Stopped 2, Error 3, Success 3). */
const STATUS_CODES: Record<string, number> = { Pending: 0, Running: 1, Stopped: 2, Error: 3, Success: 3 }

export function retentionTaskJson(t: Task): Static<typeof RetentionExecutionTaskJson> {
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : 0)
  return {
    id: t.id,
    execution_id: t.executionId,
    repository: t.subject,
    job_id: t.jobId === null ? '' : String(t.jobId),
    status: t.status,
    status_code: STATUS_CODES[t.status] ?? 0,
    status_revision: t.runCount,
    ...(t.startTime !== null ? { start_time: t.startTime } : {}),
    ...(t.endTime !== null ? { end_time: t.endTime } : {}),
    total: count(t.extraAttrs.total),
    retained: count(t.extraAttrs.retained),
  }
}
