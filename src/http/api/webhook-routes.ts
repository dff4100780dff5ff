// /api/v2.0 routes of a project's webhooks with Harbor's paths and shapes (WebhookPolicy,
// WebhookLastTrigger, WebhookJob, SupportedWebhookEventTypes, and the generic Execution and Task
// for deliveries), plus Berth's test send (Harbor 1.x had one at the same path).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { ShownPolicy, WebhookService } from '../../services/webhook/webhook-service.js'
import type { Task } from '../../metadata/execution-store.js'
import type { Security } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import { ExecutionJson, executionJson, TaskJson, taskJson } from './execution-shapes.js'
import { ignored } from './shapes.js'

export interface WebhookDeps extends Security {
  webhooks: WebhookService
}

/** Ten targets with their headers fit easily. */
const POLICY_BODY_LIMIT = 64 << 10

const Project = Type.String({ minLength: 1, maxLength: 255, description: 'project name or id' })
const Id = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description })
const ProjectParams = Type.Object({ project: Project })
const PolicyParams = Type.Object({ project: Project, webhook_policy_id: Id('a webhook policy id') })
const ExecutionParams = Type.Object({ project: Project, webhook_policy_id: Id('a webhook policy id'), execution_id: Id('an execution id') })
const TaskParams = Type.Object({ project: Project, webhook_policy_id: Id('a webhook policy id'), execution_id: Id('an execution id'), task_id: Id('a task id') })

const TargetJson = Type.Object({
  type: Type.String({ description: 'http or slack' }),
  address: Type.String(),
  auth_header: Type.String({ description: 'masked when set; send the mask back to keep it' }),
  signing_secret: Type.String({ description: 'Berth: the key of the X-Berth-Signature header; masked when set' }),
  skip_cert_verify: Type.Boolean(),
  payload_format: Type.String({ description: 'Default or CloudEvents' }),
})
const PolicyJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  project_id: Type.Integer(),
  targets: Type.Array(TargetJson),
  event_types: Type.Array(Type.String()),
  creator: Type.String(),
  creation_time: Type.String(),
  update_time: Type.String(),
  enabled: Type.Boolean(),
})
const TargetBody = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 16 })),
    address: Type.Optional(Type.String({ maxLength: 2048 })),
    auth_header: Type.Optional(Type.String({ maxLength: 4096 })),
    signing_secret: Type.Optional(Type.String({ maxLength: 256 })),
    skip_cert_verify: Type.Optional(Type.Boolean()),
    payload_format: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
)
const PolicyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    targets: Type.Optional(Type.Array(TargetBody, { maxItems: 10 })),
    event_types: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
    enabled: Type.Optional(Type.Boolean()),
    id: ignored(Type.Integer()),
    project_id: ignored(Type.Integer()),
    creator: ignored(Type.String()),
    creation_time: ignored(Type.String()),
    update_time: ignored(Type.String()),
  },
  { additionalProperties: false },
)
const LastTriggerJson = Type.Object({ policy_name: Type.String(), event_type: Type.String(), enabled: Type.Boolean(), creation_time: Type.String(), last_trigger_time: Type.Optional(Type.String()) })
const WebhookJobJson = Type.Object({
  id: Type.Integer(),
  policy_id: Type.Integer(),
  event_type: Type.String(),
  notify_type: Type.String(),
  status: Type.String(),
  job_detail: Type.String({ description: 'the payload sent' }),
  creation_time: Type.String(),
  update_time: Type.String(),
})
const SupportedJson = Type.Object({
  event_type: Type.Array(Type.String()),
  notify_type: Type.Array(Type.String()),
  payload_formats: Type.Array(Type.Object({ notify_type: Type.String(), formats: Type.Array(Type.String()) })),
})

function policyJson(p: ShownPolicy): Static<typeof PolicyJson> {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    project_id: p.projectId,
    targets: p.targets.map((t) => ({ type: t.type, address: t.address, auth_header: t.authHeader, signing_secret: t.signingSecret, skip_cert_verify: t.skipCertVerify, payload_format: t.payloadFormat })),
    event_types: p.eventTypes,
    creator: p.creator,
    creation_time: p.createdAt,
    update_time: p.updatedAt,
    enabled: p.enabled,
  }
}

function webhookJobJson(policyId: number, t: Task): Static<typeof WebhookJobJson> {
  return {
    id: t.id,
    policy_id: policyId,
    event_type: t.kind,
    notify_type: String(t.extraAttrs.notify_type ?? 'http'),
    status: t.status,
    job_detail: String(t.extraAttrs.payload ?? ''),
    creation_time: t.creationTime,
    update_time: t.updateTime,
  }
}

