// /api/v2.0 routes of scan-all (Harbor's paths): its schedule, stopping the latest run, and the
// progress of the latest (scheduled) run.
import { Type, type Static } from '@sinclair/typebox'
import type { ScanAllService, ScanAllStats } from '../../services/scan/scan-all.js'
import type { SystemSchedule } from '../../services/system/system-jobs.js'
import { Empty, type Route } from './router.js'
import { ScheduleBody, type ScheduleRequest } from './system-job-routes.js'

const StatsJson = Type.Object({
  total: Type.Integer(),
  completed: Type.Integer(),
  metrics: Type.Record(Type.String(), Type.Integer()),
  ongoing: Type.Boolean(),
  trigger: Type.Optional(Type.String({ description: 'Manual, Schedule or Event' })),
})

const ScheduleJson = Type.Object({
  id: Type.Optional(Type.Integer()),
  status: Type.Optional(Type.String()),
  creation_time: Type.Optional(Type.String()),
  update_time: Type.Optional(Type.String()),
  schedule: Type.Object({ type: Type.String(), cron: Type.String(), next_scheduled_time: Type.Optional(Type.String()) }),
  parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** Harbor's Schedule of scan-all; type None when there is none. */
function scheduleJson(s: SystemSchedule | null): Static<typeof ScheduleJson> {
  if (s === null) return { schedule: { type: 'None', cron: '' } }
  return {
    status: 'Scheduled',
    creation_time: s.createdAt,
    update_time: s.updatedAt,
    schedule: { type: s.type, cron: s.cron, ...(s.nextScheduledTime !== null ? { next_scheduled_time: s.nextScheduledTime } : {}) },
    parameters: s.parameters,
  }
}

const statsJson = (s: ScanAllStats): Static<typeof StatsJson> => ({ ...s })

export function scanAllRoutes(route: Route, scanAll: ScanAllService): void {
  const tag = 'scanAll'
  route('GET', '/system/scanAll/schedule', { summary: "Scan-all's schedule (type None when there is none)", tag, response: { 200: ScheduleJson } }, async (_req, _reply, caller) => scheduleJson(await scanAll.schedule(caller)))
  route('POST', '/system/scanAll/schedule', { summary: 'Run scan-all now (type Manual) or give it a schedule (412 when it has one)', tag, body: ScheduleBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as ScheduleRequest
    await scanAll.create(caller, b.schedule.type, b.schedule.cron)
    return reply.code(201).send()
  })
  route('PUT', '/system/scanAll/schedule', { summary: "Change scan-all's schedule; type None removes it", tag, body: ScheduleBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const b = req.body as ScheduleRequest
    await scanAll.update(caller, b.schedule.type, b.schedule.cron)
    return reply.send()
  })
  route('POST', '/system/scanAll/stop', { summary: 'Stop the latest scan-all run and its scans', tag, response: { 202: Empty } }, async (_req, reply, caller) => {
    await scanAll.stop(caller)
    return reply.code(202).send()
  })
  route('GET', '/scans/all/metrics', { summary: 'The progress of the latest scan-all run', tag, response: { 200: StatsJson } }, async (_req, _reply, caller) => statsJson(await scanAll.metrics(caller)))
  route('GET', '/scans/schedule/metrics', { summary: 'The progress of the latest scheduled scan-all run', tag, response: { 200: StatsJson } }, async (_req, _reply, caller) => statsJson(await scanAll.metrics(caller, true)))
}
