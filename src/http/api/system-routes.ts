// /api/v2.0 system routes: ping, health, systeminfo, statistics, search, project summaries,
// configurations and the caller's permissions, with Harbor's shapes; and Berth's own failures of
// the administrators' overview.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { SystemService } from '../../services/system/system-service.js'
import type { SettingsService } from '../../services/system/settings-service.js'
import type { ProjectService } from '../../services/identity/project-service.js'
import { ROLES } from '../../auth/permissions.js'
import { baseUrlOf, type Security } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { apiRouter, Empty, ListQueryParams } from './router.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { ProjectJson, ProjectParams, projectJson } from './shapes.js'
import { BerthError } from '../../lib/errors.js'

export interface SystemDeps extends Security {
  system: SystemService
  settings: SettingsService
  projects: ProjectService
}

const HealthJson = Type.Object({ status: Type.String(), components: Type.Array(Type.Object({ name: Type.String(), status: Type.String(), error: Type.Optional(Type.String()) })) })
const StatisticsJson = Type.Object({
  private_project_count: Type.Integer(),
  private_repo_count: Type.Integer(),
  public_project_count: Type.Integer(),
  public_repo_count: Type.Integer(),
  total_project_count: Type.Integer(),
  total_repo_count: Type.Integer(),
  total_storage_consumption: Type.Optional(Type.Integer()),
})
const SearchJson = Type.Object({
  project: Type.Array(ProjectJson),
  repository: Type.Array(Type.Object({ project_id: Type.Integer(), project_name: Type.String(), project_public: Type.Boolean(), repository_name: Type.String(), pull_count: Type.Integer(), artifact_count: Type.Integer() })),
})
const Storage = Type.Object({ storage: Type.Integer() })
const SummaryJson = Type.Object({
  repo_count: Type.Integer(),
  project_admin_count: Type.Optional(Type.Integer()),
  maintainer_count: Type.Optional(Type.Integer()),
  developer_count: Type.Optional(Type.Integer()),
  guest_count: Type.Optional(Type.Integer()),
  limited_guest_count: Type.Optional(Type.Integer()),
  quota: Type.Object({ hard: Storage, used: Storage }),
})
/** Berth's own: a failed run of any kind of background work (GARBAGE_COLLECTION, PURGE_AUDIT, REPLICATION, RETENTION, WEBHOOK...). */
const FailureJson = Type.Object({
  id: Type.Integer({ description: 'the execution id' }),
  vendor_type: Type.String(),
  vendor_id: Type.Integer({ description: 'the policy id (0 for system jobs)' }),
  status_message: Type.String(),
  trigger: Type.String(),
  start_time: Type.String(),
  end_time: Type.Optional(Type.String()),
  project_id: Type.Optional(Type.Integer({ description: "retention and webhook runs: their policy's project" })),
  project_name: Type.Optional(Type.String()),
  policy_name: Type.Optional(Type.String({ description: "replication and webhook runs: their policy's name" })),
})
const ConfigItem = Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), editable: Type.Boolean() })
const PermissionJson = Type.Object({ resource: Type.String(), action: Type.String() })