export async function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const { webhooks } = deps
  const route = apiRouter(app, deps)
  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const ref = (req: FastifyRequest) => projectRefOf(req, params(req).project!)
  const policyId = (req: FastifyRequest) => idOf(params(req).webhook_policy_id!, 'webhook_policy_id')
  const executionId = (req: FastifyRequest) => idOf(params(req).execution_id!, 'execution_id')
  const base = '/projects/:project/webhook'

  route('GET', `${base}/policies`, { summary: "List a project's webhook policies", tag: 'webhook', params: ProjectParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(PolicyJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await webhooks.list(caller, ref(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(policyJson)
  })
  route('POST', `${base}/policies`, { summary: 'Create a webhook policy', tag: 'webhook', bodyLimit: POLICY_BODY_LIMIT, params: ProjectParams, body: PolicyBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const id = await webhooks.create(caller, ref(req), req.body as Static<typeof PolicyBody>)
    return reply.code(201).header('location', `${API}/projects/${encodeURIComponent(params(req).project!)}/webhook/policies/${id}`).send()
  })
  route(
    'POST',
    `${base}/policies/test`,
    {
      summary: "Berth: send a test event to a policy's targets now (with ?policy_id=, stored secrets of the same addresses are used)",
      tag: 'webhook',
      bodyLimit: POLICY_BODY_LIMIT,
      params: ProjectParams,
      querystring: Type.Object({ policy_id: Type.Optional(Id('a webhook policy id')) }),
      body: PolicyBody,
      response: { 200: Type.Array(Type.Object({ address: Type.String(), status: Type.Integer() })) },
    },
    async (req, _reply, caller) => {
      const q = req.query as { policy_id?: string }
      return webhooks.test(caller, ref(req), req.body as Static<typeof PolicyBody>, q.policy_id === undefined ? undefined : idOf(q.policy_id, 'policy_id'))
    },
  )
  route('GET', `${base}/policies/:webhook_policy_id`, { summary: 'A webhook policy', tag: 'webhook', params: PolicyParams, response: { 200: PolicyJson } }, async (req, _reply, caller) =>
    policyJson(await webhooks.get(caller, ref(req), policyId(req))),
  )
  route('PUT', `${base}/policies/:webhook_policy_id`, { summary: 'Replace a webhook policy', tag: 'webhook', bodyLimit: POLICY_BODY_LIMIT, params: PolicyParams, body: PolicyBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await webhooks.update(caller, ref(req), policyId(req), req.body as Static<typeof PolicyBody>)
    return reply.send()
  })
  route('DELETE', `${base}/policies/:webhook_policy_id`, { summary: 'Delete a webhook policy', tag: 'webhook', params: PolicyParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await webhooks.delete(caller, ref(req), policyId(req))
    return reply.send()
  })
  route('GET', `${base}/policies/:webhook_policy_id/executions`, { summary: "A webhook policy's delivery runs, newest first", tag: 'webhook', params: PolicyParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(ExecutionJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await webhooks.executions(caller, ref(req), policyId(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(executionJson)
  })
  route('GET', `${base}/policies/:webhook_policy_id/executions/:execution_id/tasks`, { summary: 'The deliveries of a run, one per target', tag: 'webhook', params: ExecutionParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(TaskJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await webhooks.tasks(caller, ref(req), policyId(req), executionId(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(taskJson)
  })
  route('GET', `${base}/policies/:webhook_policy_id/executions/:execution_id/tasks/:task_id/log`, { summary: "A delivery's log (every attempt)", tag: 'webhook', params: TaskParams, response: { 200: Type.String() } }, async (req, reply, caller) =>
    reply.type('text/plain; charset=utf-8').send(await webhooks.taskLog(caller, ref(req), policyId(req), executionId(req), idOf(params(req).task_id!, 'task_id'))),
  )
  route('GET', `${base}/lasttrigger`, { summary: 'When each policy last triggered, per event type', tag: 'webhook', params: ProjectParams, response: { 200: Type.Array(LastTriggerJson) } }, async (req, _reply, caller) =>
    (await webhooks.lastTriggers(caller, ref(req))).map((l) => ({
      policy_name: l.policyName,
      event_type: l.eventType,
      enabled: l.enabled,
      creation_time: l.createdAt,
      ...(l.lastTriggerTime !== null ? { last_trigger_time: l.lastTriggerTime } : {}),
    })),
  )
  route(
    'GET',
    `${base}/jobs`,
    { summary: "A policy's deliveries (Harbor's older view of them), newest first", tag: 'webhook', params: ProjectParams, querystring: Type.Object({ ...ListQueryParams, policy_id: Id('a webhook policy id') }), response: { 200: Type.Array(WebhookJobJson) } },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const id = idOf((req.query as { policy_id: string }).policy_id, 'policy_id')
      const page = await webhooks.jobs(caller, ref(req), id, q)
      pagingHeaders(req, reply, q, page.total)
      return page.items.map((t) => webhookJobJson(id, t))
    },
  )
  route('GET', `${base}/events`, { summary: 'The event types, notify types and payload formats a policy may use', tag: 'webhook', params: ProjectParams, response: { 200: SupportedJson } }, async (req, _reply, caller) => {
    const s = await webhooks.supported(caller, ref(req))
    return { event_type: s.eventTypes, notify_type: s.notifyTypes, payload_formats: s.payloadFormats.map((f) => ({ notify_type: f.notifyType, formats: f.formats })) }
  })
}
