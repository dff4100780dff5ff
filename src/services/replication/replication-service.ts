// Replication: registries (remote endpoints, credentials sealed), policies (push: this registry
// to a remote one; pull: a remote one to this), and their executions and tasks, all run as
// durable jobs. Triggers: manual, cron, events from the outbox (push and delete), and a periodic
// reconciliation that re-runs event and cron policies so a target that was down catches up by
// itself. Loops are cut by the replication path: every copy carries the Berth instances it went
// through, and no instance sends content to one already on its path; a copy that changes
// nothing at the target raises no event there.
import { BerthError, READ_ONLY_MESSAGE } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Caller } from '../../auth/identity.js'
import type { SecretBox } from '../../auth/secret-box.js'
import type { Db } from '../../metadata/schema.js'
import { inTransaction, type Stores } from '../../metadata/stores.js'
import type { RegistryFields, RegistryRow } from '../../metadata/registry-store.js'
import type { Execution, Policy, PolicyFields, PolicyFilter, Task } from '../../metadata/replication-store.js'
import { PermanentJobError, nextRun, type JobContext, type JobService } from '../../jobs/job-service.js'
import { eventMeta, type Outbox, type RegistryEvent } from '../../events/outbox.js'
import type { EventSubscriptions } from '../../events/dispatcher.js'
import { requireSystemAccess } from '../identity/guards.js'
import type { SystemPermission } from '../../auth/permissions.js'
import type { RegistryEndpoint } from '../../remote/endpoint.js'
import { compileFilters, destinationRepository, literalRepositories } from './filters.js'
import { Copier } from './copier.js'
import type { LocalRegistry } from './local-registry.js'
import { OutboundGuard } from '../../remote/outbound-guard.js'
import { isListLimit, type RemoteRegistry, type ListLimits } from '../../remote/remote-registry.js'
import { registryClient } from '../../remote/registry-client.js'

export const REGISTRY_TYPES = ['berth', 'harbor', 'docker-registry', 'docker-hub'] as const
export type RegistryType = (typeof REGISTRY_TYPES)[number]

const EXECUTION_JOB = 'REPLICATION_EXECUTION'
const TASK_JOB = 'REPLICATION'
const RECONCILE_JOB = 'REPLICATION_RECONCILE'
const RECONCILE_VENDOR = 'REPLICATION_RECONCILE'

export interface RegistryInput {
  name: string
  type: string
  url: string
  description?: string
  credential?: { type?: string; access_key?: string; access_secret?: string }
  insecure?: boolean
}

/** Bounds of a REPLICATION event: the projects told of one run, and the artifacts listed. */
const MAX_EVENT_PROJECTS = 20
const MAX_EVENT_ARTIFACTS = 100

export interface ReplicationOptions {
  db: Db
  stores: Stores
  jobs: JobService
  /** The event bus replication subscribes to (pushes and deletes), and tells of its runs' ends. */
  events: EventSubscriptions & Outbox
  box: SecretBox
  local: LocalRegistry
  /** This instance's id on replication paths. */
  instanceId: string
  guard: OutboundGuard
  log: Logger
  /** Seconds between reconciliations of event and cron policies (0: none). */
  reconcileSeconds: number
  /** An execution still in progress after this long is stopped. */
  executionTimeoutMinutes: number
  /** Attempts of a copy task before it fails (a target that stays down). */
  taskAttempts: number
  /** Chunk size of blob uploads to remote registries. */
  chunkBytes?: number
  /** Bounds of one listing of a remote registry (pages, items, bytes). */
  listLimits?: Partial<ListLimits>
  /**
   * Whether this registry is read-only now. Meanwhile pull policies (into this registry) do not
   * fire and their tasks fail, as they would against a read-only Harbor; push policies go on.
   */
  readOnly?: () => Promise<boolean>
}

interface TaskPayload {
  taskId: number
  executionId: number
  policyId: number
  operation: 'copy' | 'deletion'
  srcRepo: string
  dstRepo: string
  reference: string
  path: string[]
}

interface PlannedTask {
  operation: 'copy' | 'deletion'
  srcRepo: string
  dstRepo: string
  reference: string
  path: string[]
}

/** The dedupe key of the job that plans an execution. */
const plannerKey = (executionId: number) => `execution:${executionId}`

function notFound(what: string): BerthError {
  return new BerthError('NOT_FOUND', `${what} not found`)
}