export async function systemRoutes(app: FastifyInstance, deps: SystemDeps): Promise<void> {
  const { system, settings } = deps
  const route = apiRouter(app, deps)

  route('GET', '/ping', { summary: 'Liveness of the API: answers Pong', tag: 'ping', anonymous: true, response: { 200: Type.String() } }, async (_req, reply) => reply.type('text/plain').send('Pong'))

  route('GET', '/health', { summary: 'Health of each component (no authentication needed)', tag: 'health', anonymous: true, response: { 200: HealthJson } }, async () => {
    const components = await system.health()
    return { status: components.every((c) => c.status === 'healthy') ? 'healthy' : 'unhealthy', components }
  })

  route('GET', '/systeminfo', { summary: 'System information (less for anonymous callers)', tag: 'systeminfo', anonymous: true, response: { 200: Type.Record(Type.String(), Type.Unknown()) } }, async (req, _reply, caller) =>
    system.info(caller, baseUrlOf(req, deps.externalUrl)),
  )

  route('GET', '/statistics', { summary: 'Project and repository counts the caller can see', tag: 'statistic', response: { 200: StatisticsJson } }, async (_req, _reply, caller) => {
    const s = await system.statistics(caller)
    return {
      private_project_count: s.privateProjects,
      private_repo_count: s.privateRepositories,
      public_project_count: s.publicProjects,
      public_repo_count: s.publicRepositories,
      total_project_count: s.privateProjects + s.publicProjects,
      total_repo_count: s.privateRepositories + s.publicRepositories,
      ...(s.totalStorage !== undefined ? { total_storage_consumption: s.totalStorage } : {}),
    }
  })

  route('GET', '/search', { summary: 'Projects and repositories whose name contains q', tag: 'search', anonymous: true, querystring: Type.Object({ q: Type.String({ maxLength: 255 }) }), response: { 200: SearchJson } }, async (req, _reply, caller) => {
    const r = await system.search(caller, (req.query as { q: string }).q)
    return {
      project: r.projects.map((p) => projectJson({ ...p, roleIds: [] })),
      repository: r.repositories.map((x) => ({ project_id: x.projectId, project_name: x.projectName, project_public: x.projectPublic, repository_name: x.name, pull_count: x.pullCount, artifact_count: x.artifactCount })),
    }
  })

  route('GET', '/projects/:project/summary', { summary: "A project's repository count, members by role and usage", tag: 'project', anonymous: true, params: ProjectParams, response: { 200: SummaryJson } }, async (req, _reply, caller) => {
    const s = await system.summary(caller, projectRefOf(req, (req.params as { project: string }).project))
    const m = s.members
    return {
      repo_count: s.repoCount,
      ...(m !== undefined
        ? { project_admin_count: m[ROLES.projectAdmin]!, maintainer_count: m[ROLES.maintainer]!, developer_count: m[ROLES.developer]!, guest_count: m[ROLES.guest]!, limited_guest_count: m[ROLES.limitedGuest]! }
        : {}),
      quota: { hard: { storage: s.hard }, used: { storage: s.used } },
    }
  })
  route('GET', '/projects/:project/_deletable', { summary: 'Whether the project can be deleted now', tag: 'project', params: ProjectParams, response: { 200: Type.Object({ deletable: Type.Boolean(), message: Type.String() }) } }, async (req, _reply, caller) =>
    system.deletable(caller, projectRefOf(req, (req.params as { project: string }).project)),
  )

  route(
    'GET',
    '/berth/overview/failures',
    {
      summary: "Berth: the latest failed runs of background work, newest first, paged (administrators)",
      tag: 'berth',
      querystring: Type.Object({ page: ListQueryParams.page, page_size: ListQueryParams.page_size, vendor_type: Type.Optional(Type.String({ pattern: '^[A-Z_]{1,64}$' })) }),
      response: { 200: Type.Array(FailureJson) },
    },
    async (req, reply, caller) => {
      const q = listQueryOf(req)
      const { items, total } = await system.failures(caller, { vendorType: (req.query as { vendor_type?: string }).vendor_type }, q.page, q.pageSize)
      pagingHeaders(req, reply, q, total)
      return items.map((f) => ({
        id: f.id,
        vendor_type: f.vendorType,
        vendor_id: f.vendorId,
        status_message: f.statusMessage,
        trigger: f.trigger,
        start_time: f.startTime,
        ...(f.endTime !== null ? { end_time: f.endTime } : {}),
        ...(f.projectId !== null ? { project_id: f.projectId } : {}),
        ...(f.projectName !== null ? { project_name: f.projectName } : {}),
        ...(f.policyName !== null ? { policy_name: f.policyName } : {}),
      }))
    },
  )

  route('GET', '/configurations', { summary: 'System settings with whether each can change here (administrators)', tag: 'configure', response: { 200: Type.Record(Type.String(), ConfigItem) } }, async (_req, _reply, caller) => settings.list(caller))
  route('PUT', '/configurations', { summary: 'Change run-time settings (self_registration, project_creation_restriction, token_expiration, banner_message, storage_per_project, read_only, audit_log_forward_endpoint, skip_audit_log_database)', tag: 'configure', body: Type.Record(Type.String(), Type.Unknown()), response: { 200: Empty } }, async (req, reply, caller) => {
    await settings.update(caller, req.body as Record<string, unknown>)
    return reply.send()
  })

  route('GET', '/users/current/permissions', { summary: "The caller's permissions in a scope (/ or /project/<id>)", tag: 'user', querystring: Type.Object({ scope: Type.Optional(Type.String({ maxLength: 64 })), relative: Type.Optional(Type.Boolean()) }), response: { 200: Type.Array(PermissionJson) } }, async (req, _reply, caller) =>
    system.permissions(caller, (req.query as { scope?: string }).scope ?? '/'),
  )

  // Harbor's "does this project name exist" check, for signed-in callers: 200 or 404.
  route('HEAD', '/projects', { summary: 'Whether a project name is taken (signed-in callers)', tag: 'project', querystring: Type.Object({ project_name: Type.String({ minLength: 1, maxLength: 255 }) }), response: { 200: Empty } }, async (req: FastifyRequest, reply) => {
    const exists = (await deps.stores.projects.get((req.query as { project_name: string }).project_name)) !== null
    return reply.code(exists ? 200 : 404).send()
  })
}
