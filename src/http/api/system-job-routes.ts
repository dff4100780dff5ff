// Harbor's routes of a system job (garbage collection at /system/gc, audit-log purge at
// /system/purgeaudit): history, one run, its log, stopping it, and the schedule, where a
// schedule of type Manual runs the job now.
import { Type } from '@sinclair/typebox'
import type { ScheduleType, SystemJobApi } from '../../services/system/system-jobs.js'
import { idOf } from './context.js'
import { API, Empty, ListQueryParams, type ApiHandler, type Route } from './router.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { JobHistoryJson, jobHistoryJson, scheduleHistoryJson } from './execution-shapes.js'
import { ignored } from './shapes.js'

const SCHEDULE_TYPES: ScheduleType[] = ['Hourly', 'Daily', 'Weekly', 'Custom', 'Schedule', 'Manual', 'None']

/** Harbor's Schedule body: the schedule and the job's parameters; its read-only fields are ignored. */
export const ScheduleBody = Type.Object(
  {
    schedule: Type.Object(
      {
        type: Type.Union(SCHEDULE_TYPES.map((t) => Type.Literal(t))),
        cron: Type.Optional(Type.String({ maxLength: 128 })),
        next_scheduled_time: ignored(Type.String()),
      },
      { additionalProperties: false },
    ),
    parameters: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 16 })),
    id: ignored(Type.Integer()),
    status: ignored(Type.String()),
    creation_time: ignored(Type.String()),
    update_time: ignored(Type.String()),
  },
  { additionalProperties: false },
)

export interface ScheduleRequest {
  schedule: { type: ScheduleType; cron?: string }
  parameters?: Record<string, unknown>
}

/** Harbor's query keys for job history, mapped to the model's. */
const ALIASES = { job_status: 'status', job_kind: 'trigger', creation_time: 'start_time', update_time: 'end_time' }

export function systemJobRoutes(route: Route, o: { base: string; idParam: string; jobName: string; tag: string; jobs: SystemJobApi }): void {
  const { base, jobs, tag, jobName } = o
  const Id = Type.Object({ [o.idParam]: Type.String({ pattern: '^[0-9]{1,15}$' }) })
  const idIn = (params: unknown) => idOf((params as Record<string, string>)[o.idParam]!, o.idParam)

  route('GET', base, { summary: `The history of ${tag} runs, newest first`, tag, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(JobHistoryJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req, ALIASES)
    const { items, total } = await jobs.history(caller, q)
    pagingHeaders(req, reply, q, total)
    return items.map((e) => jobHistoryJson(jobName, e))
  })

  route('GET', `${base}/schedule`, { summary: `The ${tag} schedule (type None when there is none)`, tag, response: { 200: JobHistoryJson } }, async (_req, _reply, caller) =>
    scheduleHistoryJson(jobName, await jobs.schedule(caller)),
  )

  const setSchedule = (status: 200 | 201): ApiHandler => async (req, reply, caller) => {
    const b = req.body as ScheduleRequest
    const id = await jobs.setSchedule(caller, b.schedule.type, b.schedule.cron, b.parameters ?? {})
    if (id !== null) reply.header('location', `${API}${base}/${id}`)
    return reply.code(id !== null ? 201 : status).send()
  }
  route('POST', `${base}/schedule`, { summary: `Set the ${tag} schedule; type Manual runs it now (201 with its Location)`, tag, body: ScheduleBody, response: { 201: Empty } }, setSchedule(201))
  route('PUT', `${base}/schedule`, { summary: `Change the ${tag} schedule; type None removes it, Manual runs it now`, tag, body: ScheduleBody, response: { 200: Empty, 201: Empty } }, setSchedule(200))

  route('GET', `${base}/:${o.idParam}`, { summary: `One ${tag} run`, tag, params: Id, response: { 200: JobHistoryJson } }, async (req, _reply, caller) =>
    jobHistoryJson(jobName, await jobs.get(caller, idIn(req.params))),
  )

  route('PUT', `${base}/:${o.idParam}`, { summary: `Stop a ${tag} run`, tag, params: Id, response: { 200: Empty } }, async (req, reply, caller) => {
    await jobs.stop(caller, idIn(req.params))
    return reply.send()
  })

  route('GET', `${base}/:${o.idParam}/log`, { summary: `The log of a ${tag} run, also while it runs`, tag, params: Id, response: { 200: Type.String() } }, async (req, reply, caller) =>
    reply.type('text/plain; charset=utf-8').send(await jobs.log(caller, idIn(req.params))),
  )
}
