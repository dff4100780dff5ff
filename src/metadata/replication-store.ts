// Replication policies, their executions and tasks, and the replication path of artifacts.
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, ReplicationExecutionTable, ReplicationPolicyTable, ReplicationTaskTable } from './schema.js'
import { nowIso } from './stores.js'
import { containing } from './list-query.js'

export interface PolicyFilter {
  type: 'name' | 'tag' | 'label' | 'resource'
  value: string | string[]
  decoration?: 'matches' | 'excludes'
}

export interface Policy {
  id: number
  name: string
  description: string
  srcRegistryId: number | null
  destRegistryId: number | null
  destNamespace: string
  destNamespaceReplaceCount: number
  trigger: 'manual' | 'scheduled' | 'event_based'
  cron: string
  filters: PolicyFilter[]
  replicateDeletion: boolean
  override: boolean
  enabled: boolean
  /** KiB/s per task; -1 unlimited. */
  speed: number
  copyByChunk: boolean
  createdAt: string
  updatedAt: string
}

export type PolicyFields = Omit<Policy, 'id' | 'createdAt' | 'updatedAt'>

function policyOf(r: Selectable<ReplicationPolicyTable>): Policy {
  return {
    id: Number(r.id),
    name: r.name,
    description: r.description,
    srcRegistryId: r.src_registry_id === null ? null : Number(r.src_registry_id),
    destRegistryId: r.dest_registry_id === null ? null : Number(r.dest_registry_id),
    destNamespace: r.dest_namespace,
    destNamespaceReplaceCount: Number(r.dest_namespace_replace_count),
    trigger: r.trigger_type as Policy['trigger'],
    cron: r.cron,
    filters: JSON.parse(r.filters) as PolicyFilter[],
    replicateDeletion: Number(r.replicate_deletion) === 1,
    override: Number(r.override) === 1,
    enabled: Number(r.enabled) === 1,
    speed: Number(r.speed),
    copyByChunk: Number(r.copy_by_chunk) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function policyColumns(f: PolicyFields) {
  return {
    name: f.name,
    description: f.description,
    src_registry_id: f.srcRegistryId,
    dest_registry_id: f.destRegistryId,
    dest_namespace: f.destNamespace,
    dest_namespace_replace_count: f.destNamespaceReplaceCount,
    trigger_type: f.trigger,
    cron: f.cron,
    filters: JSON.stringify(f.filters),
    replicate_deletion: f.replicateDeletion ? 1 : 0,
    override: f.override ? 1 : 0,
    enabled: f.enabled ? 1 : 0,
    speed: f.speed,
    copy_by_chunk: f.copyByChunk ? 1 : 0,
  }
}

export class PolicyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(f: PolicyFields): Promise<number> {
    const at = nowIso()
    const r = await this.db
      .insertInto('replication_policies')
      .values({ ...policyColumns(f), created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(r.id)
  }

  async get(id: number): Promise<Policy | null> {
    const r = await this.db.selectFrom('replication_policies').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : policyOf(r)
  }

  async getByName(name: string): Promise<Policy | null> {
    const r = await this.db.selectFrom('replication_policies').selectAll().where('name', '=', name).executeTakeFirst()
    return r === undefined ? null : policyOf(r)
  }

  /** Every policy, or those whose name contains `name`, by id. */
  async list(name?: string): Promise<Policy[]> {
    const rows = await this.db
      .selectFrom('replication_policies')
      .selectAll()
      .$if(name !== undefined && name !== '', (q) => q.where(containing('name', name!)))
      .orderBy('id')
      .execute()
    return rows.map(policyOf)
  }

  async update(id: number, f: PolicyFields): Promise<void> {
    await this.db
      .updateTable('replication_policies')
      .set({ ...policyColumns(f), updated_at: nowIso() })
      .where('id', '=', id)
      .execute()
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('replication_policies').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) === 1
  }

  /** Policies that use a registry (it cannot be deleted while any does). */
  async usingRegistry(registryId: number): Promise<Policy[]> {
    const rows = await this.db
      .selectFrom('replication_policies')
      .selectAll()
      .where((eb) => eb.or([eb('src_registry_id', '=', registryId), eb('dest_registry_id', '=', registryId)]))
      .execute()
    return rows.map(policyOf)
  }
}

export type ExecutionStatus = 'InProgress' | 'Succeed' | 'Failed' | 'Stopped'
export type TaskStatus = 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped'

export interface Execution {
  id: number
  policyId: number
  status: ExecutionStatus
  statusText: string
  trigger: string
  startTime: string
  endTime: string | null
  counts: { total: number; failed: number; succeed: number; inProgress: number; stopped: number }
}

export interface Task {
  id: number
  executionId: number
  status: TaskStatus
  operation: 'copy' | 'deletion'
  resourceType: string
  srcResource: string
  dstResource: string
  jobId: number | null
  startTime: string | null
  endTime: string | null
}

function taskOf(r: Selectable<ReplicationTaskTable>): Task {
  return {
    id: Number(r.id),
    executionId: Number(r.execution_id),
    status: r.status as TaskStatus,
    operation: r.operation as Task['operation'],
    resourceType: r.resource_type,
    srcResource: r.src_resource,
    dstResource: r.dst_resource,
    jobId: r.job_id === null ? null : Number(r.job_id),
    startTime: r.start_time,
    endTime: r.end_time,
  }
}

export class ExecutionStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Starts an execution unless the policy has one in progress (a unique index decides races between nodes): then null. */
  async start(policyId: number, trigger: string): Promise<number | null> {
    const r = await this.db
      .insertInto('replication_executions')
      .values({ policy_id: policyId, status: 'InProgress', trigger, start_time: nowIso() })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  /** Puts an execution that ended back in progress (a task was added to it as it ended); false if another one is active. */
  async reopen(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('replication_executions')
      .set({ status: 'InProgress', status_text: '', end_time: null })
      .where('id', '=', id)
      .where('status', '!=', 'InProgress')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('replication_executions as other').select('other.id').whereRef('other.policy_id', '=', 'replication_executions.policy_id').where('other.status', '=', 'InProgress'))),
      )
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** The policy's execution in progress, if any. */
  async active(policyId: number): Promise<number | null> {
    const r = await this.db.selectFrom('replication_executions').select('id').where('policy_id', '=', policyId).where('status', '=', 'InProgress').executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  async get(id: number): Promise<Execution | null> {
    return (await this.rows(this.filtered({ id }), 0, 1))[0] ?? null
  }

  async list(f: { policyId?: number; status?: string; trigger?: string }, offset: number, limit: number): Promise<{ items: Execution[]; total: number }> {
    const base = this.filtered(f)
    const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    return { total: Number(total.n), items: await this.rows(base, offset, limit) }
  }

  private filtered(f: { id?: number; policyId?: number; status?: string; trigger?: string }) {
    return this.db
      .selectFrom('replication_executions as e')
      .$if(f.id !== undefined, (q) => q.where('e.id', '=', f.id!))
      .$if(f.policyId !== undefined, (q) => q.where('e.policy_id', '=', f.policyId!))
      .$if(f.status !== undefined, (q) => q.where('e.status', '=', f.status!))
      .$if(f.trigger !== undefined, (q) => q.where('e.trigger', '=', f.trigger!))
  }

  /** Executions of a filtered query, newest first, with their task counts. */
  private async rows(base: ReturnType<ExecutionStore['filtered']>, offset: number, limit: number): Promise<Execution[]> {
    const count = (status: string | null) =>
      sql<string>`(select count(*) from replication_tasks t where t.execution_id = e.id${status === null ? sql`` : sql` and t.status = ${status}`})`
    const rows = await base
      .selectAll('e')
      .select([
        count(null).as('total'),
        count('Failed').as('failed'),
        count('Succeed').as('succeed'),
        sql<string>`(select count(*) from replication_tasks t where t.execution_id = e.id and t.status in ('Pending', 'InProgress'))`.as('in_progress'),
        count('Stopped').as('stopped'),
      ])
      .orderBy('e.id', 'desc')
      .offset(offset)
      .limit(limit)
      .execute()
    return rows.map((r: Selectable<ReplicationExecutionTable> & Record<'total' | 'failed' | 'succeed' | 'in_progress' | 'stopped', string>) => ({
      id: Number(r.id),
      policyId: Number(r.policy_id),
      status: r.status as ExecutionStatus,
      statusText: r.status_text,
      trigger: r.trigger,
      startTime: r.start_time,
      endTime: r.end_time,
      counts: { total: Number(r.total), failed: Number(r.failed), succeed: Number(r.succeed), inProgress: Number(r.in_progress), stopped: Number(r.stopped) },
    }))
  }

  /** Ends an execution that is still in progress; false when it had already ended. */
  async end(id: number, status: ExecutionStatus, text = ''): Promise<boolean> {
    const r = await this.db
      .updateTable('replication_executions')
      .set({ status, status_text: text, end_time: nowIso() })
      .where('id', '=', id)
      .where('status', '=', 'InProgress')
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Executions in progress that started before `before` (for the timeout). */
  async startedBefore(before: string): Promise<number[]> {
    const rows = await this.db.selectFrom('replication_executions').select('id').where('status', '=', 'InProgress').where('start_time', '<', before).execute()
    return rows.map((r) => Number(r.id))
  }
}

export class TaskStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(t: Pick<Task, 'executionId' | 'operation' | 'resourceType' | 'srcResource' | 'dstResource'>): Promise<number> {
    const r = await this.db
      .insertInto('replication_tasks')
      .values({ execution_id: t.executionId, status: 'Pending', operation: t.operation, resource_type: t.resourceType, src_resource: t.srcResource, dst_resource: t.dstResource })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(r.id)
  }

  async setJob(id: number, jobId: number): Promise<void> {
    await this.db.updateTable('replication_tasks').set({ job_id: jobId }).where('id', '=', id).execute()
  }

  /** Moves a task to `status` (start and end times follow); an ended task stays ended. */
  async set(id: number, status: TaskStatus): Promise<void> {
    const at = nowIso()
    const ended = status === 'Succeed' || status === 'Failed' || status === 'Stopped'
    await this.db
      .updateTable('replication_tasks')
      .set(ended ? { status, end_time: at } : { status, start_time: at })
      .where('id', '=', id)
      .where('status', 'in', ['Pending', 'InProgress'])
      .execute()
  }

  async get(id: number): Promise<Task | null> {
    const r = await this.db.selectFrom('replication_tasks').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : taskOf(r)
  }

  async list(executionId: number, f: { status?: string; resourceType?: string }, offset: number, limit: number): Promise<{ items: Task[]; total: number }> {
    const base = this.db
      .selectFrom('replication_tasks')
      .where('execution_id', '=', executionId)
      .$if(f.status !== undefined, (q) => q.where('status', '=', f.status!))
      .$if(f.resourceType !== undefined, (q) => q.where('resource_type', '=', f.resourceType!))
    const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    const rows = await base.selectAll().orderBy('id').offset(offset).limit(limit).execute()
    return { items: rows.map(taskOf), total: Number(total.n) }
  }

  /** Puts a failed task back to pending, to run again. */
  async retry(id: number): Promise<void> {
    await this.db.updateTable('replication_tasks').set({ status: 'Pending', start_time: null, end_time: null }).where('id', '=', id).where('status', '=', 'Failed').execute()
  }

  /** Tasks of an execution not yet ended. */
  async unfinished(executionId: number): Promise<Task[]> {
    const rows = await this.db.selectFrom('replication_tasks').selectAll().where('execution_id', '=', executionId).where('status', 'in', ['Pending', 'InProgress']).execute()
    return rows.map(taskOf)
  }
}

export class ArtifactPathStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records the instances an artifact travelled through to reach this one. */
  async record(repositoryId: number, digest: string, path: readonly string[]): Promise<void> {
    const at = nowIso()
    const value = path.join(',')
    await this.db
      .insertInto('artifact_paths')
      .values({ repository_id: repositoryId, digest, path: value, updated_at: at })
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ path: value, updated_at: at }))
      .execute()
  }

  async get(repositoryId: number, digest: string): Promise<string[]> {
    const r = await this.db.selectFrom('artifact_paths').select('path').where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst()
    return r === undefined || r.path === '' ? [] : r.path.split(',')
  }
}
