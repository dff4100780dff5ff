// Executions and tasks: the one record of background work (migration 010). Every kind of work
// (replication, garbage collection, retention, webhook deliveries, audit-log purges) reports
// through these two tables, told apart by vendor_type; its tasks run as jobs (job_id), whose logs
// are the tasks' logs. Statuses are Harbor's task statuses; a vendor whose API speaks other words
// (replication: InProgress, Succeed, Failed) translates at its edge.
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, ExecutionTable, TaskTable } from './schema.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export type RunStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped'

/** Statuses after which nothing changes. */
export const FINAL: readonly RunStatus[] = ['Success', 'Error', 'Stopped']

export type Attrs = Record<string, unknown>

export interface TaskCounts {
  total: number
  pending: number
  running: number
  success: number
  error: number
  stopped: number
}

export interface Execution {
  id: number
  vendorType: string
  vendorId: number
  status: RunStatus
  statusMessage: string
  trigger: string
  extraAttrs: Attrs
  startTime: string
  endTime: string | null
  updateTime: string
  /** Its tasks by status. */
  metrics: TaskCounts
}

export interface Task {
  id: number
  executionId: number
  status: RunStatus
  statusMessage: string
  kind: string
  subject: string
  extraAttrs: Attrs
  jobId: number | null
  runCount: number
  creationTime: string
  startTime: string | null
  endTime: string | null
  updateTime: string
}

/** A failed run of any kind of work, with what it belongs to (a project, a policy) when that is known. */
export interface Failure {
  id: number
  vendorType: string
  vendorId: number
  statusMessage: string
  trigger: string
  startTime: string
  endTime: string | null
  /** Retention and webhook runs: their policy's project. */
  projectId: number | null
  projectName: string | null
  /** Replication and webhook runs: their policy's name. */
  policyName: string | null
}

export interface NewTask {
  executionId: number
  kind?: string
  subject?: string
  extraAttrs?: Attrs
}

const EXECUTION_FIELDS: Fields = {
  id: { column: 'e.id', type: 'int' },
  vendor_id: { column: 'e.vendor_id', type: 'int' },
  status: { column: 'e.status' },
  trigger: { column: 'e.trigger' },
  start_time: { column: 'e.start_time', type: 'time' },
  end_time: { column: 'e.end_time', type: 'time' },
}

const TASK_FIELDS: Fields = {
  id: { column: 'id', type: 'int' },
  status: { column: 'status' },
  kind: { column: 'kind' },
  subject: { column: 'subject' },
  start_time: { column: 'start_time', type: 'time' },
  end_time: { column: 'end_time', type: 'time' },
}

/** Task keys when tasks of several runs are listed together (column names qualified). */
const VENDOR_TASK_FIELDS: Fields = Object.fromEntries(Object.entries(TASK_FIELDS).map(([k, f]) => [k, { ...f, column: `tasks.${f.column}` }]))

function attrs(text: string): Attrs {
  try {
    const v = JSON.parse(text) as unknown
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Attrs) : {}
  } catch {
    return {}
  }
}

function taskOf(r: Selectable<TaskTable>): Task {
  return {
    id: Number(r.id),
    executionId: Number(r.execution_id),
    status: r.status as RunStatus,
    statusMessage: r.status_message,
    kind: r.kind,
    subject: r.subject,
    extraAttrs: attrs(r.extra_attrs),
    jobId: r.job_id === null ? null : Number(r.job_id),
    runCount: Number(r.run_count),
    creationTime: r.creation_time,
    startTime: r.start_time,
    endTime: r.end_time,
    updateTime: r.update_time,
  }
}

const now = () => new Date().toISOString()

