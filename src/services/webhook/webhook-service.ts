// Webhooks: each project's policies (Harbor's notification policies), and their deliveries. The
// service subscribes to the event bus; an event of a project with enabled policies that want it
// becomes, per policy, one execution (vendor type WEBHOOK, vendor id the policy) with one task
// per target, each a job retried with backoff by the job service. The payload is rendered once,
// when the event is handled, and kept on the task, so every retry sends the same bytes.
//
// Secrets: a target's auth header and signing secret are sealed with secret_key at rest, never
// shown back (the API shows a mask), and go only to the address they were stored with: a policy
// update that moves a target to another address must give them again.
import { BerthError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { SecretBox } from '../../auth/secret-box.js'
import type { Caller } from '../../auth/identity.js'
import type { Stores } from '../../metadata/stores.js'
import type { Project } from '../../metadata/project-store.js'
import type { StoredTarget, WebhookPolicy } from '../../metadata/webhook-store.js'
import type { Execution, Task } from '../../metadata/execution-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import { PermanentJobError, type JobContext } from '../../jobs/job-service.js'
import type { Executions, TaskContext } from '../../jobs/executions.js'
import type { EventSubscriptions } from '../../events/dispatcher.js'
import type { EventType, RegistryEvent } from '../../events/outbox.js'
import type { OutboundGuard } from '../../remote/outbound-guard.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf, requireUser } from '../identity/guards.js'
import { deliver, type DeliveryResult } from './delivery.js'
import { isWebhookEventType, render, webhookEventOf, webhookTypeOf, WEBHOOK_EVENT_TYPES, type NotifyType, type PayloadFormat, type WebhookEvent, type WebhookEventType } from './payloads.js'

export const WEBHOOK = 'WEBHOOK'
const DELIVERY_JOB = 'WEBHOOK_DELIVERY'
/** What the API shows instead of a stored secret; sent back unchanged, it keeps the secret. */
export const SECRET_MASK = '*****'
/** Bounds of a policy. */
export const MAX_POLICIES_PER_PROJECT = 100
export const MAX_TARGETS = 10
const MAX_HEADER = 4096
const MAX_SECRET = 256

export interface TargetInput {
  type?: string
  address?: string
  auth_header?: string
  signing_secret?: string
  skip_cert_verify?: boolean
  payload_format?: string
}

export interface PolicyInput {
  name?: string
  description?: string
  targets?: TargetInput[]
  event_types?: string[]
  enabled?: boolean
}

/** A target as the API shows it: secrets masked. */
export interface ShownTarget {
  type: NotifyType
  address: string
  authHeader: string
  signingSecret: string
  skipCertVerify: boolean
  payloadFormat: PayloadFormat
}

export interface ShownPolicy extends Omit<WebhookPolicy, 'targets'> {
  targets: ShownTarget[]
}

export interface WebhookServiceOptions {
  stores: Stores
  projects: ProjectService
  executions: Executions
  events: EventSubscriptions
  box: SecretBox
  guard: OutboundGuard
  audit: AuditLog
  log: Logger
  /** host[:port] clients pull from, for resource URLs in payloads. */
  registryHost: string
  userAgent: string
  /** Attempts per delivery before it is given up. */
  maxAttempts: number
}

interface DeliveryPayload {
  projectId: number
  policyId: number
  address: string
  type: NotifyType
}

function bad(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message)
}

function plainText(what: string, v: unknown, max: number): string {
  if (typeof v !== 'string') throw bad(`${what} must be a string`)
  if (v.length > max) throw bad(`${what} is longer than ${max} characters`)
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) throw bad(`${what} contains a control character`)
  return v
}

/** How long a node trusts what it knows of the event types policies want (another node's change shows within it). */
const INTEREST_TTL_MS = 10_000

export class WebhookService {
  /** Event types some enabled policy wants, and when that was read. */
  private interest: { types: Set<string>; at: number } = { types: new Set(), at: 0 }
  private refreshing: Promise<void> | null = null

