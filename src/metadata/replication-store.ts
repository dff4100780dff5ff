// Replication policies, their executions and tasks, and the replication path of artifacts.
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, ReplicationPolicyTable } from './schema.js'
import { ExecutionStore, TaskStore, type Execution as ModelExecution, type RunStatus, type Task as ModelTask } from './execution-store.js'
import { nowIso } from '../lib/clock.js'
import { containing, type ListQuery } from './list-query.js'

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

  /** One page of `list`, and how many policies it pages through. */
  async page(name: string | undefined, offset: number, limit: number): Promise<{ items: Policy[]; total: number }> {
    const matching = this.db.selectFrom('replication_policies').$if(name !== undefined && name !== '', (q) => q.where(containing('name', name!)))
    const [rows, count] = await Promise.all([
      matching.selectAll().orderBy('id').limit(limit).offset(offset).execute(),
      matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(policyOf), total: Number(count.n) }
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

/** Replication's words for the model's statuses (Harbor's replication API speaks these). */
export const TO_REPLICATION: Record<RunStatus, TaskStatus> = { Pending: 'Pending', Running: 'InProgress', Success: 'Succeed', Error: 'Failed', Stopped: 'Stopped' }
const FROM_REPLICATION: Record<TaskStatus, RunStatus> = { Pending: 'Pending', InProgress: 'Running', Succeed: 'Success', Failed: 'Error', Stopped: 'Stopped' }

/** A status filter in replication's words, as the model's; unknown words match nothing. */
function runStatus(status: string): string {
  return Object.hasOwn(FROM_REPLICATION, status) ? FROM_REPLICATION[status as TaskStatus] : status
}

function replicationExecution(e: ModelExecution): Execution {
  const m = e.metrics
  return {
    id: e.id,
    policyId: e.vendorId,
    status: TO_REPLICATION[e.status] as ExecutionStatus,
    statusText: e.statusMessage,
    trigger: e.trigger,
    startTime: e.startTime,
    endTime: e.endTime,
    counts: { total: m.total, failed: m.error, succeed: m.success, inProgress: m.pending + m.running, stopped: m.stopped },
  }
}

function replicationTask(t: ModelTask): Task {
  return {
    id: t.id,
    executionId: t.executionId,
    status: TO_REPLICATION[t.status],
    operation: (t.extraAttrs.operation as Task['operation'] | undefined) ?? 'copy',
    resourceType: t.kind,
    srcResource: t.subject,
    dstResource: typeof t.extraAttrs.dst_resource === 'string' ? t.extraAttrs.dst_resource : '',
    jobId: t.jobId,
    startTime: t.startTime,
    endTime: t.endTime,
  }
}

export const REPLICATION = 'REPLICATION'

/** Replication's executions: the model's executions of vendor type REPLICATION, in replication's words. */
export class ReplicationExecutionStore {
  private readonly model: ExecutionStore

  constructor(db: Kysely<Database>) {
    this.model = new ExecutionStore(db)
  }

  /** Starts an execution unless the policy has one in progress (a unique index decides races between nodes): then null. */
  start(policyId: number, trigger: string): Promise<number | null> {
    return this.model.start({ vendorType: REPLICATION, vendorId: policyId, trigger })
  }

  /** Puts an execution that ended back in progress (a task was added to it as it ended); false if another one is active. */
  reopen(id: number): Promise<boolean> {
    return this.model.reopen(id)
  }

  /** The policy's execution in progress, if any. */
  active(policyId: number): Promise<number | null> {
    return this.model.active(REPLICATION, policyId)
  }

  async get(id: number): Promise<Execution | null> {
    const e = await this.model.get(id, REPLICATION)
    return e === null ? null : replicationExecution(e)
  }

  async list(f: { policyId?: number; status?: string; trigger?: string }, offset: number, limit: number): Promise<{ items: Execution[]; total: number }> {
    const conditions: ListQuery['conditions'] = []
    if (f.status !== undefined) conditions.push({ key: 'status', op: 'eq', value: runStatus(f.status) })
    if (f.trigger !== undefined) conditions.push({ key: 'trigger', op: 'eq', value: f.trigger })
    const page = await this.model.list(REPLICATION, { conditions, sort: [], page: Math.floor(offset / Math.max(1, limit)) + 1, pageSize: limit }, f.policyId)
    return { items: page.items.map(replicationExecution), total: page.total }
  }

  /** Ends an execution that is still in progress; false when it had already ended. */
  end(id: number, status: ExecutionStatus, text = ''): Promise<boolean> {
    return this.model.end(id, FROM_REPLICATION[status], text)
  }

  /** Executions in progress that started before `before` (for the timeout). */
  startedBefore(before: string): Promise<number[]> {
    return this.model.startedBefore(REPLICATION, before)
  }
}

/** Replication's tasks: the model's tasks, the resource type as kind and the source as subject. */
export class ReplicationTaskStore {
  private readonly model: TaskStore

  constructor(db: Kysely<Database>) {
    this.model = new TaskStore(db)
  }

  create(t: Pick<Task, 'executionId' | 'operation' | 'resourceType' | 'srcResource' | 'dstResource'>): Promise<number> {
    return this.model.create({ executionId: t.executionId, kind: t.resourceType, subject: t.srcResource, extraAttrs: { operation: t.operation, dst_resource: t.dstResource } })
  }

  setJob(id: number, jobId: number): Promise<void> {
    return this.model.setJob(id, jobId)
  }

  /** Moves a task to `status` (start and end times follow); an ended task stays ended. */
  set(id: number, status: TaskStatus): Promise<void> {
    return this.model.set(id, FROM_REPLICATION[status])
  }

  async get(id: number): Promise<Task | null> {
    const t = await this.model.get(id)
    return t === null ? null : replicationTask(t)
  }

  async list(executionId: number, f: { status?: string; resourceType?: string }, offset: number, limit: number): Promise<{ items: Task[]; total: number }> {
    const conditions: ListQuery['conditions'] = []
    if (f.status !== undefined) conditions.push({ key: 'status', op: 'eq', value: runStatus(f.status) })
    if (f.resourceType !== undefined) conditions.push({ key: 'kind', op: 'eq', value: f.resourceType })
    const page = await this.model.list(executionId, { conditions, sort: [], page: Math.floor(offset / Math.max(1, limit)) + 1, pageSize: limit })
    return { items: page.items.map(replicationTask), total: page.total }
  }

  /** Puts a failed task back to pending, to run again. */
  retry(id: number): Promise<void> {
    return this.model.retry(id)
  }

  /** Tasks of an execution not yet ended. */
  async unfinished(executionId: number): Promise<Task[]> {
    return (await this.model.unfinished(executionId)).map(replicationTask)
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
