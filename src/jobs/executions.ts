// The lifecycle of an execution whose tasks run as jobs: start a run (at most one per vendor
// across all nodes), add tasks (the task row and its job in one transaction), follow each job to
// its end (the task's status follows the job's), and end the execution when its last task ends:
// Error if any task failed, Stopped if any was stopped, Success otherwise. A stop ends the run at
// once and stops every job it still has. Garbage collection, retention, webhook deliveries and
// audit-log purges report through this; replication keeps its own lifecycle on the same tables.
import { BerthError } from '../lib/errors.js'
import type { Kysely } from 'kysely'
import type { Database, Db } from '../metadata/schema.js'
import { ExecutionStore, TaskStore, type Attrs, type Execution, type RunStatus, type Task } from '../metadata/execution-store.js'
import type { JobContext, JobService } from './job-service.js'

export interface TaskContext extends JobContext {
  taskId: number
  executionId: number
  /** Merges into the task's extra attributes (results the API shows). */
  setAttrs(patch: Attrs): Promise<void>
  /** Merges into the execution's extra attributes. */
  setExecutionAttrs(patch: Attrs): Promise<void>
}

export interface TaskType<P> {
  /** The job type its tasks run as. */
  jobType: string
  maxAttempts: number
  run(payload: P, ctx: TaskContext): Promise<void>
  /** Its tasks change the registry's content: they wait while the registry is read-only (JobType.heldWhileReadOnly). */
  heldWhileReadOnly?: boolean
}

interface TaskPayload {
  taskId: number
  executionId: number
  payload: unknown
}

export interface NewTaskOf<P> {
  payload: P
  kind?: string
  subject?: string
  extraAttrs?: Attrs
}

/**
 * Called once when an execution of a vendor type ends (its last task ended, or it was stopped),
 * in the transaction that ends it: what it writes (an event) commits with the end or not at all.
 */
export type ExecutionEnded = (trx: Kysely<Database>, execution: Execution, status: RunStatus) => Promise<void>

export class Executions {
  readonly executions: ExecutionStore
  readonly tasks: TaskStore
  private readonly taskTypes = new Map<string, TaskType<unknown>>()
  private readonly endHooks = new Map<string, ExecutionEnded>()

  constructor(private readonly o: { db: Db; jobs: JobService }) {
    this.executions = new ExecutionStore(o.db.kysely)
    this.tasks = new TaskStore(o.db.kysely)
  }

  /** Registers a kind of task: a job type whose jobs update their task as they run and end. */
  registerTask<P>(t: TaskType<P>): void {
    this.taskTypes.set(t.jobType, t as TaskType<unknown>)
    this.o.jobs.register({
      type: t.jobType,
      maxAttempts: t.maxAttempts,
      ...(t.heldWhileReadOnly === true ? { heldWhileReadOnly: true } : {}),
      run: async (raw, ctx) => {
        const p = raw as TaskPayload
        await this.tasks.set(p.taskId, 'Running')
        await t.run(p.payload as P, {
          ...ctx,
          taskId: p.taskId,
          executionId: p.executionId,
          setAttrs: (patch) => this.tasks.setAttrs(p.taskId, patch),
          setExecutionAttrs: (patch) => this.executions.setAttrs(p.executionId, patch),
        })
      },
      ended: async (job, state) => {
        const p = job.payload as TaskPayload
        const status: RunStatus = state === 'success' ? 'Success' : state === 'stopped' ? 'Stopped' : 'Error'
        // The job as it ended (the one handed in is the one that was claimed).
        const error = (await this.o.jobs.jobs.get(job.id))?.lastError ?? null
        await this.tasks.set(p.taskId, status, error ?? (state === 'stopped' ? 'stopped on request' : ''))
        await this.settle(p.executionId)
      },
    })
  }

  /** Registers what happens when an execution of `vendorType` ends; one per vendor type. */
  onEnded(vendorType: string, hook: ExecutionEnded): void {
    if (this.endHooks.has(vendorType)) throw new Error(`an end hook for ${vendorType} is already registered`)
    this.endHooks.set(vendorType, hook)
  }

  /** Ends a running execution, with its vendor's end hook in the same transaction; false when it had ended already. */
  private async end(e: Execution, status: RunStatus, message: string): Promise<boolean> {
    const hook = this.endHooks.get(e.vendorType)
    if (hook === undefined) return this.executions.end(e.id, status, message)
    const ended = await this.o.db.kysely.transaction().execute(async (trx) => {
      if (!(await new ExecutionStore(trx).end(e.id, status, message))) return false
      await hook(trx, e, status)
      return true
    })
    // Jobs the hook enqueued (an event's subscribers) start now rather than at the next poll.
    if (ended) await this.o.jobs.wake()
    return ended
  }

  /** Starts a run with no tasks yet; null when one of the vendor's is running already (on any node). */
  start(vendorType: string, vendorId: number, trigger: string, extraAttrs: Attrs = {}): Promise<number | null> {
    return this.executions.start({ vendorType, vendorId, trigger, extraAttrs })
  }

