// /api/v2.0 quota routes with Harbor's shapes: GET /quotas (paged, by reference), GET and PUT
// /quotas/{id}. A quota's id is its project's id (one quota per project).
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { Quota, QuotaService } from '../../services/quota/quota-service.js'
import type { Security } from '../security.js'
import { idOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { apiRouter, Empty } from './router.js'

export interface QuotaDeps extends Security {
  quotas: QuotaService
}

const ResourceList = Type.Record(Type.String(), Type.Integer())
export const QuotaJson = Type.Object({
  id: Type.Integer(),
  ref: Type.Object({ id: Type.Integer(), name: Type.String(), owner_name: Type.String() }),
  creation_time: Type.String(),
  update_time: Type.String(),
  hard: ResourceList,
  used: ResourceList,
})
const QuotaParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) })
/** Harbor's QuotaUpdateReq: the resource names are checked by the service (storage only). */
const QuotaUpdateBody = Type.Object({ hard: Type.Record(Type.String({ maxLength: 64 }), Type.Integer(), { maxProperties: 8 }) }, { additionalProperties: false })

export function quotaJson(q: Quota): Static<typeof QuotaJson> {
  return {
    id: q.projectId,
    ref: { id: q.projectId, name: q.projectName, owner_name: q.ownerName },
    creation_time: q.createdAt,
    update_time: q.updatedAt,
    hard: { storage: q.hard },
    used: { storage: q.used },
  }
}

export async function quotaRoutes(app: FastifyInstance, deps: QuotaDeps): Promise<void> {
  const { quotas } = deps
  const route = apiRouter(app, deps)

  route(
    'GET',
    '/quotas',
    {
      summary: 'Quotas of all projects (administrators), paged; sort by hard.storage, used.storage, creation_time or update_time',
      tag: 'quota',
      querystring: Type.Object({
        reference: Type.Optional(Type.String({ maxLength: 32 })),
        reference_id: Type.Optional(Type.String({ maxLength: 32 })),
        sort: Type.Optional(Type.String({ maxLength: 128 })),
        page: Type.Optional(Type.Integer({ minimum: 1 })),
        page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      }),
      response: { 200: Type.Array(QuotaJson) },
    },
    async (req, reply, caller) => {
      const p = req.query as { reference?: string; reference_id?: string }
      const q = listQueryOf(req)
      if (p.reference_id !== undefined && p.reference_id !== '') q.conditions.push({ key: 'reference_id', op: 'eq', value: p.reference_id })
      const page = await quotas.list(caller, q, p.reference)
      pagingHeaders(req, reply, q, page.total)
      return page.items.map(quotaJson)
    },
  )
  route('GET', '/quotas/:id', { summary: 'The quota of one project (its id is the project id)', tag: 'quota', params: QuotaParams, response: { 200: QuotaJson } }, async (req, _reply, caller) =>
    quotaJson(await quotas.get(caller, idOf((req.params as { id: string }).id, 'id'))),
  )
  route(
    'PUT',
    '/quotas/:id',
    { summary: 'Change a project\'s storage limit: {"hard":{"storage":bytes}}, -1 for none (administrators)', tag: 'quota', params: QuotaParams, body: QuotaUpdateBody, response: { 200: Empty } },
    async (req, reply, caller) => {
      await quotas.update(caller, idOf((req.params as { id: string }).id, 'id'), (req.body as Static<typeof QuotaUpdateBody>).hard)
      return reply.send()
    },
  )
}
