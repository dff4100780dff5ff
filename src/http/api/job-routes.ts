// /api/v2.0 job service routes with Harbor's paths and shapes: /jobservice/queues, pools,
// workers, jobs (stop, log) and /schedules. System administrators only.
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { JobAdminService } from '../../services/system/job-admin-service.js'
import type { Security } from '../security.js'
import { idOf } from './context.js'
import { apiRouter, Empty, ListQueryParams } from './router.js'
import { listQueryOf, pagingHeaders } from './query.js'

export interface JobDeps extends Security {
  jobAdmin: JobAdminService
}

const JobQueueJson = Type.Object({
  job_type: Type.String(),
  count: Type.Integer({ description: 'pending jobs' }),
  latency: Type.Integer({ description: 'seconds the oldest due job has waited' }),
  paused: Type.Boolean(),
  counts: Type.Object({ pending: Type.Integer(), running: Type.Integer(), success: Type.Integer(), error: Type.Integer(), stopped: Type.Integer() }, { description: 'Berth: jobs per state' }),
})
const WorkerPoolJson = Type.Object({ pid: Type.Integer(), worker_pool_id: Type.String(), start_at: Type.String(), heartbeat_at: Type.String(), concurrency: Type.Integer(), host: Type.String() })
const WorkerJson = Type.Object({
  id: Type.String(),
  pool_id: Type.String(),
  job_name: Type.String(),
  job_id: Type.String(),
  start_at: Type.Optional(Type.String()),
  check_in: Type.String(),
  checkin_at: Type.Optional(Type.String()),
})
const ScheduleJson = Type.Object({ id: Type.Integer(), vendor_type: Type.String(), vendor_id: Type.Integer(), cron: Type.String(), update_time: Type.String() })
const JobId = Type.Object({ job_id: Type.String({ pattern: '^[0-9]{1,15}$' }) })

export async function jobRoutes(app: FastifyInstance, deps: JobDeps): Promise<void> {
  const { jobAdmin } = deps
  const route = apiRouter(app, deps)

  route('GET', '/jobservice/queues', { summary: 'Job queues: pending count, latency, paused, and jobs per state', tag: 'jobservice', response: { 200: Type.Array(JobQueueJson) } }, async (_req, _reply, caller) => {
    const now = Date.now()
    return (await jobAdmin.queues(caller)).map((q) => ({
      job_type: q.type,
      count: q.counts.pending,
      latency: q.oldestDue === null ? 0 : Math.max(0, Math.floor((now - Date.parse(q.oldestDue)) / 1000)),
      paused: q.paused,
      counts: q.counts,
    }))
  })

  route(
    'PUT',
    '/jobservice/queues/:job_type',
    {
      summary: "Pause or resume a queue, or stop its pending jobs ('all': every queue)",
      tag: 'jobservice',
      params: Type.Object({ job_type: Type.String({ minLength: 1, maxLength: 64 }) }),
      body: Type.Object({ action: Type.Union([Type.Literal('stop'), Type.Literal('pause'), Type.Literal('resume')]) }),
      response: { 200: Empty },
    },
    async (req, reply, caller) => {
      await jobAdmin.queueAction(caller, (req.params as { job_type: string }).job_type, (req.body as { action: 'stop' | 'pause' | 'resume' }).action)
      return reply.send()
    },
  )

  route('GET', '/jobservice/pools', { summary: 'The worker pool of every node', tag: 'jobservice', response: { 200: Type.Array(WorkerPoolJson) } }, async (_req, _reply, caller) =>
    (await jobAdmin.pools(caller)).map((p) => ({ pid: p.pid, worker_pool_id: p.id, start_at: p.startedAt, heartbeat_at: p.heartbeatAt, concurrency: p.concurrency, host: p.host })),
  )

  route(
    'GET',
    '/jobservice/pools/:pool_id/workers',
    { summary: "The workers of a pool ('all': of every pool) and what each runs", tag: 'jobservice', params: Type.Object({ pool_id: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: Type.Array(WorkerJson) } },
    async (req, _reply, caller) =>
      (await jobAdmin.workers(caller, (req.params as { pool_id: string }).pool_id)).map((w) => ({
        id: w.id,
        pool_id: w.poolId,
        job_name: w.job?.type ?? '',
        job_id: w.job === null ? '' : String(w.job.id),
        ...(w.job?.startedAt != null ? { start_at: w.job.startedAt } : {}),
        check_in: w.job === null ? '' : `attempt ${w.job.attempts}`,
        ...(w.job !== null ? { checkin_at: w.job.updatedAt } : {}),
      })),
  )

  route('PUT', '/jobservice/jobs/:job_id', { summary: 'Stop a job (pending: at once; running: its worker aborts it)', tag: 'jobservice', params: JobId, response: { 200: Empty } }, async (req, reply, caller) => {
    await jobAdmin.stopJob(caller, idOf((req.params as { job_id: string }).job_id, 'job_id'))
    return reply.send()
  })

  route('GET', '/jobservice/jobs/:job_id/log', { summary: "A job's log, from any node, also while it runs", tag: 'jobservice', params: JobId, response: { 200: Type.String() } }, async (req, reply, caller) =>
    reply.type('text/plain; charset=utf-8').send(await jobAdmin.log(caller, idOf((req.params as { job_id: string }).job_id, 'job_id'))),
  )

  route(
    'GET',
    '/schedules',
    { summary: 'Cron schedules (replication policies and other periodic work)', tag: 'schedule', querystring: Type.Object({ page: ListQueryParams.page, page_size: ListQueryParams.page_size }), response: { 200: Type.Array(ScheduleJson) } },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const { items, total } = await jobAdmin.schedules(caller, (q.page - 1) * q.pageSize, q.pageSize)
      pagingHeaders(req, reply, q, total)
      return items.map((s) => ({ id: s.id, vendor_type: s.vendorType, vendor_id: s.vendorId, cron: s.cron, update_time: s.updatedAt }))
    },
  )

  route(
    'GET',
    '/schedules/:job_type/paused',
    { summary: "Whether a job type's queue ('all': every queue) is paused", tag: 'schedule', params: Type.Object({ job_type: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Type.Object({ paused: Type.Boolean() }) } },
    async (req, _reply, caller) => ({ paused: await jobAdmin.paused(caller, (req.params as { job_type: string }).job_type) }),
  )
}
