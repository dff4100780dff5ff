// /api/v2.0 (identity part: users, projects, members, robots, audit logs) and the console's
// login and logout (/c/login, /c/log_out), with Harbor's paths, fields and error bodies.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { BerthError } from '../../lib/errors.js'
import { hasSystemPermission } from '../../auth/access.js'
import type { UserService } from '../../services/identity/user-service.js'
import type { ProjectService } from '../../services/identity/project-service.js'
import type { RobotService } from '../../services/identity/robot-service.js'
import { sendApiError } from '../errors.js'
import { checkHost, CSRF_HEADER, SESSION_COOKIE } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import * as S from './shapes.js'
import { contentRoutes, type ContentDeps } from './content-routes.js'
import { systemRoutes, type SystemDeps } from './system-routes.js'
import { jobRoutes, type JobDeps } from './job-routes.js'
import { replicationRoutes, type ReplicationDeps } from './replication-routes.js'
import { lifecycleRoutes, type LifecycleDeps } from './lifecycle-routes.js'
import { quotaRoutes, type QuotaDeps } from './quota-routes.js'
import { immutableRoutes, type ImmutableDeps } from './immutable-routes.js'
import { webhookRoutes, type WebhookDeps } from './webhook-routes.js'
import { retentionRoutes, type RetentionDeps } from './retention-routes.js'
import { vulnerabilityRoutes, type VulnerabilityDeps } from './vulnerability-routes.js'
import { scanRoutes, type ScanDeps } from './scan-routes.js'

export interface ApiDeps extends ContentDeps, SystemDeps, JobDeps, ReplicationDeps, LifecycleDeps, QuotaDeps, ImmutableDeps, WebhookDeps, RetentionDeps, VulnerabilityDeps, ScanDeps {
  users: UserService
  projects: ProjectService
  robots: RobotService
}

/** Harbor's q keys for robots (Level, ProjectID) are accepted beside Berth's own. */
const ROBOT_ALIASES = { Level: 'level', ProjectID: 'project_id', Name: 'name' }

/** A login is a name and a password: anonymous by nature, so its body is read, but never more than this. */
const LOGIN_BODY_LIMIT = 16 << 10

/** A robot may carry up to 256 permission entries of up to 64 actions each: more than the usual limit. */
const ROBOT_BODY_LIMIT = 1 << 20