export class ExecutionStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Starts a run of `vendorType`/`vendorId` unless one is running (a unique index decides races
   * between nodes): its id, or null. With `concurrent`, runs may overlap and one always starts.
   */
  async start(e: { vendorType: string; vendorId: number; trigger: string; extraAttrs?: Attrs; concurrent?: boolean }): Promise<number | null> {
    const at = now()
    const r = await this.db
      .insertInto('executions')
      .values({
        vendor_type: e.vendorType,
        vendor_id: e.vendorId,
        status: 'Running',
        trigger: e.trigger,
        extra_attrs: JSON.stringify(e.extraAttrs ?? {}),
        start_time: at,
        update_time: at,
        concurrent: e.concurrent === true ? 1 : 0,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  /** The running execution of a vendor, if any (of those that may not overlap). */
  async active(vendorType: string, vendorId: number): Promise<number | null> {
    const r = await this.db
      .selectFrom('executions')
      .select('id')
      .where('vendor_type', '=', vendorType)
      .where('vendor_id', '=', vendorId)
      .where('status', '=', 'Running')
      .where('concurrent', '=', 0)
      .executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  /** Puts an ended execution back to running (work was added to it); false if another of its vendor runs. */
  async reopen(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('executions')
      .set({ status: 'Running', status_message: '', end_time: null, update_time: now() })
      .where('id', '=', id)
      .where('status', '!=', 'Running')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('executions as other')
              .select('other.id')
              .whereRef('other.vendor_type', '=', 'executions.vendor_type')
              .whereRef('other.vendor_id', '=', 'executions.vendor_id')
              .where('other.status', '=', 'Running')
              .where('other.concurrent', '=', 0),
          ),
        ),
      )
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  async get(id: number, vendorType?: string): Promise<Execution | null> {
    return (await this.query({ id, vendorType }).execute()).map(executionOf)[0] ?? null
  }

  /** One page of a vendor's executions (newest first unless `q` sorts), with their task counts. */
  async list(vendorType: string, q: ListQuery, vendorId?: number): Promise<Listed<Execution>> {
    const page = await listPage(this.query({ vendorType, vendorId }), q, EXECUTION_FIELDS, { column: 'e.id', desc: true })
    return { items: page.items.map(executionOf), total: page.total }
  }

  /**
   * Failed runs of every kind of work (or of one), newest first, and how many there are. The
   * status is a literal so that the partial index of failures (migration 017) serves both queries.
   */
  async failures(f: { vendorType?: string | undefined }, offset: number, limit: number): Promise<Listed<Failure>> {
    const failed = this.db
      .selectFrom('executions as e')
      .where(sql<boolean>`e.status = 'Error'`)
      .$if(f.vendorType !== undefined, (q) => q.where('e.vendor_type', '=', f.vendorType!))
    const counted = await failed.select(sql<string>`count(*)`.as('n')).executeTakeFirst()
    const rows = await failed
      .leftJoin('webhook_policies as wp', (j) => j.onRef('wp.id', '=', 'e.vendor_id').on('e.vendor_type', '=', 'WEBHOOK'))
      .leftJoin('retention_policies as rp', (j) => j.onRef('rp.id', '=', 'e.vendor_id').on('e.vendor_type', '=', 'RETENTION'))
      .leftJoin('replication_policies as pol', (j) => j.onRef('pol.id', '=', 'e.vendor_id').on('e.vendor_type', '=', 'REPLICATION'))
      .leftJoin('projects as p', (j) => j.on(sql<boolean>`p.id = coalesce(wp.project_id, rp.project_id)`))
      .select(['e.id', 'e.vendor_type', 'e.vendor_id', 'e.status_message', 'e.trigger', 'e.start_time', 'e.end_time', 'p.id as project_id', 'p.name as project_name'])
      .select(sql<string | null>`coalesce(wp.name, pol.name)`.as('policy_name'))
      .orderBy('e.id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute()
    return {
      total: Number(counted?.n ?? 0),
      items: rows.map((r) => ({
        id: Number(r.id),
        vendorType: r.vendor_type,
        vendorId: Number(r.vendor_id),
        statusMessage: r.status_message,
        trigger: r.trigger,
        startTime: r.start_time,
        endTime: r.end_time,
        projectId: r.project_id === null ? null : Number(r.project_id),
        projectName: r.project_name,
        policyName: r.policy_name,
      })),
    }
  }

  /** Executions with their task counts by status. */
  private query(f: { id?: number; vendorType?: string | undefined; vendorId?: number | undefined }) {
    const count = (statuses: RunStatus[] | null) =>
      sql<string>`(select count(*) from tasks t where t.execution_id = e.id${statuses === null ? sql`` : sql` and t.status in (${sql.join(statuses)})`})`
    return this.db
      .selectFrom('executions as e')
      .$if(f.id !== undefined, (q) => q.where('e.id', '=', f.id!))
      .$if(f.vendorType !== undefined, (q) => q.where('e.vendor_type', '=', f.vendorType!))
      .$if(f.vendorId !== undefined, (q) => q.where('e.vendor_id', '=', f.vendorId!))
      .selectAll('e')
      .select([
        count(null).as('n_total'),
        count(['Pending']).as('n_pending'),
        count(['Running']).as('n_running'),
        count(['Success']).as('n_success'),
        count(['Error']).as('n_error'),
        count(['Stopped']).as('n_stopped'),
      ])
  }

  /** Ends a running execution; false when it had ended already. */
  async end(id: number, status: RunStatus, message = ''): Promise<boolean> {
    const at = now()
    const r = await this.db
      .updateTable('executions')
      .set({ status, status_message: message.slice(0, 4000), end_time: at, update_time: at })
      .where('id', '=', id)
      .where('status', '=', 'Running')
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Merges `patch` into the execution's extra attributes (results as they come). */
  async setAttrs(id: number, patch: Attrs): Promise<void> {
    const row = await this.db.selectFrom('executions').select('extra_attrs').where('id', '=', id).executeTakeFirst()
    if (row === undefined) return
    await this.db
      .updateTable('executions')
      .set({ extra_attrs: JSON.stringify({ ...attrs(row.extra_attrs), ...patch }), update_time: now() })
      .where('id', '=', id)
      .execute()
  }

  /** Running executions of a vendor type that started before `before` (for timeouts). */
  async startedBefore(vendorType: string, before: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('executions')
      .select('id')
      .where('vendor_type', '=', vendorType)
      .where('status', '=', 'Running')
      .where('start_time', '<', before)
      .execute()
    return rows.map((r) => Number(r.id))
  }

  /** Deletes every execution of one vendor (its tasks go with them), e.g. with a deleted policy; how many. */
  async deleteOf(vendorType: string, vendorId: number): Promise<number> {
    const r = await this.db.deleteFrom('executions').where('vendor_type', '=', vendorType).where('vendor_id', '=', vendorId).executeTakeFirst()
    return Number(r.numDeletedRows)
  }

  /** Deletes one execution of a vendor type (its tasks go with it); whether it was there. */
  async delete(id: number, vendorType: string): Promise<boolean> {
    const r = await this.db.deleteFrom('executions').where('id', '=', id).where('vendor_type', '=', vendorType).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Deletes ended executions of a vendor type that ended before `before` (their tasks go with them); how many. */
  async purgeEnded(vendorType: string, before: string): Promise<number> {
    const r = await this.db
      .deleteFrom('executions')
      .where('vendor_type', '=', vendorType)
      .where('status', 'in', FINAL)
      .where('end_time', '<', before)
      .executeTakeFirst()
    return Number(r.numDeletedRows)
  }
}

function executionOf(r: Selectable<ExecutionTable> & Record<`n_${'total' | 'pending' | 'running' | 'success' | 'error' | 'stopped'}`, string | number>): Execution {
  return {
    id: Number(r.id),
    vendorType: r.vendor_type,
    vendorId: Number(r.vendor_id),
    status: r.status as RunStatus,
    statusMessage: r.status_message,
    trigger: r.trigger,
    extraAttrs: attrs(r.extra_attrs),
    startTime: r.start_time,
    endTime: r.end_time,
    updateTime: r.update_time,
    metrics: {
      total: Number(r.n_total),
      pending: Number(r.n_pending),
      running: Number(r.n_running),
      success: Number(r.n_success),
      error: Number(r.n_error),
      stopped: Number(r.n_stopped),
    },
  }
}

export class TaskStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(t: NewTask): Promise<number> {
    const at = now()
    const r = await this.db
      .insertInto('tasks')
      .values({
        execution_id: t.executionId,
        status: 'Pending',
        kind: t.kind ?? '',
        subject: t.subject ?? '',
        extra_attrs: JSON.stringify(t.extraAttrs ?? {}),
        creation_time: at,
        update_time: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(r.id)
  }

  async setJob(id: number, jobId: number): Promise<void> {
    await this.db.updateTable('tasks').set({ job_id: jobId, update_time: now() }).where('id', '=', id).execute()
  }

  /** Moves a task to `status` (start and end times follow, a start counts a run); an ended task stays ended. */
  async set(id: number, status: RunStatus, message?: string): Promise<void> {
    const at = now()
    const ended = FINAL.includes(status)
    await this.db
      .updateTable('tasks')
      .set((eb) => ({
        status,
        update_time: at,
        ...(message !== undefined ? { status_message: message.slice(0, 4000) } : {}),
        ...(ended ? { end_time: at } : status === 'Running' ? { start_time: at, run_count: eb('run_count', '+', 1) } : {}),
      }))
      .where('id', '=', id)
      .where('status', 'in', ['Pending', 'Running'])
      .execute()
  }

  /** Merges `patch` into the task's extra attributes. */
  async setAttrs(id: number, patch: Attrs): Promise<void> {
    const row = await this.db.selectFrom('tasks').select('extra_attrs').where('id', '=', id).executeTakeFirst()
    if (row === undefined) return
    await this.db
      .updateTable('tasks')
      .set({ extra_attrs: JSON.stringify({ ...attrs(row.extra_attrs), ...patch }), update_time: now() })
      .where('id', '=', id)
      .execute()
  }

  async get(id: number): Promise<Task | null> {
    const r = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : taskOf(r)
  }

  /** One page of an execution's tasks, oldest first unless `q` sorts. */
  async list(executionId: number, q: ListQuery): Promise<Listed<Task>> {
    const base = this.db.selectFrom('tasks').selectAll().where('execution_id', '=', executionId)
    const page = await listPage(base, q, TASK_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(taskOf), total: page.total }
  }

  /** One page of the tasks of every run of a vendor (e.g. a webhook policy's deliveries), newest first unless `q` sorts. */
  async listByVendor(vendorType: string, vendorId: number, q: ListQuery): Promise<Listed<Task>> {
    const base = this.db
      .selectFrom('tasks')
      .selectAll('tasks')
      .innerJoin('executions as e', 'e.id', 'tasks.execution_id')
      .where('e.vendor_type', '=', vendorType)
      .where('e.vendor_id', '=', vendorId)
    const page = await listPage(base, q, VENDOR_TASK_FIELDS, { column: 'tasks.id', desc: true })
    return { items: page.items.map(taskOf), total: page.total }
  }

  /** Puts a failed task back to pending, to run again. */
  async retry(id: number): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ status: 'Pending', status_message: '', start_time: null, end_time: null, update_time: now() })
      .where('id', '=', id)
      .where('status', '=', 'Error')
      .execute()
  }

  /** Tasks of an execution not yet ended (at most `limit`). */
  async unfinished(executionId: number, limit = 100_000): Promise<Task[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where('status', 'in', ['Pending', 'Running'])
      .orderBy('id')
      .limit(limit)
      .execute()
    return rows.map(taskOf)
  }
}
