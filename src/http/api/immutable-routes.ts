// /api/v2.0 routes for a project's tag immutability rules, with Harbor's paths and shapes
// (ImmutableRule, ImmutableSelector). The service validates the selectors, so that a wrong kind
// or decoration gets a message naming the field and the values it may take.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SelectorBody, SelectorJson } from './selector-shapes.js'
import { Type, type Static } from '@sinclair/typebox'
import type { ImmutabilityService, ImmutableRule } from '../../services/immutability/immutability-service.js'
import { selectorsJson } from '../../services/rules/selectors.js'
import type { Security } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'

export interface ImmutableDeps extends Security {
  immutability: ImmutabilityService
}

/** A rule is a few selectors: a small body is plenty. */
const RULE_BODY_LIMIT = 16 << 10

const ProjectParams = Type.Object({ project: Type.String({ minLength: 1, maxLength: 255, description: 'project name or id' }) })
const RuleParams = Type.Object({ project: ProjectParams.properties.project, immutable_rule_id: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a numeric id' }) })

const RuleJson = Type.Object({
  id: Type.Integer(),
  priority: Type.Integer(),
  disabled: Type.Boolean(),
  action: Type.String(),
  template: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  tag_selectors: Type.Array(SelectorJson),
  scope_selectors: Type.Record(Type.String(), Type.Array(SelectorJson)),
})

/** Harbor's ImmutableRule as clients send it; every field optional here, the service says what is missing. */
const RuleBody = Type.Object(
  {
    id: Type.Optional(Type.Integer({ minimum: 0, description: 'ignored on POST; on PUT, the id in the path or absent' })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
    disabled: Type.Optional(Type.Boolean()),
    action: Type.Optional(Type.String({ maxLength: 64, description: 'immutable' })),
    template: Type.Optional(Type.String({ maxLength: 64, description: 'immutable_template' })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    tag_selectors: Type.Optional(Type.Array(SelectorBody, { maxItems: 64 })),
    scope_selectors: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Array(SelectorBody, { maxItems: 64 }))),
  },
  { additionalProperties: false },
)

function ruleJson(r: ImmutableRule): Static<typeof RuleJson> {
  return { id: r.id, priority: r.priority, disabled: r.disabled, action: r.action, template: r.template, params: r.params, ...selectorsJson(r) }
}

export async function immutableRoutes(app: FastifyInstance, deps: ImmutableDeps): Promise<void> {
  const { immutability } = deps
  const route = apiRouter(app, deps)
  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const ref = (req: FastifyRequest) => projectRefOf(req, params(req).project!)
  const ruleId = (req: FastifyRequest) => idOf(params(req).immutable_rule_id!, 'immutable_rule_id')

  route('GET', '/projects/:project/immutabletagrules', { summary: "List a project's immutable tag rules", tag: 'immutable', params: ProjectParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(RuleJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await immutability.list(caller, ref(req), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(ruleJson)
  })
  route('POST', '/projects/:project/immutabletagrules', { summary: 'Add an immutable tag rule to a project (at most 15)', tag: 'immutable', bodyLimit: RULE_BODY_LIMIT, params: ProjectParams, body: RuleBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const id = await immutability.create(caller, ref(req), req.body as Static<typeof RuleBody>)
    return reply.code(201).header('location', `${API}/projects/${encodeURIComponent(params(req).project!)}/immutabletagrules/${id}`).send()
  })
  route('PUT', '/projects/:project/immutabletagrules/:immutable_rule_id', { summary: 'Replace an immutable tag rule, or enable or disable it (a body with only disabled)', tag: 'immutable', bodyLimit: RULE_BODY_LIMIT, params: RuleParams, body: RuleBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await immutability.update(caller, ref(req), ruleId(req), req.body as Static<typeof RuleBody>)
    return reply.send()
  })
  route('DELETE', '/projects/:project/immutabletagrules/:immutable_rule_id', { summary: 'Delete an immutable tag rule', tag: 'immutable', params: RuleParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await immutability.delete(caller, ref(req), ruleId(req))
    return reply.send()
  })
}