export async function apiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { users, projects, robots, audit } = deps

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: LOGIN_BODY_LIMIT }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.setErrorHandler((err, req, reply) => sendApiError(err, req, reply))
  app.addHook('onRequest', async (req) => checkHost(req))
  app.setNotFoundHandler((req, reply) => sendApiError(new BerthError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply))

  const route = apiRouter(app, deps)
  await contentRoutes(app, deps)
  await systemRoutes(app, deps)
  await jobRoutes(app, deps)
  await replicationRoutes(app, deps)
  await lifecycleRoutes(app, deps)
  await quotaRoutes(app, deps)
  await immutableRoutes(app, deps)
  await webhookRoutes(app, deps)
  await retentionRoutes(app, deps)
  await vulnerabilityRoutes(app, deps)
  await scanRoutes(app, deps)

  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const created = (reply: FastifyReply, location: string) => reply.code(201).header('location', `${API}${location}`).send()

  // --- console login -------------------------------------------------------------------
  app.post('/c/login', { bodyLimit: LOGIN_BODY_LIMIT }, async (req, reply) => {
    const body = (req.body ?? {}) as Partial<Static<typeof S.LoginBody>>
    if (typeof body.principal !== 'string' || typeof body.password !== 'string') throw new BerthError('BAD_REQUEST', 'principal and password are required')
    const principal = await deps.authenticator.login(body.principal, body.password, req.ip)
    if (principal.kind !== 'user') throw new BerthError('UNAUTHORIZED', 'robot accounts cannot sign in to the console')
    const session = await deps.sessions.create(principal)
    const secure = deps.externalUrl.startsWith('https://')
    reply.setCookie(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'lax', path: '/', secure })
    reply.setCookie('__csrf', session.csrf, { httpOnly: false, sameSite: 'strict', path: '/', secure })
    return reply.header(CSRF_HEADER, session.csrf).send()
  })

  app.get('/c/log_out', async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE]
    if (sid !== undefined && sid !== '') await deps.sessions.destroy(sid)
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie('__csrf', { path: '/' })
    return reply.send()
  })

  // --- users -----------------------------------------------------------------------------
  route('GET', '/users', { summary: 'List users (administrators)', tag: 'user', querystring: Type.Object({ ...ListQueryParams }), response: { 200: Type.Array(S.UserJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await users.list(caller, q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map((u) => S.userJson(u))
  })
  route('GET', '/users/search', { summary: 'Search users by name (ids and names only)', tag: 'user', querystring: Type.Object({ ...ListQueryParams, username: Type.String({ description: 'part of the user name' }) }), response: { 200: Type.Array(S.UserSearchJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await users.search(caller, (req.query as Record<string, string | undefined>).username ?? '', q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map((u) => ({ user_id: u.id, username: u.username }))
  })
  route('GET', '/users/current', { summary: 'The signed-in user', tag: 'user', response: { 200: S.UserJson } }, async (_req, _reply, caller) => S.userJson(await users.current(caller), caller.kind === 'user' && caller.sysadmin))
  route('POST', '/users', { summary: 'Create a user (administrators; anyone with self-registration)', tag: 'user', anonymous: true, body: S.UserCreationBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.UserCreationBody>
    const user = await users.create(caller, b)
    return created(reply, `/users/${user.id}`)
  })
  route('GET', '/users/:user_id', { summary: 'Get a user (themself or administrators)', tag: 'user', params: S.UserIdParams, response: { 200: S.UserJson } }, async (req, _reply, caller) => S.userJson(await users.get(caller, idOf(params(req).user_id!, 'user_id'))))
  route('PUT', '/users/:user_id', { summary: 'Update a user profile', tag: 'user', params: S.UserIdParams, body: S.UserProfileBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await users.updateProfile(caller, idOf(params(req).user_id!, 'user_id'), req.body as Static<typeof S.UserProfileBody>)
    return reply.send()
  })
  route('PUT', '/users/:user_id/password', { summary: 'Change a password', tag: 'user', params: S.UserIdParams, body: S.PasswordBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.PasswordBody>
    await users.setPassword(caller, idOf(params(req).user_id!, 'user_id'), b.new_password, b.old_password)
    return reply.send()
  })
  route('PUT', '/users/:user_id/sysadmin', { summary: 'Grant or revoke the administrator flag', tag: 'user', params: S.UserIdParams, body: S.SysadminBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await users.setSysadmin(caller, idOf(params(req).user_id!, 'user_id'), (req.body as Static<typeof S.SysadminBody>).sysadmin_flag)
    return reply.send()
  })
  route('DELETE', '/users/:user_id', { summary: 'Delete a user', tag: 'user', params: S.UserIdParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await users.delete(caller, idOf(params(req).user_id!, 'user_id'))
    return reply.send()
  })

  // --- projects and members --------------------------------------------------------------
  route('GET', '/projects', { summary: 'List the projects the caller can see', tag: 'project', anonymous: true, querystring: Type.Object({ ...ListQueryParams, name: Type.Optional(Type.String()), public: Type.Optional(Type.Boolean()) }), response: { 200: Type.Array(S.ProjectJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const query = req.query as { name?: string; public?: boolean }
    // Harbor's separate filters, folded into q.
    if (query.name !== undefined && query.name !== '') q.conditions.push({ key: 'name', op: 'fuzzy', value: query.name })
    if (query.public !== undefined) q.conditions.push({ key: 'public', op: 'eq', value: String(query.public) })
    const page = await projects.list(caller, q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(S.projectJson)
  })
  route('POST', '/projects', { summary: 'Create a project', tag: 'project', body: S.ProjectCreationBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.ProjectCreationBody>
    // The top-level `public` (deprecated in Harbor) counts when metadata.public is not given.
    const metadata: Record<string, unknown> = { ...(b.public != null ? { public: b.public } : {}), ...(b.metadata ?? {}) }
    const project = await projects.create(caller, b.project_name, { metadata, storageLimit: b.storage_limit, registryId: b.registry_id, ...(b.cve_allowlist !== undefined ? { cveAllowlist: b.cve_allowlist } : {}) })
    return created(reply, `/projects/${project.id}`)
  })
  route('GET', '/projects/:project', { summary: 'Get a project by name or id', tag: 'project', anonymous: true, params: S.ProjectParams, response: { 200: S.ProjectJson } }, async (req, _reply, caller) =>
    S.projectJson(await projects.get(caller, projectRefOf(req, params(req).project!))),
  )
  route('PUT', '/projects/:project', { summary: 'Update project metadata', tag: 'project', params: S.ProjectParams, body: S.ProjectUpdateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.ProjectUpdateBody>
    await projects.update(caller, projectRefOf(req, params(req).project!), { ...(b.metadata !== undefined ? { metadata: b.metadata } : {}), ...(b.cve_allowlist !== undefined ? { cveAllowlist: b.cve_allowlist } : {}) })
    return reply.send()
  })
  route('GET', '/projects/:project/metadatas/', { summary: "A project's metadata", tag: 'projectMetadata', params: S.ProjectParams, response: { 200: S.MetadataJson } }, async (req, _reply, caller) =>
    projects.metadata(caller, projectRefOf(req, params(req).project!)),
  )
  route('POST', '/projects/:project/metadatas/', { summary: 'Add metadata keys to a project', tag: 'projectMetadata', params: S.ProjectParams, body: S.MetadataBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.addMetadata(caller, projectRefOf(req, params(req).project!), req.body as Record<string, unknown>)
    return reply.send()
  })
  route('GET', '/projects/:project/metadatas/:meta_name', { summary: 'One metadata key of a project', tag: 'projectMetadata', params: S.MetadataParams, response: { 200: S.MetadataJson } }, async (req, _reply, caller) => {
    const key = params(req).meta_name!
    const all = await projects.metadata(caller, projectRefOf(req, params(req).project!))
    if (!Object.hasOwn(all, key)) throw new BerthError('NOT_FOUND', `metadata ${key.slice(0, 64)} not found`)
    return { [key]: all[key]! }
  })
  route('PUT', '/projects/:project/metadatas/:meta_name', { summary: 'Change one metadata key of a project', tag: 'projectMetadata', params: S.MetadataParams, body: S.MetadataBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.setMetadata(caller, projectRefOf(req, params(req).project!), params(req).meta_name!, req.body as Record<string, unknown>)
    return reply.send()
  })
  route('DELETE', '/projects/:project/metadatas/:meta_name', { summary: 'Remove one metadata key of a project', tag: 'projectMetadata', params: S.MetadataParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.deleteMetadata(caller, projectRefOf(req, params(req).project!), params(req).meta_name!)
    return reply.send()
  })
  route('DELETE', '/projects/:project', { summary: 'Delete an empty project', tag: 'project', params: S.ProjectParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.delete(caller, projectRefOf(req, params(req).project!))
    return reply.send()
  })
  route('GET', '/projects/:project/members', { summary: 'List project members', tag: 'member', params: S.ProjectParams, querystring: Type.Object({ ...ListQueryParams, entityname: Type.Optional(Type.String()) }), response: { 200: Type.Array(S.MemberJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const entity = (req.query as Record<string, string | undefined>).entityname
    if (entity !== undefined && entity !== '') q.conditions.push({ key: 'entityname', op: 'fuzzy', value: entity })
    const page = await projects.members(caller, projectRefOf(req, params(req).project!), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(S.memberJson)
  })
  route('POST', '/projects/:project/members', { summary: 'Add a user or LDAP group to a project', tag: 'member', params: S.ProjectParams, body: S.MemberCreationBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.MemberCreationBody>
    const ref = projectRefOf(req, params(req).project!)
    const id = await projects.addMember(caller, ref, {
      roleId: b.role_id,
      ...(b.member_user !== undefined ? { user: { ...(b.member_user.username !== undefined ? { username: b.member_user.username } : {}), ...(b.member_user.user_id !== undefined ? { userId: b.member_user.user_id } : {}) } } : {}),
      ...(b.member_group !== undefined ? { group: { ...(b.member_group.ldap_group_dn !== undefined ? { ldapGroupDn: b.member_group.ldap_group_dn } : {}), ...(b.member_group.group_name !== undefined ? { groupName: b.member_group.group_name } : {}) } } : {}),
    })
    return created(reply, `/projects/${params(req).project}/members/${id}`)
  })
  route('GET', '/projects/:project/members/:mid', { summary: 'Get a project member', tag: 'member', params: S.MemberParams, response: { 200: S.MemberJson } }, async (req, _reply, caller) =>
    S.memberJson(await projects.member(caller, projectRefOf(req, params(req).project!), idOf(params(req).mid!, 'mid'))),
  )
  route('PUT', '/projects/:project/members/:mid', { summary: "Change a member's role", tag: 'member', params: S.MemberParams, body: S.RoleBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.updateMember(caller, projectRefOf(req, params(req).project!), idOf(params(req).mid!, 'mid'), (req.body as Static<typeof S.RoleBody>).role_id)
    return reply.send()
  })
  route('DELETE', '/projects/:project/members/:mid', { summary: 'Remove a member', tag: 'member', params: S.MemberParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await projects.deleteMember(caller, projectRefOf(req, params(req).project!), idOf(params(req).mid!, 'mid'))
    return reply.send()
  })
  route('GET', '/projects/:project/logs', { summary: "A project's audit log", tag: 'auditlog', params: S.ProjectParams, querystring: Type.Object({ ...ListQueryParams }), response: { 200: Type.Array(S.AuditLogJson) } }, async (req, reply, caller) => {
    const project = await projects.require(caller, projectRefOf(req, params(req).project!), 'log:list')
    const q = listQueryOf(req)
    const page = await audit.list(q, [project.id])
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(S.auditJson)
  })

  // --- robots ------------------------------------------------------------------------------
  route('GET', '/robots', { summary: 'List robot accounts', tag: 'robot', querystring: Type.Object({ ...ListQueryParams }), response: { 200: Type.Array(S.RobotJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req, ROBOT_ALIASES)
    const page = await robots.list(caller, q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(S.robotJson)
  })
  route('POST', '/robots', { summary: 'Create a robot account (the secret is shown once)', tag: 'robot', bodyLimit: ROBOT_BODY_LIMIT, body: S.RobotCreationBody, response: { 201: S.RobotCreatedJson } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.RobotCreationBody>
    const { robot, secret } = await robots.create(caller, {
      name: b.name,
      level: b.level as 'system' | 'project',
      duration: b.duration,
      permissions: b.permissions.map((p) => ({ kind: p.kind as 'project' | 'system', namespace: p.namespace, access: p.access.map((a) => ({ resource: a.resource, action: a.action })) })),
      ...(b.description !== undefined ? { description: b.description } : {}),
      ...(b.disable !== undefined ? { disable: b.disable } : {}),
      ...(b.secret !== undefined ? { secret: b.secret } : {}),
    })
    return reply.code(201).header('location', `${API}/robots/${robot.id}`).send(S.robotCreatedJson(robot, secret))
  })
  route('GET', '/robots/:robot_id', { summary: 'Get a robot account', tag: 'robot', params: S.RobotIdParams, response: { 200: S.RobotJson } }, async (req, _reply, caller) => S.robotJson(await robots.get(caller, idOf(params(req).robot_id!, 'robot_id'))))
  route('PUT', '/robots/:robot_id', { summary: 'Update a robot account', tag: 'robot', bodyLimit: ROBOT_BODY_LIMIT, params: S.RobotIdParams, body: S.RobotUpdateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof S.RobotUpdateBody>
    await robots.update(caller, idOf(params(req).robot_id!, 'robot_id'), {
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.level !== undefined ? { level: b.level } : {}),
      ...(b.description !== undefined ? { description: b.description } : {}),
      ...(b.disable !== undefined ? { disable: b.disable } : {}),
      ...(b.duration !== undefined ? { duration: b.duration } : {}),
      ...(b.permissions !== undefined
        ? { permissions: b.permissions.map((p) => ({ kind: p.kind as 'project' | 'system', namespace: p.namespace, access: p.access.map((a) => ({ resource: a.resource, action: a.action })) })) }
        : {}),
    })
    return reply.send()
  })
  route('PATCH', '/robots/:robot_id', { summary: "Refresh or set a robot's secret", tag: 'robot', params: S.RobotIdParams, body: S.RobotSecretBody, response: { 200: S.RobotSecretJson } }, async (req, reply, caller) => {
    const secret = await robots.refreshSecret(caller, idOf(params(req).robot_id!, 'robot_id'), (req.body as Static<typeof S.RobotSecretBody> | undefined)?.secret)
    return reply.send({ secret })
  })
  route('DELETE', '/robots/:robot_id', { summary: 'Delete a robot account', tag: 'robot', params: S.RobotIdParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await robots.delete(caller, idOf(params(req).robot_id!, 'robot_id'))
    return reply.send()
  })

  route('GET', '/permissions', { summary: 'The resource and action pairs a robot may be given (system and project admins only)', tag: 'permissions', response: { 200: S.PermissionsJson } }, async (_req, _reply, caller) => {
    const { system, project } = await robots.grantable(caller)
    return { system: system.map(S.accessJson), project: project.map(S.accessJson) }
  })

  // --- audit logs ----------------------------------------------------------------------------
  route('GET', '/audit-logs', { summary: 'The audit log', tag: 'auditlog', querystring: Type.Object({ ...ListQueryParams }), response: { 200: Type.Array(S.AuditLogJson) } }, async (req, reply, caller) => {
    if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required')
    const q = listQueryOf(req)
    let projectIds: number[] | undefined
    if (!hasSystemPermission(caller, 'audit-log:list')) {
      // Others see the entries of the projects whose logs they may list.
      const visible = await projects.list(caller, { conditions: [], sort: [], page: 1, pageSize: 10_000 })
      projectIds = []
      for (const p of visible.items) if ((await deps.access.permissions(caller, p, p.roleIds)).has('log:list')) projectIds.push(p.id)
    }
    const page = await audit.list(q, projectIds)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(S.auditJson)
  })
}