  constructor(private readonly o: WebhookServiceOptions) {
    o.executions.registerTask<DeliveryPayload>({ jobType: DELIVERY_JOB, maxAttempts: o.maxAttempts, run: (p, ctx) => this.runDelivery(p, ctx) })
    // Only events some policy wants become jobs: a busy registry's pulls cost nothing while no
    // policy asks for PULL_ARTIFACT.
    o.events.subscribe({ name: 'webhook', types: '*', maxAttempts: 10, handle: (e, ctx) => this.onEvent(e, ctx), interested: (t) => this.interested(t) })
  }

  /** Reads which event types enabled policies want (at start-up, after a change, and when stale). */
  async refreshInterest(): Promise<void> {
    try {
      this.interest = { types: await this.o.stores.webhooks.typesInUse(), at: Date.now() }
    } catch (err) {
      this.o.log.warn({ err }, 'reading webhook event types failed')
    }
  }

  private interested(type: EventType): boolean {
    if (Date.now() - this.interest.at > INTEREST_TTL_MS) {
      this.refreshing ??= this.refreshInterest().finally(() => {
        this.refreshing = null
      })
    }
    const told = webhookTypeOf(type)
    return told !== null && this.interest.types.has(told)
  }

  // --- policies ---------------------------------------------------------------------------

