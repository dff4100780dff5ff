// Tag retention: each project's policy (Harbor's /retentions API, found through the project's
// `retention_id` metadata), and its runs. A run is an execution (vendor RETENTION, vendor id the
// policy id) with one task per repository some enabled rule covers; each task judges its
// repository's listed artifacts (retention-policy.ts) and deletes what no rule retains through the
// registry's own delete path, so DELETE_ARTIFACT events, quota usage and immutability stay right.
// A tag an immutability rule protects is never deleted: its artifact is skipped and the log says
// so. A dry run logs and counts the same decisions and changes nothing. When a run (not a dry
// one) ends, one TAG_RETENTION event with its numbers commits with the end. Retention removes
// artifacts and their tags only; garbage collection frees the bytes.
import type { Kysely } from 'kysely'
import { BerthError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Caller } from '../../auth/identity.js'
import type { Permission } from '../../auth/permissions.js'
import type { Database, Db } from '../../metadata/schema.js'
import { inTransaction, type Stores } from '../../metadata/stores.js'
import type { RetentionPolicyRow } from '../../metadata/retention-policy-store.js'
import type { Attrs, Execution, RunStatus, Task } from '../../metadata/execution-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Project } from '../../metadata/project-store.js'
import type { JobService } from '../../jobs/job-service.js'
import type { Executions, TaskContext } from '../../jobs/executions.js'
import { eventMeta, RETENTION_EVENT_MAX_DELETED, type Outbox, type RetentionDeletion } from '../../events/outbox.js'
import { parseReference, parseRepoName } from '../../oci/names.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectService } from '../identity/project-service.js'
import { actorOf, requireSignedIn } from '../identity/guards.js'
import type { TagImmutability } from '../immutability/immutability-service.js'
import type { ManifestService } from '../registry/manifest-service.js'
import { repositoryInProject } from '../rules/selectors.js'
import { compileRules, covers, decide, loadPolicy, parsePolicy, parseScope, retentionMetadata, storedPolicy, type RetentionPolicyBody, type RetentionPolicyInput } from './retention-policy.js'

/** The executions' vendor type and the job type of their tasks. */
export const RETENTION = 'RETENTION'
const SCHEDULE_JOB = 'RETENTION_SCHEDULE'
/** The most deleted artifacts one task keeps in its attributes (the count is exact). */
const TASK_MAX_DELETED = RETENTION_EVENT_MAX_DELETED

export interface RetentionPolicy extends RetentionPolicyBody {
  id: number
  projectId: number
}

interface TaskPayload {
  policyId: number
  projectId: number
  repository: string
  dryRun: boolean
  operator: string
  /** The policy as it was when the run started. */
  policy: string
}

/** What a task records in its extra attributes. */
export interface TaskResult extends Attrs {
  total: number
  retained: number
  deleted_count: number
  deleted: { digest: string; tags: string[] }[]
  dry_run: boolean
}

export interface RetentionServiceOptions {
  db: Db
  stores: Stores
  projects: ProjectService
  audit: AuditLog
  executions: Executions
  jobs: JobService
  /** The registry's delete path (events, quota, immutability). */
  manifests: Pick<ManifestService, 'delete'>
  immutability: TagImmutability
  outbox: Outbox
  log?: Logger
  now?: () => number
}

function notFound(id: number): BerthError {
  return new BerthError('NOT_FOUND', `retention policy ${id} not found`)
}

export class RetentionService {
  private readonly now: () => number

  constructor(private readonly o: RetentionServiceOptions) {
    this.now = o.now ?? Date.now
    // Retention deletes artifacts: its tasks wait while the registry is read-only.
    o.executions.registerTask<TaskPayload>({ jobType: RETENTION, maxAttempts: 3, heldWhileReadOnly: true, run: (p, ctx) => this.runTask(p, ctx) })
    o.executions.onEnded(RETENTION, (trx, e, status) => this.ended(trx, e, status))
    // A slot of a policy's schedule fires once across nodes; a run still going is left alone.
    o.jobs.register({
      type: SCHEDULE_JOB,
      maxAttempts: 1,
      run: async (raw, ctx) => {
        const policyId = (raw as { policyId: number }).policyId
        if ((await o.stores.retentionPolicies.get(policyId)) === null) {
          await o.jobs.schedule(RETENTION, policyId, null, SCHEDULE_JOB, null)
          await ctx.log(`retention policy ${policyId} is gone; its schedule is removed`)
          return
        }
        const id = await this.start(policyId, 'SCHEDULE', false, '')
        await ctx.log(id === null ? 'a run of this policy is in progress; this slot is skipped' : `started run ${id}`)
      },
    })
  }

