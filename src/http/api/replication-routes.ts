// /api/v2.0 replication routes with Harbor's paths and shapes: /registries (with ping and info),
// /replication/adapters, /replication/policies, /replication/executions with their tasks and
// task logs. System administrators only. Harbor's clients send whole objects back on PUT, so
// request bodies here accept and ignore fields they do not use.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { requireSystemAccess } from '../../services/identity/guards.js'
import type { RegistryRow } from '../../metadata/registry-store.js'
import type { Execution, Policy, PolicyFields, Task } from '../../metadata/replication-store.js'
import { REGISTRY_TYPES, policyFilters, type ReplicationService } from '../../services/replication/replication-service.js'
import type { Security } from '../security.js'
import { idOf } from './context.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import { listQueryOf, pagingHeaders } from './query.js'

export interface ReplicationDeps extends Security {
  replication: ReplicationService
}

const Credential = Type.Object({ type: Type.Optional(Type.String()), access_key: Type.Optional(Type.String({ maxLength: 1024 })), access_secret: Type.Optional(Type.String({ maxLength: 8192 })) })
const RegistryJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  url: Type.String(),
  description: Type.String(),
  type: Type.String(),
  insecure: Type.Boolean(),
  credential: Credential,
  status: Type.String(),
  creation_time: Type.String(),
  update_time: Type.String(),
})
const RegistryBody = Type.Object(
  {
    name: Type.String({ maxLength: 255 }),
    url: Type.String({ maxLength: 2048 }),
    type: Type.String({ maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    credential: Type.Optional(Credential),
    insecure: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
)
/** Harbor's flat registry fields, shared by RegistryUpdate and RegistryPing. */
const FlatRegistry = {
  url: Type.Optional(Type.String({ maxLength: 2048 })),
  credential_type: Type.Optional(Type.String({ maxLength: 64 })),
  access_key: Type.Optional(Type.String({ maxLength: 1024 })),
  access_secret: Type.Optional(Type.String({ maxLength: 8192 })),
  insecure: Type.Optional(Type.Boolean()),
}
const RegistryUpdateBody = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 255 })), description: Type.Optional(Type.String({ maxLength: 1024 })), ...FlatRegistry },
  { additionalProperties: true },
)
const PingBody = Type.Object({ id: Type.Optional(Type.Integer()), type: Type.Optional(Type.String({ maxLength: 64 })), ...FlatRegistry }, { additionalProperties: true })
const RegistryInfoJson = Type.Object({
  type: Type.String(),
  description: Type.String(),
  supported_resource_filters: Type.Array(Type.Object({ type: Type.String(), style: Type.String(), values: Type.Optional(Type.Array(Type.String())) })),
  supported_triggers: Type.Array(Type.String()),
  supported_copy_by_chunk: Type.Boolean(),
})
const RegistryRef = Type.Union([Type.Null(), Type.Object({ id: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: true })])
const FilterJson = Type.Object({ type: Type.String(), value: Type.Union([Type.String(), Type.Array(Type.String())]), decoration: Type.Optional(Type.String()) })
const PolicyBody = Type.Object(
  {
    name: Type.String({ maxLength: 255 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    src_registry: Type.Optional(RegistryRef),
    dest_registry: Type.Optional(RegistryRef),
    dest_namespace: Type.Optional(Type.String({ maxLength: 255 })),
    dest_namespace_replace_count: Type.Optional(Type.Integer()),
    trigger: Type.Optional(Type.Object({ type: Type.String(), trigger_settings: Type.Optional(Type.Object({ cron: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: true })) }, { additionalProperties: true })),
    filters: Type.Optional(Type.Union([Type.Null(), Type.Array(FilterJson, { maxItems: 50 })])),
    replicate_deletion: Type.Optional(Type.Boolean()),
    deletion: Type.Optional(Type.Boolean()),
    override: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
    speed: Type.Optional(Type.Integer({ minimum: -1 })),
    copy_by_chunk: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
)
const LocalRegistryJson = Type.Object({ id: Type.Integer(), name: Type.String(), type: Type.String(), url: Type.String() })
const PolicyJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  src_registry: Type.Union([RegistryJson, LocalRegistryJson]),
  dest_registry: Type.Union([RegistryJson, LocalRegistryJson]),
  dest_namespace: Type.String(),
  dest_namespace_replace_count: Type.Integer(),
  trigger: Type.Object({ type: Type.String(), trigger_settings: Type.Object({ cron: Type.String() }) }),
  filters: Type.Array(FilterJson),
  replicate_deletion: Type.Boolean(),
  deletion: Type.Boolean(),
  override: Type.Boolean(),
  enabled: Type.Boolean(),
  speed: Type.Integer(),
  copy_by_chunk: Type.Boolean(),
  single_active_replication: Type.Boolean(),
  creation_time: Type.String(),
  update_time: Type.String(),
})
const ExecutionJson = Type.Object({
  id: Type.Integer(),
  policy_id: Type.Integer(),
  status: Type.String(),
  trigger: Type.String(),
  start_time: Type.String(),
  end_time: Type.Optional(Type.String()),
  status_text: Type.String(),
  total: Type.Integer(),
  failed: Type.Integer(),
  succeed: Type.Integer(),
  in_progress: Type.Integer(),
  stopped: Type.Integer(),
})
const TaskJson = Type.Object({
  id: Type.Integer(),
  execution_id: Type.Integer(),
  status: Type.String(),
  job_id: Type.String(),
  operation: Type.String(),
  resource_type: Type.String(),
  src_resource: Type.String(),
  dst_resource: Type.String(),
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
})
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) })
const Paging = { page: ListQueryParams.page, page_size: ListQueryParams.page_size }