export class ReplicationService {
  constructor(private readonly o: ReplicationOptions) {
    o.events.subscribe({ name: 'replication', types: ['PUSH_ARTIFACT', 'DELETE_TAG', 'DELETE_ARTIFACT', 'DELETE_REPOSITORY'], maxAttempts: 10, handle: (e) => this.onEvent(e) })
    o.jobs.register({ type: EXECUTION_JOB, maxAttempts: 5, run: (p, ctx) => this.plan(p as { executionId: number; policyId: number }, ctx) })
    o.jobs.register({
      type: TASK_JOB,
      maxAttempts: o.taskAttempts,
      run: (p, ctx) => this.runTask(p as TaskPayload, ctx),
      ended: (job, state) => this.taskEnded((job.payload as TaskPayload).taskId, (job.payload as TaskPayload).executionId, state),
    })
    o.jobs.register({ type: RECONCILE_JOB, maxAttempts: 1, run: () => this.reconcile() })
  }

  /** Sets the reconciliation schedule (at start-up; every node writes the same). */
  async start(): Promise<void> {
    const s = this.o.reconcileSeconds
    await this.o.jobs.schedule(RECONCILE_VENDOR, 0, s <= 0 ? null : s < 60 ? `*/${s} * * * * *` : `0 */${Math.max(1, Math.round(s / 60))} * * * *`, RECONCILE_JOB, null)
  }

  // --- registries ------------------------------------------------------------------------