  async list(caller: Caller, ref: ProjectRef, q: ListQuery): Promise<Listed<ShownPolicy>> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:list')
    const page = await this.o.stores.webhooks.list(project.id, q)
    return { items: page.items.map(shown), total: page.total }
  }

  async get(caller: Caller, ref: ProjectRef, id: number): Promise<ShownPolicy> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:read')
    return shown(await this.policy(project, id))
  }

  async create(caller: Caller, ref: ProjectRef, input: PolicyInput): Promise<number> {
    const user = requireUser(caller)
    const project = await this.o.projects.require(caller, ref, 'notification-policy:create')
    const fields = await this.fields(input, [])
    if ((await this.o.stores.webhooks.countIn(project.id)) >= MAX_POLICIES_PER_PROJECT) throw bad(`a project has at most ${MAX_POLICIES_PER_PROJECT} webhook policies`)
    const id = await this.o.stores.webhooks.create(project.id, user.username, fields)
    if (id === null) throw new BerthError('CONFLICT', `project ${project.name} has a webhook policy named ${fields.name} already`)
    await this.refreshInterest()
    this.audited(caller, project, 'create', id)
    return id
  }

  async update(caller: Caller, ref: ProjectRef, id: number, input: PolicyInput): Promise<void> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:update')
    const current = await this.policy(project, id)
    const fields = await this.fields(input, current.targets)
    const r = await this.o.stores.webhooks.update(project.id, id, fields)
    if (r === 'missing') throw new BerthError('NOT_FOUND', `webhook policy ${id} not found`)
    if (r === 'name-taken') throw new BerthError('CONFLICT', `project ${project.name} has a webhook policy named ${fields.name} already`)
    await this.refreshInterest()
    this.audited(caller, project, 'update', id)
  }

  async delete(caller: Caller, ref: ProjectRef, id: number): Promise<void> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:delete')
    if (!(await this.o.stores.webhooks.delete(project.id, id))) throw new BerthError('NOT_FOUND', `webhook policy ${id} not found`)
    await this.refreshInterest()
    this.audited(caller, project, 'delete', id)
  }

  private async policy(project: Project, id: number): Promise<WebhookPolicy> {
    const p = await this.o.stores.webhooks.get(project.id, id)
    if (p === null) throw new BerthError('NOT_FOUND', `webhook policy ${id} not found`)
    return p
  }

  private audited(caller: Caller, project: Project, operation: string, id: number): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'webhook-policy', resource: `${project.name}/webhook/policies/${id}`, result: 'success', projectId: project.id })
  }

  /** Checks a policy as sent; `stored`: the targets it had, whose secrets stay with their address. */
  private async fields(input: PolicyInput, stored: StoredTarget[]): Promise<Omit<WebhookPolicy, 'id' | 'projectId' | 'creator' | 'createdAt' | 'updatedAt'>> {
    const name = plainText('name', input.name ?? '', 255).trim()
    if (name === '') throw bad('name is required')
    const description = plainText('description', input.description ?? '', 1024)
    const types = input.event_types ?? []
    if (!Array.isArray(types) || types.length === 0) throw bad(`event_types must name at least one of ${Object.keys(WEBHOOK_EVENT_TYPES).join(', ')}`)
    for (const t of types) if (typeof t !== 'string' || !isWebhookEventType(t)) throw bad(`event type ${JSON.stringify(t)} is not supported; use ${Object.keys(WEBHOOK_EVENT_TYPES).join(', ')}`)
    const checked = await this.targets(input.targets, stored)
    return { name, description, eventTypes: [...new Set(types)], targets: checked, enabled: input.enabled ?? true }
  }

  /** Checks a policy's targets as sent (at least one, at most MAX_TARGETS); `stored`: as in `target`. */
  private async targets(input: TargetInput[] | undefined, stored: StoredTarget[]): Promise<StoredTarget[]> {
    const targets = input ?? []
    if (!Array.isArray(targets) || targets.length === 0) throw bad('targets must hold at least one target')
    if (targets.length > MAX_TARGETS) throw bad(`a policy has at most ${MAX_TARGETS} targets`)
    const checked: StoredTarget[] = []
    for (const [i, t] of targets.entries()) checked.push(await this.target(`targets[${i}]`, t, stored))
    return checked
  }

  private async target(what: string, t: TargetInput, stored: StoredTarget[]): Promise<StoredTarget> {
    const type = t.type ?? 'http'
    if (type !== 'http' && type !== 'slack') throw bad(`${what}.type must be http or slack`)
    const address = plainText(`${what}.address`, t.address ?? '', 2048).trim()
    let url: URL
    try {
      url = new URL(address)
    } catch {
      throw bad(`${what}.address must be an http:// or https:// URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`${what}.address must be an http:// or https:// URL`)
    if (url.username !== '' || url.password !== '') throw bad(`${what}.address must not carry credentials; use auth_header`)
    // Judged now by name and the addresses it resolves to, and again at every delivery.
    await this.o.guard.checkUrl(address)
    const format = t.payload_format ?? 'Default'
    if (format !== 'Default' && format !== 'CloudEvents') throw bad(`${what}.payload_format must be Default or CloudEvents`)
    const previous = stored.find((s) => s.address === address && s.type === type)
    const secret = (field: 'auth_header' | 'signing_secret', max: number, kept: string | undefined): string => {
      const v = t[field]
      if (v === undefined || v === '') return ''
      if (v === SECRET_MASK) {
        if (kept === undefined || kept === '') throw bad(`${what}.${field} must be given again: it was not stored with ${address}`)
        return kept
      }
      return this.o.box.seal(plainText(`${what}.${field}`, v, max))
    }
    return {
      type,
      address,
      authHeader: secret('auth_header', MAX_HEADER, previous?.authHeader),
      signingSecret: secret('signing_secret', MAX_SECRET, previous?.signingSecret),
      skipCertVerify: t.skip_cert_verify === true,
      payloadFormat: type === 'slack' ? 'Default' : format,
    }
  }

  // --- deliveries -------------------------------------------------------------------------

  /** An event from the bus: a run per enabled policy of its project that wants it. */
  private async onEvent(e: RegistryEvent, ctx: JobContext): Promise<void> {
    const name = 'repository' in e ? e.repository.split('/')[0]! : e.project
    if (name === '') return
    const project = await this.o.stores.projects.get(name)
    if (project === null) return
    const event = webhookEventOf(e, project, this.o.registryHost)
    if (event === null) return
    const policies = await this.o.stores.webhooks.subscribed(project.id, event.type)
    for (const p of policies) {
      const id = await this.trigger(p, event)
      await ctx.log(`policy ${p.id}: delivery run ${id}`)
    }
  }

  private trigger(p: WebhookPolicy, event: WebhookEvent): Promise<number | null> {
    const source = `/projects/${p.projectId}/webhook/policies/${p.id}`
    const tasks = p.targets.map((t) => {
      const { body, contentType } = render(event, t.type, t.payloadFormat, source)
      return {
        payload: { projectId: p.projectId, policyId: p.id, address: t.address, type: t.type } satisfies DeliveryPayload,
        kind: event.type,
        subject: t.address,
        extraAttrs: { event_type: event.type, notify_type: t.type, payload_format: t.payloadFormat, content_type: contentType, payload: body },
      }
    })
    return this.o.executions.run(WEBHOOK, p.id, 'EVENT', DELIVERY_JOB, tasks, { event_type: event.type }, { concurrent: true })
  }

  private async runDelivery(p: DeliveryPayload, ctx: TaskContext): Promise<void> {
    const policy = await this.o.stores.webhooks.get(p.projectId, p.policyId)
    if (policy === null) throw new PermanentJobError('the policy was deleted')
    if (!policy.enabled) throw new PermanentJobError('the policy was disabled')
    const target = policy.targets.find((t) => t.address === p.address && t.type === p.type)
    if (target === undefined) throw new PermanentJobError(`the policy no longer has the target ${p.address}`)
    const task = await this.o.executions.tasks.get(ctx.taskId)
    const a = task?.extraAttrs ?? {}
    const r = await this.send(target, String(a.payload ?? ''), String(a.content_type ?? 'application/json'), String(a.event_type ?? ''), String(ctx.taskId), ctx.signal)
    await ctx.setAttrs({ http_status: r.status })
    await ctx.log(`POST ${target.address}: ${r.status}${r.answer === '' ? '' : ` ${r.answer.slice(0, 200)}`}`)
  }

  private send(t: StoredTarget, body: string, contentType: string, eventType: string, deliveryId: string, signal?: AbortSignal): Promise<DeliveryResult> {
    return deliver(
      {
        address: t.address,
        body,
        contentType,
        eventType,
        deliveryId,
        userAgent: this.o.userAgent,
        ...(t.authHeader !== '' ? { authHeader: this.o.box.open(t.authHeader).toString('utf8') } : {}),
        ...(t.signingSecret !== '' ? { signingSecret: this.o.box.open(t.signingSecret).toString('utf8') } : {}),
      },
      this.o.guard.dispatcher({ insecure: t.skipCertVerify }),
      signal,
    )
  }

  /**
   * Sends a test event to the targets of a policy as given (Berth; Harbor 1.x had it), at once:
   * the status of each, or BAD_REQUEST naming the first that failed.
   */
  async test(caller: Caller, ref: ProjectRef, input: PolicyInput, policyId?: number): Promise<{ address: string; status: number }[]> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:create')
    const stored = policyId === undefined ? [] : (await this.policy(project, policyId)).targets
    const checked = await this.targets(input.targets, stored)
    const event: WebhookEvent = {
      type: 'PUSH_ARTIFACT',
      occurAt: Math.floor(Date.now() / 1000),
      operator: requireUser(caller).username,
      eventData: { test: true, resources: [], repository: { name: '', namespace: project.name, repo_full_name: project.name, repo_type: project.public ? 'public' : 'private' } },
    }
    const out: { address: string; status: number }[] = []
    for (const t of checked) {
      const { body, contentType } = render(event, t.type, t.payloadFormat, `/projects/${project.id}/webhook/policies/test`)
      try {
        out.push({ address: t.address, status: (await this.send(t, body, contentType, event.type, 'test')).status })
      } catch (err) {
        throw bad(`test delivery failed: ${(err as Error).message}`)
      }
    }
    return out
  }

  // --- history ----------------------------------------------------------------------------

  /** Runs of a policy, newest first. */
  async executions(caller: Caller, ref: ProjectRef, policyId: number, q: ListQuery): Promise<Listed<Execution>> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:read')
    await this.policy(project, policyId)
    return this.o.executions.executions.list(WEBHOOK, q, policyId)
  }

  /** A run of the policy; NOT_FOUND for a run of another policy. */
  private async execution(project: Project, policyId: number, executionId: number): Promise<Execution> {
    await this.policy(project, policyId)
    const e = await this.o.executions.get(executionId, WEBHOOK)
    if (e.vendorId !== policyId) throw new BerthError('NOT_FOUND', `execution ${executionId} not found`)
    return e
  }

  async tasks(caller: Caller, ref: ProjectRef, policyId: number, executionId: number, q: ListQuery): Promise<Listed<Task>> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:read')
    await this.execution(project, policyId, executionId)
    return this.o.executions.tasks.list(executionId, q)
  }

  async taskLog(caller: Caller, ref: ProjectRef, policyId: number, executionId: number, taskId: number): Promise<string> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:read')
    await this.execution(project, policyId, executionId)
    return this.o.executions.log(await this.o.executions.task(executionId, taskId, WEBHOOK))
  }

  /** Harbor's last trigger of each policy and event type of a project. */
  async lastTriggers(caller: Caller, ref: ProjectRef): Promise<{ policyName: string; eventType: string; enabled: boolean; createdAt: string; lastTriggerTime: string | null }[]> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:read')
    const { items } = await this.o.stores.webhooks.list(project.id, { conditions: [], sort: [], page: 1, pageSize: MAX_POLICIES_PER_PROJECT })
    const last = await this.o.stores.webhooks.lastTriggers(items.map((p) => p.id))
    return items.flatMap((p) =>
      p.eventTypes.map((t) => ({
        policyName: p.name,
        eventType: t,
        enabled: p.enabled,
        createdAt: p.createdAt,
        lastTriggerTime: last.find((l) => l.policyId === p.id && l.eventType === t)?.at ?? null,
      })),
    )
  }

  /** Harbor's deprecated job list of a policy: its delivery tasks, newest first. */
  async jobs(caller: Caller, ref: ProjectRef, policyId: number, q: ListQuery): Promise<Listed<Task>> {
    const project = await this.o.projects.require(caller, ref, 'notification-policy:list')
    await this.policy(project, policyId)
    return this.o.executions.tasks.listByVendor(WEBHOOK, policyId, q)
  }

  /** What a policy may subscribe to: Harbor's /webhook/events. */
  async supported(caller: Caller, ref: ProjectRef): Promise<{ eventTypes: WebhookEventType[]; notifyTypes: NotifyType[]; payloadFormats: { notifyType: NotifyType; formats: PayloadFormat[] }[] }> {
    await this.o.projects.require(caller, ref, 'notification-policy:list')
    return {
      eventTypes: Object.keys(WEBHOOK_EVENT_TYPES) as WebhookEventType[],
      notifyTypes: ['http', 'slack'],
      payloadFormats: [
        { notifyType: 'http', formats: ['Default', 'CloudEvents'] },
        { notifyType: 'slack', formats: ['Default'] },
      ],
    }
  }
}

function shown(p: WebhookPolicy): ShownPolicy {
  return {
    ...p,
    targets: p.targets.map((t) => ({
      type: t.type,
      address: t.address,
      authHeader: t.authHeader === '' ? '' : SECRET_MASK,
      signingSecret: t.signingSecret === '' ? '' : SECRET_MASK,
      skipCertVerify: t.skipCertVerify,
      payloadFormat: t.payloadFormat,
    })),
  }
}