  /** Harbor's RetentionMetadata (signed-in callers). */
  metadata(caller: Caller): ReturnType<typeof retentionMetadata> {
    requireSignedIn(caller)
    return retentionMetadata()
  }

  // --- policies ----------------------------------------------------------------------------

  private audit(caller: Caller, project: Project, operation: string, resource: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'retention', resource, result: 'success', projectId: project.id })
  }

  /** The policy and its project, the caller holding `perm` there; NOT_FOUND for an unknown id. */
  private async policyFor(caller: Caller, id: number, perm: Permission): Promise<{ row: RetentionPolicyRow; project: Project }> {
    const row = await this.o.stores.retentionPolicies.get(id)
    if (row === null) {
      requireSignedIn(caller)
      throw notFound(id)
    }
    const project = await this.o.projects.require(caller, { id: row.projectId }, perm)
    return { row, project }
  }

  private schedule(policyId: number, cron: string): Promise<void> {
    return this.o.jobs.schedule(RETENTION, policyId, cron === '' ? null : cron, SCHEDULE_JOB, { policyId })
  }

  /** Adds a project's policy (scope names the project) and points its retention_id at it; CONFLICT when it has one. */
  async create(caller: Caller, input: RetentionPolicyInput): Promise<number> {
    const projectId = parseScope(input.scope)
    const policy = parsePolicy(input)
    const project = await this.o.projects.require(caller, { id: projectId }, 'tag-retention:create')
    const id = await inTransaction(this.o.db, async (s) => {
      const created = await s.retentionPolicies.create(project.id, storedPolicy(policy))
      if (created === null) throw new BerthError('CONFLICT', `project ${project.name} has a retention policy already; change it instead`)
      await s.projects.setMetadata(project.id, { retention_id: String(created) })
      return created
    })
    await this.schedule(id, policy.cron)
    this.audit(caller, project, 'create', `${project.name}/retentions/${id}`)
    return id
  }

  async get(caller: Caller, id: number): Promise<RetentionPolicy> {
    const { row } = await this.policyFor(caller, id, 'tag-retention:read')
    return { id: row.id, projectId: row.projectId, ...loadPolicy(row.policy) }
  }

  /** Replaces a policy's rules and trigger; a scope in the body must name the policy's project. */
  async update(caller: Caller, id: number, input: RetentionPolicyInput): Promise<void> {
    if (input.id !== undefined && input.id !== null && input.id !== 0 && input.id !== id) throw new BerthError('BAD_REQUEST', `the id in the body (${String(input.id).slice(0, 20)}) is not the policy's id (${id})`)
    const policy = parsePolicy(input)
    const { row, project } = await this.policyFor(caller, id, 'tag-retention:update')
    if (input.scope !== undefined && input.scope !== null && parseScope(input.scope) !== row.projectId) throw new BerthError('BAD_REQUEST', 'scope.ref cannot change: a policy belongs to its project')
    if (!(await this.o.stores.retentionPolicies.update(id, storedPolicy(policy)))) throw notFound(id)
    await this.schedule(id, policy.cron)
    this.audit(caller, project, 'update', `${project.name}/retentions/${id}`)
  }

  /** Deletes a policy with its runs (one going is stopped first), its schedule and the project's retention_id. */
  async delete(caller: Caller, id: number): Promise<void> {
    const { project } = await this.policyFor(caller, id, 'tag-retention:delete')
    const active = await this.o.stores.executions.active(RETENTION, id)
    if (active !== null) await this.o.executions.stop(active, RETENTION)
    await inTransaction(this.o.db, async (s) => {
      if (!(await s.retentionPolicies.delete(id))) throw notFound(id)
      await s.projects.setMetadata(project.id, { retention_id: null })
      await s.executions.deleteOf(RETENTION, id)
    })
    await this.schedule(id, '')
    this.audit(caller, project, 'delete', `${project.name}/retentions/${id}`)
  }

  // --- runs --------------------------------------------------------------------------------

  /** Runs a policy now: the execution's id; CONFLICT while one of its runs is going. */
  async trigger(caller: Caller, id: number, dryRun: boolean): Promise<number> {
    const { project } = await this.policyFor(caller, id, 'tag-retention:operate')
    const executionId = await this.start(id, 'MANUAL', dryRun, actorOf(caller).username)
    if (executionId === null) throw new BerthError('CONFLICT', `a run of retention policy ${id} is in progress; wait for it to end or stop it`)
    this.audit(caller, project, 'create', `${project.name}/retentions/${id}/executions/${executionId}`)
    return executionId
  }

  /**
   * Starts a run: one task per repository of the project that an enabled rule covers (none: the
   * run ends at once). Null when one of the policy's runs is going (on any node).
   */
  async start(policyId: number, trigger: 'MANUAL' | 'SCHEDULE', dryRun: boolean, operator: string): Promise<number | null> {
    const row = await this.o.stores.retentionPolicies.get(policyId)
    if (row === null) throw notFound(policyId)
    const rules = compileRules(loadPolicy(row.policy))
    const repositories = (await this.o.stores.retentionPolicies.repositories(row.projectId)).filter((r) => covers(rules, repositoryInProject(r.name)))
    const tasks = repositories.map((r) => ({
      kind: '',
      subject: r.name,
      payload: { policyId, projectId: row.projectId, repository: r.name, dryRun, operator, policy: row.policy } satisfies TaskPayload,
    }))
    return this.o.executions.run(RETENTION, policyId, trigger, RETENTION, tasks, { dry_run: dryRun, operator, project_id: row.projectId })
  }

  /** An execution of this policy; NOT_FOUND for another policy's. */
  private async execution(policyId: number, executionId: number): Promise<Execution> {
    const e = await this.o.executions.get(executionId, RETENTION)
    if (e.vendorId !== policyId) throw new BerthError('NOT_FOUND', `execution ${executionId} not found`)
    return e
  }

  async listExecutions(caller: Caller, id: number, q: ListQuery): Promise<Listed<Execution>> {
    await this.policyFor(caller, id, 'tag-retention:list')
    return this.o.executions.executions.list(RETENTION, q, id)
  }

  /** Stops a run (Harbor's PATCH with action "stop"); a run that ended stays as it was. */
  async stop(caller: Caller, id: number, executionId: number): Promise<void> {
    const { project } = await this.policyFor(caller, id, 'tag-retention:operate')
    await this.execution(id, executionId)
    await this.o.executions.stop(executionId, RETENTION)
    this.audit(caller, project, 'stop', `${project.name}/retentions/${id}/executions/${executionId}`)
  }

  async listTasks(caller: Caller, id: number, executionId: number, q: ListQuery): Promise<Listed<Task>> {
    await this.policyFor(caller, id, 'tag-retention:list')
    await this.execution(id, executionId)
    return this.o.executions.tasks.list(executionId, q)
  }

  /** A task's log, as text. */
  async taskLog(caller: Caller, id: number, executionId: number, taskId: number): Promise<string> {
    await this.policyFor(caller, id, 'tag-retention:read')
    await this.execution(id, executionId)
    return this.o.executions.log(await this.o.executions.task(executionId, taskId, RETENTION))
  }

  // --- one repository ----------------------------------------------------------------------

  private async runTask(p: TaskPayload, ctx: TaskContext): Promise<void> {
    const result: TaskResult = { total: 0, retained: 0, deleted_count: 0, deleted: [], dry_run: p.dryRun }
    const repo = await this.o.stores.repositories.get(p.repository)
    if (repo === null) {
      await ctx.log(`repository ${p.repository} is gone; nothing to do`)
      await ctx.setAttrs(result)
      return
    }
    const candidates = await this.o.stores.retentionPolicies.candidates(repo.id)
    const decision = decide(compileRules(loadPolicy(p.policy)), repositoryInProject(p.repository), candidates, this.now())
    result.total = candidates.length
    if (decision === null) {
      // Tasks are made for covered repositories only; this is the same policy, so only a guard.
      result.retained = candidates.length
      await ctx.log(`no rule covers ${p.repository}; nothing to do`)
      await ctx.setAttrs(result)
      return
    }
    await ctx.log(`${p.repository}: ${candidates.length} artifact(s), ${decision.deleted.length} not retained${p.dryRun ? ' (dry run: nothing is deleted)' : ''}`)
    const name = parseRepoName(p.repository)
    let deleted = 0
    const gone = new Set<string>()
    const remove = async (digest: string, tags: readonly string[], why = ''): Promise<boolean> => {
      if (ctx.signal.aborted) {
        await ctx.setAttrs({ ...result, retained: candidates.length - gone.size, deleted_count: deleted })
        throw ctx.signal.reason ?? new Error('stopped')
      }
      const what = `${digest} [${tags.join(', ') || 'untagged'}]`
      try {
        // The tags a delete would take (its own and its accessories'): none may be immutable.
        await this.o.immutability.check(p.projectId, p.repository, () => this.o.stores.artifacts.tagsGoingWith(repo.id, digest), 'delete')
        if (!p.dryRun) await this.o.manifests.delete(name, parseReference(digest), { operator: p.operator })
      } catch (err) {
        if (!(err instanceof BerthError)) throw err
        if (err.code === 'PRECONDITION' || err.code === 'DELETE_REFUSED') {
          await ctx.log(`${what}: retained, ${err.message}`)
          return false
        }
        if (err.code === 'MANIFEST_UNKNOWN') {
          await ctx.log(`${what}: already deleted`)
          return false
        }
        throw err
      }
      deleted++
      if (result.deleted.length < TASK_MAX_DELETED) result.deleted.push({ digest, tags: [...tags] })
      await ctx.log(`${what}: ${p.dryRun ? 'would be deleted' : 'deleted'}${why}`)
      return true
    }
    for (const c of decision.deleted) if (await remove(c.digest, c.tags)) gone.add(c.digest)
    // The children of a deleted index go with it (as Harbor deletes them), unless another index
    // that stays holds them or they have a tag of their own.
    const kept = new Set(candidates.filter((c) => !gone.has(c.digest)).flatMap((c) => c.children))
    const tagged = gone.size === 0 ? new Set<string>() : await this.o.stores.retentionPolicies.taggedUnlisted(repo.id)
    const orphans = new Set(candidates.filter((c) => gone.has(c.digest)).flatMap((c) => c.children))
    for (const child of orphans) if (!kept.has(child) && !tagged.has(child)) await remove(child, [], ' (a child of a deleted index)')
    result.deleted_count = deleted
    result.retained = candidates.length - gone.size
    await ctx.log(`${p.repository}: ${result.retained} of ${result.total} retained, ${deleted} ${p.dryRun ? 'would be deleted' : 'deleted'}`)
    await ctx.setAttrs(result)
  }

  /** The end of a run: its TAG_RETENTION event (not for a dry run), in the transaction that ends it. */
  private async ended(trx: Kysely<Database>, e: Execution, status: RunStatus): Promise<void> {
    if (e.extraAttrs.dry_run === true) return
    const rows = await trx.selectFrom('tasks').select(['subject', 'extra_attrs']).where('execution_id', '=', e.id).orderBy('id').execute()
    let total = 0
    let retained = 0
    let deletedCount = 0
    const deleted: RetentionDeletion[] = []
    for (const r of rows) {
      let a: Partial<TaskResult> = {}
      try {
        a = JSON.parse(r.extra_attrs) as Partial<TaskResult>
      } catch {
        // A task that never ran has no results.
      }
      total += a.total ?? 0
      retained += a.retained ?? 0
      deletedCount += a.deleted_count ?? 0
      for (const d of a.deleted ?? []) if (deleted.length < RETENTION_EVENT_MAX_DELETED) deleted.push({ repository: r.subject, digest: d.digest, tags: d.tags })
    }
    const projectId = Number(e.extraAttrs.project_id)
    const project = await trx.selectFrom('projects').select('name').where('id', '=', projectId).executeTakeFirst()
    if (project === undefined) return
    const operator = typeof e.extraAttrs.operator === 'string' ? e.extraAttrs.operator : ''
    await this.o.outbox.record(trx, {
      type: 'TAG_RETENTION',
      project: project.name,
      projectId,
      policyId: e.vendorId,
      executionId: e.id,
      status,
      trigger: e.trigger,
      total,
      retained,
      deletedCount,
      deleted,
      path: [],
      ...eventMeta(operator),
    })
  }
}
