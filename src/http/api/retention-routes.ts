// /api/v2.0 routes for tag retention with Harbor's paths and shapes: the templates
// (/retentions/metadatas), a project's policy (/retentions, found through the project's
// retention_id metadata), its runs, their tasks (one per repository) and each task's log. The
// service validates policies, so a wrong template or parameter gets a message naming the field.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SelectorBody, SelectorJson } from './selector-shapes.js'
import { Type, type Static } from '@sinclair/typebox'
import { BerthError } from '../../lib/errors.js'
import type { RetentionPolicy, RetentionService } from '../../services/retention/retention-service.js'
import { ruleJson, SCHEDULE_TRIGGER } from '../../services/retention/retention-policy.js'
import type { Security } from '../security.js'
import { idOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import { RetentionExecutionJson, RetentionExecutionTaskJson, retentionExecutionJson, retentionTaskJson } from './execution-shapes.js'

export interface RetentionDeps extends Security {
  retention: RetentionService
}

/** Fifteen rules of a few selectors each fit easily. */
const POLICY_BODY_LIMIT = 32 << 10

const Id = Type.String({ pattern: '^[0-9]{1,15}$', description: 'a numeric id' })
const PolicyParams = Type.Object({ id: Id })
const ExecutionParams = Type.Object({ id: Id, eid: Id })
const TaskParams = Type.Object({ id: Id, eid: Id, tid: Id })

const RuleJson = Type.Object({
  id: Type.Integer(),
  priority: Type.Integer(),
  disabled: Type.Boolean(),
  action: Type.String({ description: 'retain' }),
  template: Type.String({ description: 'latestPushedK, latestPulledN, nDaysSinceLastPush, nDaysSinceLastPull or always' }),
  params: Type.Record(Type.String(), Type.Unknown()),
  tag_selectors: Type.Array(SelectorJson),
  scope_selectors: Type.Record(Type.String(), Type.Array(SelectorJson)),
})

const PolicyJson = Type.Object({
  id: Type.Integer(),
  algorithm: Type.String({ description: 'or: an artifact is retained when any rule retains it' }),
  rules: Type.Array(RuleJson),
  trigger: Type.Object({ kind: Type.String(), settings: Type.Record(Type.String(), Type.Unknown()), references: Type.Record(Type.String(), Type.Unknown()) }),
  scope: Type.Object({ level: Type.String(), ref: Type.Integer() }),
})

const MetadataJson = Type.Object({
  templates: Type.Array(Type.Object({ rule_template: Type.String(), display_text: Type.String(), action: Type.String(), params: Type.Array(Type.Object({ type: Type.String(), unit: Type.String(), required: Type.Boolean() })) })),
  scope_selectors: Type.Array(Type.Object({ display_text: Type.String(), kind: Type.String(), decorations: Type.Array(Type.String()) })),
  tag_selectors: Type.Array(Type.Object({ display_text: Type.String(), kind: Type.String(), decorations: Type.Array(Type.String()) })),
})

/** Harbor's RetentionPolicy as clients send it; the service checks every field and says what is wrong. */
const RuleBody = Type.Object(
  {
    id: Type.Optional(Type.Integer()),
    priority: Type.Optional(Type.Integer()),
    disabled: Type.Optional(Type.Boolean()),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    template: Type.Optional(Type.String({ maxLength: 64 })),
    params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 8 })),
    tag_selectors: Type.Optional(Type.Array(SelectorBody, { maxItems: 64 })),
    scope_selectors: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Array(SelectorBody, { maxItems: 64 }), { maxProperties: 8 })),
  },
  { additionalProperties: false },
)
const PolicyBody = Type.Object(
  {
    id: Type.Optional(Type.Integer({ description: 'ignored on POST; on PUT, the id in the path or absent' })),
    algorithm: Type.Optional(Type.String({ maxLength: 16 })),
    rules: Type.Optional(Type.Array(RuleBody, { maxItems: 64 })),
    trigger: Type.Optional(
      Type.Object(
        {
          kind: Type.Optional(Type.String({ maxLength: 64 })),
          settings: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 8 })),
          references: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 8 })),
        },
        { additionalProperties: false },
      ),
    ),
    scope: Type.Optional(Type.Object({ level: Type.Optional(Type.String({ maxLength: 64 })), ref: Type.Optional(Type.Integer()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)
const TriggerBody = Type.Object({ dry_run: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
const OperateBody = Type.Object({ action: Type.String({ maxLength: 64, description: 'stop' }) }, { additionalProperties: false })

function policyJson(p: RetentionPolicy): Static<typeof PolicyJson> {
  return {
    id: p.id,
    algorithm: p.algorithm,
    rules: p.rules.map(ruleJson),
    trigger: { kind: SCHEDULE_TRIGGER, settings: { cron: p.cron }, references: {} },
    scope: { level: 'project', ref: p.projectId },
  }
}

export async function retentionRoutes(app: FastifyInstance, deps: RetentionDeps): Promise<void> {
  const { retention } = deps
  const route = apiRouter(app, deps)
  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const id = (req: FastifyRequest) => idOf(params(req).id!, 'id')
  const eid = (req: FastifyRequest) => idOf(params(req).eid!, 'eid')
  const tag = 'retention'

  route('GET', '/retentions/metadatas', { summary: 'The rule templates, their parameters and the selectors a retention policy may use', tag, response: { 200: MetadataJson } }, async (_req, _reply, caller) => retention.metadata(caller))

  route('POST', '/retentions', { summary: "Create a project's retention policy (scope.ref: the project id); one per project", tag, bodyLimit: POLICY_BODY_LIMIT, body: PolicyBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const created = await retention.create(caller, req.body as Static<typeof PolicyBody>)
    return reply.code(201).header('location', `${API}/retentions/${created}`).send()
  })
  route('GET', '/retentions/:id', { summary: 'A retention policy', tag, params: PolicyParams, response: { 200: PolicyJson } }, async (req, _reply, caller) => policyJson(await retention.get(caller, id(req))))
  route('PUT', '/retentions/:id', { summary: "Replace a retention policy's rules and trigger", tag, bodyLimit: POLICY_BODY_LIMIT, params: PolicyParams, body: PolicyBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await retention.update(caller, id(req), req.body as Static<typeof PolicyBody>)
    return reply.send()
  })
  route('DELETE', '/retentions/:id', { summary: 'Delete a retention policy and its schedule', tag, params: PolicyParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await retention.delete(caller, id(req))
    return reply.send()
  })

  route('POST', '/retentions/:id/executions', { summary: 'Run a retention policy now; dry_run reports what it would delete and deletes nothing', tag, params: PolicyParams, body: TriggerBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const dryRun = (req.body as Static<typeof TriggerBody> | undefined)?.dry_run ?? false
    const executionId = await retention.trigger(caller, id(req), dryRun)
    return reply.code(201).header('location', `${API}/retentions/${id(req)}/executions/${executionId}`).send()
  })
  route('GET', '/retentions/:id/executions', { summary: "A retention policy's runs, newest first", tag, params: PolicyParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(RetentionExecutionJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await retention.listExecutions(caller, id(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(retentionExecutionJson)
  })
  route('PATCH', '/retentions/:id/executions/:eid', { summary: 'Stop a retention run (action "stop")', tag, params: ExecutionParams, body: OperateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const action = (req.body as Static<typeof OperateBody>).action
    if (action !== 'stop') throw new BerthError('BAD_REQUEST', `action must be "stop", not ${JSON.stringify(action).slice(0, 64)}`)
    await retention.stop(caller, id(req), eid(req))
    return reply.send()
  })
  route('GET', '/retentions/:id/executions/:eid/tasks', { summary: 'The tasks of a retention run, one per repository, with retained and total counts', tag, params: ExecutionParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(RetentionExecutionTaskJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await retention.listTasks(caller, id(req), eid(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(retentionTaskJson)
  })
  route('GET', '/retentions/:id/executions/:eid/tasks/:tid', { summary: "A retention task's log: what it kept and deleted, and why", tag, params: TaskParams, response: { 200: Type.String() } }, async (req, reply, caller) =>
    reply.type('text/plain; charset=utf-8').send(await retention.taskLog(caller, id(req), eid(req), idOf(params(req).tid!, 'tid'))),
  )
}