const LOCAL = { id: 0, name: 'Local', type: 'berth', url: '' }

function registryJson(r: RegistryRow, status: string): Static<typeof RegistryJson> {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    description: r.description,
    type: r.type,
    insecure: r.insecure,
    credential: { type: r.credentialType, access_key: r.accessKey, access_secret: r.sealedSecret === '' ? '' : '*****' },
    status,
    creation_time: r.createdAt,
    update_time: r.updatedAt,
  }
}

function executionJson(e: Execution): Static<typeof ExecutionJson> {
  return {
    id: e.id,
    policy_id: e.policyId,
    status: e.status,
    trigger: e.trigger,
    start_time: e.startTime,
    ...(e.endTime !== null ? { end_time: e.endTime } : {}),
    status_text: e.statusText,
    total: e.counts.total,
    failed: e.counts.failed,
    succeed: e.counts.succeed,
    in_progress: e.counts.inProgress,
    stopped: e.counts.stopped,
  }
}

function taskJson(t: Task): Static<typeof TaskJson> {
  return {
    id: t.id,
    execution_id: t.executionId,
    status: t.status,
    job_id: t.jobId === null ? '' : String(t.jobId),
    operation: t.operation,
    resource_type: t.resourceType,
    src_resource: t.srcResource,
    dst_resource: t.dstResource,
    ...(t.startTime !== null ? { start_time: t.startTime } : {}),
    ...(t.endTime !== null ? { end_time: t.endTime } : {}),
  }
}

/** A registry reference in a policy: null, absent or id 0 is this registry. */
function registryIdOf(ref: Static<typeof RegistryRef> | undefined): number | null {
  return ref === undefined || ref === null || ref.id === undefined || ref.id === 0 ? null : ref.id
}

function policyFields(b: Static<typeof PolicyBody>): PolicyFields {
  const trigger = b.trigger?.type ?? 'manual'
  return {
    name: b.name,
    description: b.description ?? '',
    srcRegistryId: registryIdOf(b.src_registry),
    destRegistryId: registryIdOf(b.dest_registry),
    destNamespace: b.dest_namespace ?? '',
    destNamespaceReplaceCount: b.dest_namespace_replace_count ?? -1,
    trigger: trigger as PolicyFields['trigger'],
    cron: b.trigger?.trigger_settings?.cron ?? '',
    filters: policyFilters(b.filters),
    replicateDeletion: b.replicate_deletion ?? b.deletion ?? false,
    override: b.override ?? true,
    enabled: b.enabled ?? true,
    speed: b.speed ?? -1,
    copyByChunk: b.copy_by_chunk ?? false,
  }
}

const created = (reply: FastifyReply, location: string) => reply.code(201).header('location', `${API}${location}`).send()