  private checkRegistry(r: RegistryInput): RegistryFields {
    if (typeof r.name !== 'string' || r.name.trim() === '' || r.name.length > 255) throw new BerthError('BAD_REQUEST', 'name must be 1 to 255 characters')
    if (!REGISTRY_TYPES.includes(r.type as RegistryType)) throw new BerthError('BAD_REQUEST', `type must be one of ${REGISTRY_TYPES.join(', ')}`)
    let url: URL
    try {
      url = new URL(r.url)
    } catch {
      throw new BerthError('BAD_REQUEST', `url ${JSON.stringify(r.url)} is not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BerthError('BAD_REQUEST', 'url must be http:// or https://')
    if (url.username !== '' || url.password !== '') throw new BerthError('BAD_REQUEST', 'put credentials in credential, not in the url')
    const credType = r.credential?.type ?? 'basic'
    if (credType !== 'basic') throw new BerthError('BAD_REQUEST', 'credential type must be basic')
    const secret = r.credential?.access_secret ?? ''
    return {
      name: r.name.trim(),
      type: r.type,
      url: url.toString().replace(/\/$/, ''),
      description: r.description ?? '',
      credentialType: credType,
      accessKey: r.credential?.access_key ?? '',
      sealedSecret: secret === '' ? '' : this.o.box.seal(Buffer.from(secret, 'utf8')),
      insecure: r.insecure === true,
    }
  }

  async createRegistry(caller: Caller, r: RegistryInput): Promise<number> {
    requireSystemAccess(caller, 'registry:create')
    const f = this.checkRegistry(r)
    await this.o.guard.checkUrl(f.url)
    if ((await this.o.stores.registries.getByName(f.name)) !== null) throw new BerthError('CONFLICT', `registry ${f.name} already exists`)
    return this.o.stores.registries.create(f)
  }

  /** A page of the registries (by id), optionally those whose name contains `name`. */
  async listRegistries(caller: Caller, name: string | undefined, offset: number, limit: number): Promise<{ items: RegistryRow[]; total: number }> {
    requireSystemAccess(caller, 'registry:list')
    return this.o.stores.registries.page(name, offset, limit)
  }

  /** The registry, if the caller holds `perm` (what it is looked up for). */
  async getRegistry(caller: Caller, id: number, perm: SystemPermission = 'registry:read'): Promise<RegistryRow> {
    requireSystemAccess(caller, perm)
    const r = await this.o.stores.registries.get(id)
    if (r === null) throw notFound(`registry ${id}`)
    return r
  }

  /**
   * Harbor's partial update: absent fields keep their value; an access_secret of '*****' keeps the
   * stored one, but only while the registry stays where the secret was stored for (see secretGoes).
   */
  async updateRegistry(caller: Caller, id: number, u: Partial<{ name: string; description: string; url: string; credential_type: string; access_key: string; access_secret: string; insecure: boolean }>): Promise<void> {
    const current = await this.getRegistry(caller, id, 'registry:update')
    const keepSecret = u.access_secret === undefined || u.access_secret === '*****'
    const f = this.checkRegistry({
      name: u.name ?? current.name,
      type: current.type,
      url: u.url ?? current.url,
      description: u.description ?? current.description,
      credential: { type: u.credential_type ?? current.credentialType, access_key: u.access_key ?? current.accessKey, access_secret: keepSecret ? '' : u.access_secret },
      insecure: u.insecure ?? current.insecure,
    })
    if (keepSecret) this.secretGoes(current, f)
    await this.o.guard.checkUrl(f.url)
    const other = await this.o.stores.registries.getByName(f.name)
    if (other !== null && other.id !== id) throw new BerthError('CONFLICT', `registry ${f.name} already exists`)
    await this.o.stores.registries.update(id, { ...f, sealedSecret: keepSecret ? current.sealedSecret : f.sealedSecret })
  }

  /**
   * A stored secret goes only to the URL it was stored with, and not over a TLS connection whose
   * certificate is no longer verified: BAD_REQUEST when `to` would take it elsewhere. The secret
   * must then be given again (Harbor's clients send '*****' for "unchanged").
   */
  private secretGoes(stored: RegistryFields, to: { url: string; insecure: boolean }): void {
    if (stored.sealedSecret === '' || (to.url === stored.url && (!to.insecure || stored.insecure))) return
    const change = to.url !== stored.url ? `to ${to.url}` : 'without verifying its TLS certificate'
    throw new BerthError('BAD_REQUEST', `the stored secret of registry ${stored.name} is only sent to ${stored.url}${stored.insecure ? '' : ' with a verified certificate'}: give access_secret again to connect ${change}`)
  }

  async deleteRegistry(caller: Caller, id: number): Promise<void> {
    await this.getRegistry(caller, id, 'registry:delete')
    const using = await this.o.stores.policies.usingRegistry(id)
    if (using.length > 0) throw new BerthError('PRECONDITION', `registry ${id} is used by replication policies ${using.map((p) => p.name).join(', ')}`)
    // Harbor refuses too: a proxy-cache project would lose its upstream.
    const caching = await this.o.stores.projects.usingRegistry(id)
    if (caching.length > 0) throw new BerthError('PRECONDITION', `registry ${id} is used by proxy cache projects ${caching.join(', ')}`)
    await this.o.stores.registries.delete(id)
  }

  /** Checks that a registry (stored, or given in full) answers with the credentials; BAD_REQUEST with the reason otherwise. */
  async ping(caller: Caller, r: { id?: number } & Partial<RegistryInput> & { credential_type?: string; access_key?: string; access_secret?: string }): Promise<void> {
    // A ping is how a client tries a registry before creating or changing one.
    requireSystemAccess(caller, 'registry:create')
    let row: RegistryFields
    if (r.id !== undefined) {
      const stored = await this.getRegistry(caller, r.id)
      const url = r.url === undefined ? stored.url : this.checkRegistry({ name: stored.name, type: stored.type, url: r.url }).url
      const insecure = r.insecure ?? stored.insecure
      const given = r.access_secret !== undefined && r.access_secret !== '*****'
      if (!given) this.secretGoes(stored, { url, insecure })
      row = { ...stored, url, insecure, accessKey: r.access_key ?? stored.accessKey, sealedSecret: given ? this.o.box.seal(Buffer.from(r.access_secret!, 'utf8')) : stored.sealedSecret }
    } else {
      row = this.checkRegistry({
        name: 'ping',
        type: r.type ?? '',
        url: r.url ?? '',
        credential: { type: r.credential_type ?? 'basic', access_key: r.access_key ?? '', access_secret: r.access_secret ?? '' },
        insecure: r.insecure === true,
      })
    }
    try {
      await this.remote(row).ping(AbortSignal.timeout(10_000))
    } catch (err) {
      throw new BerthError('BAD_REQUEST', `registry ${row.url} did not answer as expected: ${(err as Error).message}`)
    }
  }

  /** 'healthy' when the registry answers with its credentials, else 'unhealthy'. */
  async status(r: RegistryRow): Promise<'healthy' | 'unhealthy'> {
    try {
      await this.remote(r).ping(AbortSignal.timeout(3_000))
      return 'healthy'
    } catch {
      return 'unhealthy'
    }
  }

  private remote(r: RegistryFields, speedKiB = -1): RemoteRegistry {
    return registryClient(r, {
      unseal: (sealed) => this.o.box.open(sealed),
      guard: this.o.guard,
      ...(this.o.chunkBytes !== undefined ? { chunkBytes: this.o.chunkBytes } : {}),
      ...(this.o.listLimits !== undefined ? { listLimits: this.o.listLimits } : {}),
      speedKiB,
      userAgent: 'berth-replication',
    })
  }

  /** A Berth peer's instance id (cached on the registry row); null for other registries or when it cannot be learnt. */
  private async peerId(r: RegistryRow): Promise<string | null> {
    if (r.type !== 'berth') return null
    if (r.instanceId !== null) return r.instanceId
    try {
      const id = await this.remote(r).instanceId(AbortSignal.timeout(10_000))
      if (id !== null) await this.o.stores.registries.setInstanceId(r.id, id)
      return id
    } catch (err) {
      this.o.log.warn({ err, registry: r.name }, 'could not learn the instance id of a Berth peer')
      return null
    }
  }

  // --- policies --------------------------------------------------------------------------

  private async checkPolicy(p: PolicyFields, id?: number): Promise<void> {
    if (p.name.trim() === '' || p.name.length > 255) throw new BerthError('BAD_REQUEST', 'name must be 1 to 255 characters')
    if ((p.srcRegistryId === null) === (p.destRegistryId === null)) {
      throw new BerthError('BAD_REQUEST', 'exactly one of src_registry and dest_registry must be a remote registry; the other is this one')
    }
    for (const rid of [p.srcRegistryId, p.destRegistryId]) {
      if (rid !== null && (await this.o.stores.registries.get(rid)) === null) throw new BerthError('BAD_REQUEST', `registry ${rid} does not exist`)
    }
    if (!['manual', 'scheduled', 'event_based'].includes(p.trigger)) throw new BerthError('BAD_REQUEST', 'trigger type must be manual, scheduled or event_based')
    if (p.trigger === 'scheduled') nextRun(p.cron)
    if (p.trigger === 'event_based' && p.srcRegistryId !== null) throw new BerthError('BAD_REQUEST', 'an event_based trigger needs this registry as the source (a push policy)')
    if (p.destNamespaceReplaceCount < -1 || p.destNamespaceReplaceCount > 100) throw new BerthError('BAD_REQUEST', 'dest_namespace_replace_count must be -1 to 100')
    if (p.destNamespace !== '' && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(p.destNamespace)) {
      throw new BerthError('BAD_REQUEST', `dest_namespace ${JSON.stringify(p.destNamespace)} is not a valid repository namespace`)
    }
    compileFilters(p.filters)
    const same = await this.o.stores.policies.getByName(p.name)
    if (same !== null && same.id !== id) throw new BerthError('CONFLICT', `policy ${p.name} already exists`)
  }

  async createPolicy(caller: Caller, p: PolicyFields): Promise<number> {
    requireSystemAccess(caller, 'replication-policy:create')
    await this.checkPolicy(p)
    const id = await this.o.stores.policies.create(p)
    await this.scheduleOf(id, p)
    return id
  }

  /** A page of the policies (by id), optionally those whose name contains `name`. */
  async listPolicies(caller: Caller, name: string | undefined, offset: number, limit: number): Promise<{ items: Policy[]; total: number }> {
    requireSystemAccess(caller, 'replication-policy:list')
    return this.o.stores.policies.page(name, offset, limit)
  }

  /** The policy, if the caller holds `perm` (what it is looked up for). */
  async getPolicy(caller: Caller, id: number, perm: SystemPermission = 'replication-policy:read'): Promise<Policy> {
    requireSystemAccess(caller, perm)
    const p = await this.o.stores.policies.get(id)
    if (p === null) throw notFound(`replication policy ${id}`)
    return p
  }

  async updatePolicy(caller: Caller, id: number, p: PolicyFields): Promise<void> {
    await this.getPolicy(caller, id, 'replication-policy:update')
    await this.checkPolicy(p, id)
    await this.o.stores.policies.update(id, p)
    await this.scheduleOf(id, p)
  }

  async deletePolicy(caller: Caller, id: number): Promise<void> {
    await this.getPolicy(caller, id, 'replication-policy:delete')
    if ((await this.o.stores.replicationExecutions.active(id)) !== null) throw new BerthError('PRECONDITION', `policy ${id} has an execution in progress; stop it first`)
    await this.o.jobs.schedule('REPLICATION', id, null, EXECUTION_JOB, null)
    await this.o.stores.policies.delete(id)
  }

  private async scheduleOf(id: number, p: PolicyFields): Promise<void> {
    const cron = p.enabled && p.trigger === 'scheduled' ? p.cron : null
    await this.o.jobs.schedule('REPLICATION', id, cron, EXECUTION_JOB, { policyId: id, trigger: 'scheduled' })
  }

  // --- executions ------------------------------------------------------------------------

  /** Starts an execution of a policy by hand; CONFLICT while one is in progress. */
  async execute(caller: Caller, policyId: number): Promise<number> {
    const p = await this.getPolicy(caller, policyId, 'replication:create')
    if (!p.enabled) throw new BerthError('PRECONDITION', `policy ${p.name} is disabled`)
    const id = await this.launch(p, 'manual')
    if (id === null) throw new BerthError('CONFLICT', `policy ${p.name} has an execution in progress`)
    return id
  }

  /** Starts an execution and its planning job; null when the policy already has one in progress. */
  private async launch(p: Policy, trigger: string): Promise<number | null> {
    const id = await this.o.stores.replicationExecutions.start(p.id, trigger)
    if (id === null) return null
    await this.o.jobs.enqueue({ type: EXECUTION_JOB, payload: { executionId: id, policyId: p.id }, dedupeKey: plannerKey(id) })
    return id
  }

  async listExecutions(caller: Caller, f: { policyId?: number; status?: string; trigger?: string }, offset: number, limit: number): Promise<{ items: Execution[]; total: number }> {
    requireSystemAccess(caller, 'replication:list')
    return this.o.stores.replicationExecutions.list(f, offset, limit)
  }

  /** The execution, if the caller holds `perm` (what it is looked up for). */
  async getExecution(caller: Caller, id: number, perm: SystemPermission = 'replication:read'): Promise<Execution> {
    requireSystemAccess(caller, perm)
    const e = await this.o.stores.replicationExecutions.get(id)
    if (e === null) throw notFound(`execution ${id}`)
    return e
  }

  /** Stops an execution: its pending tasks never run, running ones are aborted. */
  async stopExecution(caller: Caller, id: number): Promise<void> {
    const e = await this.getExecution(caller, id, 'replication:create')
    if (e.status !== 'InProgress') throw new BerthError('PRECONDITION', `execution ${id} is not in progress`)
    await this.halt(id, 'stopped on request')
  }

  private async halt(id: number, text: string): Promise<void> {
    // The planning job reads the source's listings: a stop ends its reading too, on any node.
    const planner = await this.o.jobs.jobs.byDedupeKey(plannerKey(id))
    if (planner !== null && (planner.state === 'pending' || planner.state === 'running')) await this.o.jobs.stop(planner.id).catch(() => {})
    for (const t of await this.o.stores.replicationTasks.unfinished(id)) {
      if (t.jobId !== null) await this.o.jobs.stop(t.jobId).catch(() => {})
      await this.o.stores.replicationTasks.set(t.id, 'Stopped')
    }
    await this.o.stores.replicationExecutions.end(id, 'Stopped', text)
  }

  /** Runs the failed tasks of an execution again (it goes back in progress). */
  async retryExecution(caller: Caller, id: number): Promise<number> {
    const e = await this.getExecution(caller, id, 'replication:create')
    if (e.status === 'InProgress') throw new BerthError('PRECONDITION', `execution ${id} is still in progress`)
    const failed = (await this.o.stores.replicationTasks.list(id, { status: 'Failed' }, 0, 100_000)).items
    if (failed.length === 0) return 0
    if (!(await this.o.stores.replicationExecutions.reopen(id))) throw new BerthError('CONFLICT', `policy ${e.policyId} has another execution in progress`)
    for (const t of failed) {
      await this.o.stores.replicationTasks.retry(t.id)
      const job = await this.o.jobs.jobs.get(t.jobId ?? -1)
      const payload = job?.payload as TaskPayload | undefined
      if (payload === undefined) continue
      const jobId = await this.o.jobs.enqueue({ type: TASK_JOB, payload, dedupeKey: `task:${t.id}:retry:${Date.now()}` })
      await this.o.stores.replicationTasks.setJob(t.id, jobId)
    }
    return failed.length
  }

  async listTasks(caller: Caller, executionId: number, f: { status?: string; resourceType?: string }, offset: number, limit: number): Promise<{ items: Task[]; total: number }> {
    await this.getExecution(caller, executionId)
    return this.o.stores.replicationTasks.list(executionId, f, offset, limit)
  }

  async taskLog(caller: Caller, executionId: number, taskId: number): Promise<string> {
    await this.getExecution(caller, executionId)
    const t = await this.o.stores.replicationTasks.get(taskId)
    if (t === null || t.executionId !== executionId) throw notFound(`task ${taskId} of execution ${executionId}`)
    return t.jobId === null ? '' : this.o.jobs.logs.read(t.jobId)
  }

  // --- jobs ------------------------------------------------------------------------------

  /** The two ends of a policy, and the id the destination has on replication paths (null if unknown). */
  private async ends(p: Policy): Promise<{ src: RegistryEndpoint; dst: RegistryEndpoint; srcId: string | null; dstId: string | null }> {
    const registryOf = async (id: number) => {
      const r = await this.o.stores.registries.get(id)
      if (r === null) throw new PermanentJobError(`registry ${id} no longer exists`)
      return r
    }
    if (p.srcRegistryId === null) {
      const r = await registryOf(p.destRegistryId!)
      return { src: this.o.local, dst: this.remote(r, p.speed), srcId: this.o.instanceId, dstId: await this.peerId(r) }
    }
    const r = await registryOf(p.srcRegistryId)
    return { src: this.remote(r, p.speed), dst: this.o.local, srcId: await this.peerId(r), dstId: this.o.instanceId }
  }

  /** An event from the outbox: tasks for every enabled event policy it concerns. */
  private async onEvent(e: RegistryEvent): Promise<void> {
    // Only content changes replicate; other events (quota warnings...) are not for replication.
    if (e.type !== 'PUSH_ARTIFACT' && e.type !== 'DELETE_TAG' && e.type !== 'DELETE_ARTIFACT' && e.type !== 'DELETE_REPOSITORY') return
    for (const p of await this.o.stores.policies.list()) {
      if (!p.enabled || p.trigger !== 'event_based' || p.srcRegistryId !== null) continue
      const filters = compileFilters(p.filters)
      const tag = e.type === 'PUSH_ARTIFACT' || e.type === 'DELETE_TAG' ? e.tag : undefined
      if (!filters.matches({ repository: e.repository, ...(tag !== undefined ? { tag } : {}) })) continue
      if (e.type !== 'PUSH_ARTIFACT' && !p.replicateDeletion) continue
      const dst = await this.o.stores.registries.get(p.destRegistryId!)
      if (dst === null) continue
      const dstId = await this.peerId(dst)
      if (dstId !== null && (e.path.includes(dstId) || dstId === this.o.instanceId)) continue
      const dstRepo = destinationRepository(e.repository, p.destNamespace, p.destNamespaceReplaceCount)
      const path = [...e.path, this.o.instanceId]
      const planned: PlannedTask[] =
        e.type === 'PUSH_ARTIFACT'
          ? [{ operation: 'copy', srcRepo: e.repository, dstRepo, reference: e.tag ?? e.digest, path }]
          : e.type === 'DELETE_TAG'
            ? [{ operation: 'deletion', srcRepo: e.repository, dstRepo, reference: e.tag, path }]
            : e.type === 'DELETE_ARTIFACT'
              ? [{ operation: 'deletion', srcRepo: e.repository, dstRepo, reference: e.digest, path }]
              : e.digests.map((d) => ({ operation: 'deletion' as const, srcRepo: e.repository, dstRepo, reference: d, path }))
      await this.addTasks(p, 'event_based', planned)
    }
  }

  /** Adds tasks to the policy's execution in progress, or to a new one. */
  private async addTasks(p: Policy, trigger: string, planned: PlannedTask[]): Promise<void> {
    if (planned.length === 0) return
    let executionId = (await this.o.stores.replicationExecutions.start(p.id, trigger)) ?? (await this.o.stores.replicationExecutions.active(p.id))
    if (executionId === null) executionId = await this.o.stores.replicationExecutions.start(p.id, trigger)
    if (executionId === null) throw new Error(`could not open an execution for policy ${p.id}`)
    await this.enqueueTasks(p, executionId, planned)
    const e = await this.o.stores.replicationExecutions.get(executionId)
    if (e !== null && e.status !== 'InProgress') await this.o.stores.replicationExecutions.reopen(executionId)
  }

  private async enqueueTasks(p: Policy, executionId: number, planned: PlannedTask[]): Promise<void> {
    for (const t of planned) {
      const src = t.operation === 'copy' ? `${t.srcRepo}${t.reference.includes(':') ? '@' : ':'}${t.reference}` : ''
      const dst = `${t.dstRepo}${t.reference.includes(':') ? '@' : ':'}${t.reference}`
      await inTransaction(this.o.db, async (s, trx) => {
        const taskId = await s.replicationTasks.create({ executionId, operation: t.operation, resourceType: 'artifact', srcResource: src, dstResource: dst })
        const jobId = await this.o.jobs.enqueue({ type: TASK_JOB, payload: { taskId, executionId, policyId: p.id, ...t } satisfies TaskPayload, dedupeKey: `task:${taskId}` }, trx)
        await s.replicationTasks.setJob(taskId, jobId)
      })
    }
    await this.o.jobs.wake()
  }

  /** Plans a manual, scheduled or reconciling execution: a task per tagged artifact the filters take. */
  private async plan(j: { executionId?: number; policyId: number; trigger?: string }, ctx: JobContext): Promise<void> {
    const p = await this.o.stores.policies.get(j.policyId)
    if (p === null) return
    const executionId = j.executionId
    if (executionId === undefined) {
      // A cron firing: an execution of its own, unless one is in progress, planned by a job of
      // its own (the one a stop of the execution stops).
      if (!p.enabled) return
      if (await this.pullsWhileReadOnly(p)) return void (await ctx.log(`policy ${p.name} pulls into this registry, which is read-only: this firing is skipped`))
      const started = await this.o.stores.replicationExecutions.start(p.id, j.trigger ?? 'scheduled')
      if (started === null) return void (await ctx.log(`policy ${p.name} has an execution in progress: this firing is skipped`))
      await this.o.jobs.enqueue({ type: EXECUTION_JOB, payload: { executionId: started, policyId: p.id }, dedupeKey: plannerKey(started) })
      return void (await ctx.log(`execution ${started} started`))
    }
    const existing = await this.o.stores.replicationTasks.list(executionId, {}, 0, 1)
    if (existing.total > 0) return // planned already, by an earlier attempt of this job
    try {
      const { src, srcId, dstId } = await this.ends(p)
      const filters = compileFilters(p.filters)
      const planned: PlannedTask[] = []
      // A policy that names its repositories needs no catalog (Docker Hub has none).
      const named = literalRepositories(p.filters)
      if (named !== null) await ctx.log(`repositories from the name filter: ${named.join(', ')}`)
      for await (const repository of named ?? src.repositories(ctx.signal)) {
        if (!filters.matchesRepository(repository)) continue
        const dstRepo = destinationRepository(repository, p.destNamespace, p.destNamespaceReplaceCount)
        for (const tag of await src.tags(repository, ctx.signal)) {
          const labels = p.srcRegistryId === null && p.filters.some((f) => f.type === 'label') ? await this.labelsOf(repository, tag) : []
          if (!filters.matches({ repository, tag, labels })) continue
          // Pulled from a Berth peer: it is where the content comes from (its own path is not known here).
          const path = p.srcRegistryId === null ? await this.pathOf(repository, tag) : srcId !== null ? [srcId] : []
          if (dstId !== null && path.includes(dstId)) continue
          planned.push({ operation: 'copy', srcRepo: repository, dstRepo, reference: tag, path: [...path, this.o.instanceId] })
        }
      }
      await ctx.log(`${planned.length} artifact(s) to replicate`)
      await this.enqueueTasks(p, executionId, planned)
      if (planned.length === 0) await this.settle(executionId)
    } catch (err) {
      // A listing past its bounds would be past them again: the execution fails at once, saying which.
      const permanent = err instanceof PermanentJobError || isListLimit(err)
      if (permanent || ctx.job.attempts >= ctx.job.maxAttempts) await this.o.stores.replicationExecutions.end(executionId, 'Failed', (err as Error).message)
      throw isListLimit(err) ? new PermanentJobError(err.message) : err
    }
  }

  private async labelsOf(repository: string, tag: string): Promise<string[]> {
    const a = await this.o.stores.artifacts.getByTag(repository, tag)
    if (a === null) return []
    return ((await this.o.stores.labels.labelsOf([a.id])).get(a.id) ?? []).map((l) => l.name)
  }

  private async pathOf(repository: string, tag: string): Promise<string[]> {
    const repo = await this.o.stores.repositories.get(repository)
    const a = await this.o.stores.artifacts.getByTag(repository, tag)
    return repo === null || a === null ? [] : this.o.stores.artifactPaths.get(repo.id, a.digest)
  }

  private async runTask(t: TaskPayload, ctx: JobContext): Promise<void> {
    const p = await this.o.stores.policies.get(t.policyId)
    if (p === null) throw new PermanentJobError(`policy ${t.policyId} no longer exists`)
    if (await this.pullsWhileReadOnly(p)) throw new PermanentJobError(READ_ONLY_MESSAGE)
    await this.o.stores.replicationTasks.set(t.taskId, 'InProgress')
    const { src, dst } = await this.ends(p)
    const copier = new Copier(src, dst)
    const o = { path: t.path, signal: ctx.signal, log: ctx.log, override: p.override }
    if (t.operation === 'deletion') await copier.delete(t.dstRepo, t.reference, o)
    else await copier.copy(t.srcRepo, t.dstRepo, t.reference, o)
  }

  private async taskEnded(taskId: number, executionId: number, state: string): Promise<void> {
    await this.o.stores.replicationTasks.set(taskId, state === 'success' ? 'Succeed' : state === 'stopped' ? 'Stopped' : 'Failed')
    await this.settle(executionId)
  }

  /** Ends an execution whose tasks have all ended. */
  private async settle(executionId: number): Promise<void> {
    const e = await this.o.stores.replicationExecutions.get(executionId)
    if (e === null || e.status !== 'InProgress' || e.counts.inProgress > 0) return
    const status = e.counts.failed > 0 ? 'Failed' : e.counts.stopped > 0 ? 'Stopped' : 'Succeed'
    if (!(await this.o.stores.replicationExecutions.end(executionId, status, e.counts.failed > 0 ? `${e.counts.failed} of ${e.counts.total} task(s) failed` : ''))) return
    await this.told(e, status).catch((err) => this.o.log.warn({ err, execution: executionId }, 'recording the REPLICATION event failed'))
  }

  /**
   * A REPLICATION event for each local project the run copied into or out of (at most
   * MAX_EVENT_PROJECTS), so the projects' webhooks hear of it, with the artifacts it moved.
   */
  private async told(e: Execution, status: string): Promise<void> {
    if (e.counts.total === 0) return
    const policy = await this.o.stores.policies.get(e.policyId)
    if (policy === null) return
    const { items } = await this.o.stores.replicationTasks.list(e.id, {}, 0, MAX_EVENT_ARTIFACTS)
    const pull = policy.srcRegistryId !== null
    const byProject = new Map<string, Task[]>()
    for (const t of items) {
      const local = pull ? t.dstResource : t.srcResource
      const project = local.split('/')[0] ?? ''
      if (project === '' || (!byProject.has(project) && byProject.size >= MAX_EVENT_PROJECTS)) continue
      byProject.set(project, [...(byProject.get(project) ?? []), t])
    }
    const artifact = (t: Task) => ({ type: t.resourceType, status: t.status, name_tag: pull ? t.dstResource : t.srcResource })
    await this.o.db.kysely.transaction().execute(async (trx) => {
      for (const [project, tasks] of byProject) {
        await this.o.events.record(trx, {
          type: 'REPLICATION',
          project,
          replication: {
            policy_id: policy.id,
            policy_name: policy.name,
            job_status: status,
            trigger_type: e.trigger,
            override_mode: policy.override,
            execution_id: e.id,
            execution_timestamp: Math.floor(Date.parse(e.startTime) / 1000),
            successful_artifact: tasks.filter((t) => t.status === 'Succeed').map(artifact),
            failed_artifact: tasks.filter((t) => t.status === 'Failed').map(artifact),
          },
          path: [],
          ...eventMeta(''),
        })
      }
    })
    this.o.events.committed()
  }

  /** Re-runs event and cron policies that are idle (a target that was down catches up); stops executions past their timeout. */
  /** Whether the policy copies into this registry while it is read-only. */
  private async pullsWhileReadOnly(p: Policy): Promise<boolean> {
    return p.srcRegistryId !== null && this.o.readOnly !== undefined && (await this.o.readOnly())
  }

  private async reconcile(): Promise<void> {
    const cutoff = new Date(Date.now() - this.o.executionTimeoutMinutes * 60_000).toISOString()
    for (const id of await this.o.stores.replicationExecutions.startedBefore(cutoff)) await this.halt(id, `timed out after ${this.o.executionTimeoutMinutes} minutes`)
    for (const p of await this.o.stores.policies.list()) {
      if (!p.enabled || p.trigger === 'manual' || (await this.pullsWhileReadOnly(p))) continue
      await this.launch(p, 'reconcile')
    }
  }
}

/** A policy as Harbor's API carries it: filters and trigger nested. */
export function policyFilters(raw: unknown): PolicyFilter[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw new BerthError('BAD_REQUEST', 'filters must be a list')
  return raw as PolicyFilter[]
}
