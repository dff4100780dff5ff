// What administrators see and do with the job service (Harbor's /jobservice and /schedules):
// queues with counts per state, pausing and resuming them, stopping jobs, job logs, the worker
// pools of every node and their busy workers, and the schedules.
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import type { JobService } from '../../jobs/job-service.js'
import type { QueueCounts, Schedule, WorkerPool } from '../../jobs/job-records.js'
import type { Job } from '../../jobs/job-store.js'
import { requireSystemAccess } from '../identity/guards.js'

/** Pools whose heartbeat (every 10 s) is older than this are gone. */
const POOL_ALIVE_MS = 60_000

export interface Worker {
  id: string
  poolId: string
  job: Job | null
}

export class JobAdminService {
  constructor(private readonly jobs: JobService) {}

  async queues(caller: Caller): Promise<QueueCounts[]> {
    requireSystemAccess(caller, 'jobservice-monitor:list')
    return this.jobs.queues.list(this.jobs.registeredTypes)
  }

  /** pause, resume, or stop (every pending job of the type); `all` for every type. */
  async queueAction(caller: Caller, type: string, action: 'pause' | 'resume' | 'stop'): Promise<void> {
    requireSystemAccess(caller, 'jobservice-monitor:stop')
    const known = (await this.jobs.queues.list(this.jobs.registeredTypes)).map((q) => q.type)
    if (type !== 'all' && !known.includes(type)) throw new BerthError('NOT_FOUND', `job queue ${type} not found`)
    for (const t of type === 'all' ? known : [type]) {
      if (action === 'stop') await this.jobs.queues.stopPending(t)
      else await this.jobs.queues.setPaused(t, action === 'pause')
    }
    if (action === 'resume') await this.jobs.wake()
  }

  async stopJob(caller: Caller, id: number): Promise<void> {
    requireSystemAccess(caller, 'jobservice-monitor:stop')
    await this.jobs.stop(id)
  }

  async log(caller: Caller, id: number): Promise<string> {
    requireSystemAccess(caller, 'jobservice-monitor:list')
    if ((await this.jobs.jobs.get(id)) === null) throw new BerthError('NOT_FOUND', `job ${id} not found`)
    return this.jobs.logs.read(id)
  }

  async pools(caller: Caller): Promise<WorkerPool[]> {
    requireSystemAccess(caller, 'jobservice-monitor:list')
    return this.jobs.pools.alive(new Date(Date.now() - POOL_ALIVE_MS))
  }

  /** The workers of a pool (`all`: of every pool), each with the job it runs, if any. */
  async workers(caller: Caller, poolId: string): Promise<Worker[]> {
    const pools = (await this.pools(caller)).filter((p) => poolId === 'all' || p.id === poolId)
    if (pools.length === 0 && poolId !== 'all') throw new BerthError('NOT_FOUND', `worker pool ${poolId} not found`)
    const out: Worker[] = []
    for (const p of pools) {
      const running = await this.jobs.jobs.runningOf(`${p.id}#`)
      for (let i = 0; i < p.concurrency; i++) {
        const id = `${p.id}#${i}`
        out.push({ id, poolId: p.id, job: running.find((j) => j.leaseOwner === id) ?? null })
      }
    }
    return out
  }

  async schedules(caller: Caller, offset: number, limit: number): Promise<{ items: Schedule[]; total: number }> {
    requireSystemAccess(caller, 'jobservice-monitor:list')
    return this.jobs.schedules.list(offset, limit)
  }

  /** Whether the queues of a type (`all`: of every type) are paused. */
  async paused(caller: Caller, type: string): Promise<boolean> {
    const queues = await this.queues(caller)
    const of = type === 'all' ? queues : queues.filter((q) => q.type === type)
    if (of.length === 0) throw new BerthError('NOT_FOUND', `job type ${type} not found`)
    return of.every((q) => q.paused)
  }
}