export async function replicationRoutes(app: FastifyInstance, deps: ReplicationDeps): Promise<void> {
  const { replication } = deps
  const route = apiRouter(app, deps)
  const id = (params: unknown) => idOf((params as { id: string }).id, 'id')

  // --- registries --------------------------------------------------------------------------
  route('POST', '/registries', { summary: 'Add a remote registry (berth, harbor, docker-registry, docker-hub)', tag: 'registry', body: RegistryBody, response: { 201: Empty } }, async (req, reply, caller) =>
    created(reply, `/registries/${await replication.createRegistry(caller, req.body as Static<typeof RegistryBody>)}`),
  )
  route(
    'GET',
    '/registries',
    { summary: 'Remote registries, with whether each answers now', tag: 'registry', querystring: Type.Object({ ...Paging, name: Type.Optional(Type.String({ maxLength: 255 })), q: Type.Optional(Type.String({ maxLength: 1024 })) }), response: { 200: Type.Array(RegistryJson) } },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const page = await replication.listRegistries(caller, (req.query as { name?: string }).name, (q.page - 1) * q.pageSize, q.pageSize)
      pagingHeaders(req, reply, q, page.total)
      return Promise.all(page.items.map(async (r) => registryJson(r, await replication.status(r))))
    },
  )
  route('POST', '/registries/ping', { summary: 'Check that a registry answers with these credentials', tag: 'registry', body: PingBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.ping(caller, req.body as Static<typeof PingBody>)
    return reply.send()
  })
  route('GET', '/registries/:id', { summary: 'One remote registry', tag: 'registry', params: IdParams, response: { 200: RegistryJson } }, async (req, _reply, caller) => {
    const r = await replication.getRegistry(caller, id(req.params))
    return registryJson(r, await replication.status(r))
  })
  route('PUT', '/registries/:id', { summary: 'Change a remote registry (absent fields and a ***** secret keep their value)', tag: 'registry', params: IdParams, body: RegistryUpdateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.updateRegistry(caller, id(req.params), req.body as Static<typeof RegistryUpdateBody>)
    return reply.send()
  })
  route('DELETE', '/registries/:id', { summary: 'Remove a remote registry no policy uses', tag: 'registry', params: IdParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.deleteRegistry(caller, id(req.params))
    return reply.send()
  })
  const info = (type: string): Static<typeof RegistryInfoJson> => ({
    type,
    description: `${type} registry`,
    supported_resource_filters: [
      { type: 'name', style: 'input' },
      { type: 'tag', style: 'input' },
      ...(type === 'berth' || type === 'harbor' ? [{ type: 'label', style: 'input' }] : []),
      { type: 'resource', style: 'radio', values: ['image', 'artifact'] },
    ],
    supported_triggers: ['manual', 'scheduled', 'event_based'],
    supported_copy_by_chunk: true,
  })
  route('GET', '/registries/:id/info', { summary: 'What a registry supports as a replication source or target', tag: 'registry', params: IdParams, response: { 200: RegistryInfoJson } }, async (req, _reply, caller) =>
    info((await replication.getRegistry(caller, id(req.params))).type),
  )
  route('GET', '/replication/adapters', { summary: 'The registry types replication speaks', tag: 'replication', response: { 200: Type.Array(Type.String()) } }, async (_req, _reply, caller) => {
    requireSystemAccess(caller, 'replication-adapter:list')
    return [...REGISTRY_TYPES]
  })
  route('GET', '/replication/adapterinfos', { summary: 'What each registry type supports', tag: 'replication', response: { 200: Type.Record(Type.String(), RegistryInfoJson) } }, async (_req, _reply, caller) => {
    requireSystemAccess(caller, 'replication-adapter:list')
    return Object.fromEntries(REGISTRY_TYPES.map((t) => [t, info(t)]))
  })

  // --- policies ----------------------------------------------------------------------------
  const policyJson = async (p: Policy): Promise<Static<typeof PolicyJson>> => {
    const ref = async (rid: number | null) => {
      if (rid === null) return LOCAL
      const r = await deps.stores.registries.get(rid)
      return r === null ? { ...LOCAL, id: rid, name: '(deleted)' } : registryJson(r, 'unknown')
    }
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      src_registry: await ref(p.srcRegistryId),
      dest_registry: await ref(p.destRegistryId),
      dest_namespace: p.destNamespace,
      dest_namespace_replace_count: p.destNamespaceReplaceCount,
      trigger: { type: p.trigger, trigger_settings: { cron: p.cron } },
      filters: p.filters.map((f) => ({ type: f.type, value: f.value, ...(f.decoration !== undefined ? { decoration: f.decoration } : {}) })),
      replicate_deletion: p.replicateDeletion,
      deletion: p.replicateDeletion,
      override: p.override,
      enabled: p.enabled,
      speed: p.speed,
      copy_by_chunk: p.copyByChunk,
      single_active_replication: true,
      creation_time: p.createdAt,
      update_time: p.updatedAt,
    }
  }
  route('POST', '/replication/policies', { summary: 'Create a replication policy (push: src_registry null; pull: dest_registry null)', tag: 'replication', body: PolicyBody, response: { 201: Empty } }, async (req, reply, caller) =>
    created(reply, `/replication/policies/${await replication.createPolicy(caller, policyFields(req.body as Static<typeof PolicyBody>))}`),
  )
  route(
    'GET',
    '/replication/policies',
    { summary: 'Replication policies', tag: 'replication', querystring: Type.Object({ ...Paging, name: Type.Optional(Type.String({ maxLength: 255 })), q: Type.Optional(Type.String({ maxLength: 1024 })), sort: Type.Optional(Type.String({ maxLength: 255 })) }), response: { 200: Type.Array(PolicyJson) } },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const page = await replication.listPolicies(caller, (req.query as { name?: string }).name, (q.page - 1) * q.pageSize, q.pageSize)
      pagingHeaders(req, reply, q, page.total)
      return Promise.all(page.items.map(policyJson))
    },
  )
  route('GET', '/replication/policies/:id', { summary: 'One replication policy', tag: 'replication', params: IdParams, response: { 200: PolicyJson } }, async (req, _reply, caller) => policyJson(await replication.getPolicy(caller, id(req.params))))
  route('PUT', '/replication/policies/:id', { summary: 'Replace a replication policy', tag: 'replication', params: IdParams, body: PolicyBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.updatePolicy(caller, id(req.params), policyFields(req.body as Static<typeof PolicyBody>))
    return reply.send()
  })
  route('DELETE', '/replication/policies/:id', { summary: 'Delete a replication policy (not while it runs)', tag: 'replication', params: IdParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.deletePolicy(caller, id(req.params))
    return reply.send()
  })

  // --- executions --------------------------------------------------------------------------
  route('POST', '/replication/executions', { summary: 'Run a policy now (409 while it runs)', tag: 'replication', body: Type.Object({ policy_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: true }), response: { 201: Empty } }, async (req, reply, caller) =>
    created(reply, `/replication/executions/${await replication.execute(caller, (req.body as { policy_id: number }).policy_id)}`),
  )
  route(
    'GET',
    '/replication/executions',
    {
      summary: 'Executions, newest first',
      tag: 'replication',
      querystring: Type.Object({ ...Paging, policy_id: Type.Optional(Type.Integer({ minimum: 1 })), status: Type.Optional(Type.String({ maxLength: 32 })), trigger: Type.Optional(Type.String({ maxLength: 32 })), sort: Type.Optional(Type.String({ maxLength: 255 })) }),
      response: { 200: Type.Array(ExecutionJson) },
    },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const f = req.query as { policy_id?: number; status?: string; trigger?: string }
      const { items, total } = await replication.listExecutions(
        caller,
        { ...(f.policy_id !== undefined ? { policyId: f.policy_id } : {}), ...(f.status !== undefined ? { status: f.status } : {}), ...(f.trigger !== undefined ? { trigger: f.trigger } : {}) },
        (q.page - 1) * q.pageSize,
        q.pageSize,
      )
      pagingHeaders(req, reply, q, total)
      return items.map(executionJson)
    },
  )
  route('GET', '/replication/executions/:id', { summary: 'One execution with its task counts', tag: 'replication', params: IdParams, response: { 200: ExecutionJson } }, async (req, _reply, caller) => executionJson(await replication.getExecution(caller, id(req.params))))
  route('PUT', '/replication/executions/:id', { summary: 'Stop an execution', tag: 'replication', params: IdParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await replication.stopExecution(caller, id(req.params))
    return reply.send()
  })
  route('POST', '/replication/executions/:id/retry', { summary: 'Berth: run the failed tasks of an ended execution again', tag: 'replication', params: IdParams, response: { 200: Type.Object({ retried: Type.Integer() }) } }, async (req, _reply, caller) => ({
    retried: await replication.retryExecution(caller, id(req.params)),
  }))
  route(
    'GET',
    '/replication/executions/:id/tasks',
    { summary: 'The tasks of an execution', tag: 'replication', params: IdParams, querystring: Type.Object({ ...Paging, status: Type.Optional(Type.String({ maxLength: 32 })), resource_type: Type.Optional(Type.String({ maxLength: 32 })), sort: Type.Optional(Type.String({ maxLength: 255 })) }), response: { 200: Type.Array(TaskJson) } },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const f = req.query as { status?: string; resource_type?: string }
      const { items, total } = await replication.listTasks(caller, id(req.params), { ...(f.status !== undefined ? { status: f.status } : {}), ...(f.resource_type !== undefined ? { resourceType: f.resource_type } : {}) }, (q.page - 1) * q.pageSize, q.pageSize)
      pagingHeaders(req, reply, q, total)
      return items.map(taskJson)
    },
  )
  route(
    'GET',
    '/replication/executions/:id/tasks/:task_id/log',
    { summary: "A task's log, from any node, also while it runs", tag: 'replication', params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }), task_id: Type.String({ pattern: '^[0-9]{1,15}$' }) }), response: { 200: Type.String() } },
    async (req, reply, caller) => {
      const p = req.params as { id: string; task_id: string }
      return reply.type('text/plain; charset=utf-8').send(await replication.taskLog(caller, idOf(p.id, 'id'), idOf(p.task_id, 'task_id')))
    },
  )
}