  /**
   * Adds a task to a running execution and enqueues its job, in one transaction; null when the
   * execution has ended (it is locked meanwhile on PostgreSQL, so a stop ending it waits and then
   * stops this task too). A task that ends before the next one is added may end the execution:
   * add them together through `run` when they are known up front.
   */
  async addTask<P>(executionId: number, jobType: string, t: NewTaskOf<P>): Promise<number | null> {
    if (!this.taskTypes.has(jobType)) throw new Error(`no task type ${jobType} registered`)
    const [taskId] = await this.o.db.kysely.transaction().execute(async (trx) => {
      const running = await trx
        .selectFrom('executions')
        .select('id')
        .where('id', '=', executionId)
        .where('status', '=', 'Running')
        .$if(this.o.db.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst()
      return running === undefined ? [null] : this.createTasks(trx, executionId, jobType, [t])
    })
    if (taskId === null) return null
    await this.o.jobs.wake()
    return taskId!
  }

  /**
   * Starts a run with its tasks, all in one transaction: the execution's id, or null when one is
   * running already (unless `concurrent`: runs of this vendor may overlap, e.g. one webhook
   * delivery per event). A run with no tasks ends at once, successfully.
   */
  async run<P>(vendorType: string, vendorId: number, trigger: string, jobType: string, tasks: NewTaskOf<P>[], extraAttrs: Attrs = {}, o: { concurrent?: boolean } = {}): Promise<number | null> {
    const id = await this.o.db.kysely.transaction().execute(async (trx) => {
      const started = await new ExecutionStore(trx).start({ vendorType, vendorId, trigger, extraAttrs, concurrent: o.concurrent === true })
      if (started !== null) await this.createTasks(trx, started, jobType, tasks)
      return started
    })
    if (id === null) return null
    await this.o.jobs.wake()
    await this.settle(id)
    return id
  }

  private async createTasks<P>(trx: Kysely<Database>, executionId: number, jobType: string, list: NewTaskOf<P>[]): Promise<number[]> {
    if (!this.taskTypes.has(jobType)) throw new Error(`no task type ${jobType} registered`)
    const tasks = new TaskStore(trx)
    const ids: number[] = []
    for (const t of list) {
      const id = await tasks.create({ executionId, kind: t.kind ?? '', subject: t.subject ?? '', extraAttrs: t.extraAttrs ?? {} })
      const payload: TaskPayload = { taskId: id, executionId, payload: t.payload }
      await tasks.setJob(id, await this.o.jobs.enqueue({ type: jobType, payload, dedupeKey: `task:${id}` }, trx))
      ids.push(id)
    }
    return ids
  }

  /** Ends the execution when none of its tasks is left to run; its status from theirs. */
  async settle(executionId: number): Promise<void> {
    const e = await this.executions.get(executionId)
    if (e === null || e.status !== 'Running') return
    const m = e.metrics
    if (m.pending + m.running > 0) return
    const status: RunStatus = m.error > 0 ? 'Error' : m.stopped > 0 ? 'Stopped' : 'Success'
    const message = m.error > 0 ? `${m.error} of ${m.total} task(s) failed` : m.stopped > 0 ? 'stopped' : ''
    await this.end(e, status, message)
  }

  /** Stops a run: it ends as Stopped at once, and each of its jobs stops (pending at once, running at its next heartbeat). */
  async stop(executionId: number, vendorType: string): Promise<Execution> {
    const e = await this.executions.get(executionId, vendorType)
    if (e === null) throw new BerthError('NOT_FOUND', `execution ${executionId} not found`)
    if (e.status !== 'Running') return e
    const stopTasks = async () => {
      for (const t of await this.tasks.unfinished(executionId)) {
        if (t.jobId !== null) await this.o.jobs.stop(t.jobId).catch(() => {})
        await this.tasks.set(t.id, 'Stopped', 'stopped on request')
      }
    }
    await stopTasks()
    await this.end(e, 'Stopped', 'stopped on request')
    // A task added while the run was being stopped (addTask) is stopped too.
    await stopTasks()
    return (await this.executions.get(executionId))!
  }

  async get(executionId: number, vendorType: string): Promise<Execution> {
    const e = await this.executions.get(executionId, vendorType)
    if (e === null) throw new BerthError('NOT_FOUND', `execution ${executionId} not found`)
    return e
  }

  /** A task of an execution of `vendorType`; NOT_FOUND for a task of another execution or vendor. */
  async task(executionId: number, taskId: number, vendorType: string): Promise<Task> {
    await this.get(executionId, vendorType)
    const t = await this.tasks.get(taskId)
    if (t === null || t.executionId !== executionId) throw new BerthError('NOT_FOUND', `task ${taskId} not found`)
    return t
  }

  /** A task's log: the log of its job (every attempt), as text. */
  async log(task: Task): Promise<string> {
    return task.jobId === null ? '' : this.o.jobs.logs.read(task.jobId)
  }
}
