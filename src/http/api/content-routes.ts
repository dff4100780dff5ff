// /api/v2.0 routes for a project's content: repositories, artifacts, tags, labels.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { BerthError } from '../../lib/errors.js'
import { ADDITIONS, type ContentService } from '../../services/registry/content-service.js'
import type { LabelService } from '../../services/registry/label-service.js'
import type { Security } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import * as C from './content-shapes.js'
import { addOverviews } from './scan-routes.js'
import type { ScanService } from '../../services/scan/scan-service.js'

export interface ContentDeps extends Security {
  content: ContentService
  labels: LabelService
  scans: ScanService
}

const Name = Type.String({ minLength: 1, maxLength: 255 })
const RepoParams = Type.Object({ project_name: Name, repository_name: Type.String({ minLength: 1, maxLength: 1024, description: 'repository name without the project; "/" sent as %252F, as Harbor expects' }) })
const ArtifactParams = Type.Object({ ...RepoParams.properties, reference: Type.String({ minLength: 1, maxLength: 256, description: 'a digest or a tag' }) })
const AdditionParams = Type.Object({ ...ArtifactParams.properties, addition: Type.String({ minLength: 1, maxLength: 64, description: `one of ${ADDITIONS.join(', ')}` }) })
const TagParams = Type.Object({ ...ArtifactParams.properties, tag_name: Type.String({ minLength: 1, maxLength: 128 }) })
const LabelOnArtifactParams = Type.Object({ ...ArtifactParams.properties, label_id: Type.String({ pattern: '^[0-9]{1,15}$' }) })
const LabelParams = Type.Object({ label_id: Type.String({ pattern: '^[0-9]{1,15}$' }) })
const Flag = Type.Optional(Type.Boolean({ default: false }))
const ArtifactQuery = Type.Object({ with_tag: Type.Optional(Type.Boolean({ default: true })), with_label: Flag, with_signature: Flag, with_accessory: Flag, with_scan_overview: Flag, with_sbom_overview: Flag, with_immutable_status: Flag })

/** Harbor clients send a repository's inner '/' as %252F, decoded once by the router to %2F. */
function repositoryOf(raw: string): string {
  return /%2f/i.test(raw) ? decodeURIComponent(raw) : raw
}

export async function contentRoutes(app: FastifyInstance, deps: ContentDeps): Promise<void> {
  const { content, labels } = deps
  const route = apiRouter(app, deps)
  type P = Record<string, string>
  const at = (req: FastifyRequest) => {
    const p = req.params as P
    return { project: projectRefOf(req, p.project_name!), repository: repositoryOf(p.repository_name!), p }
  }
  const options = (req: FastifyRequest) => {
    const q = req.query as Static<typeof ArtifactQuery>
    return { withTag: q.with_tag !== false, withLabel: q.with_label === true, withAccessory: q.with_accessory === true || q.with_signature === true, withImmutableStatus: q.with_immutable_status === true, accessories: q.with_accessory === true, signature: q.with_signature === true, overviews: { scan: q.with_scan_overview === true, sbom: q.with_sbom_overview === true } }
  }
  const artifactOut = (a: Parameters<typeof C.artifactJson>[0], o: ReturnType<typeof options>) => {
    const json = C.artifactJson(a, o.signature)
    if (!o.accessories) delete json.accessories
    return json
  }

  route('GET', '/projects/:project_name/repositories', { summary: "List a project's repositories", tag: 'repository', anonymous: true, params: Type.Object({ project_name: Name }), querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(C.RepositoryJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await content.listRepositories(caller, projectRefOf(req, (req.params as P).project_name!), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(C.repositoryJson)
  })
  route('GET', '/projects/:project_name/repositories/:repository_name', { summary: 'Get a repository', tag: 'repository', anonymous: true, params: RepoParams, response: { 200: C.RepositoryJson } }, async (req, _reply, caller) => {
    const { project, repository } = at(req)
    return C.repositoryJson(await content.getRepository(caller, project, repository))
  })
  route('PUT', '/projects/:project_name/repositories/:repository_name', { summary: "Update a repository's description", tag: 'repository', params: RepoParams, body: C.RepositoryUpdateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository } = at(req)
    await content.updateRepository(caller, project, repository, (req.body as Static<typeof C.RepositoryUpdateBody>).description)
    return reply.send()
  })
  route('DELETE', '/projects/:project_name/repositories/:repository_name', { summary: 'Delete a repository and all its artifacts', tag: 'repository', params: RepoParams, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository } = at(req)
    await content.deleteRepository(caller, project, repository)
    return reply.send()
  })

  route('GET', '/projects/:project_name/repositories/:repository_name/artifacts', { summary: 'List artifacts (children of indexes and accessories are shown under their parent)', tag: 'artifact', anonymous: true, params: RepoParams, querystring: Type.Object({ ...ListQueryParams, ...ArtifactQuery.properties }), response: { 200: Type.Array(C.ArtifactJson) } }, async (req, reply, caller) => {
    const { project, repository } = at(req)
    const q = listQueryOf(req)
    const o = options(req)
    const page = await content.listArtifacts(caller, project, repository, q, o)
    pagingHeaders(req, reply, q, page.total)
    const out = page.items.map((a) => artifactOut(a, o))
    await addOverviews(deps.scans, page.items, out, o.overviews)
    return out
  })
  route('POST', '/projects/:project_name/repositories/:repository_name/artifacts', { summary: 'Copy an artifact from another repository (from=project/repo:tag or @digest)', tag: 'artifact', params: RepoParams, querystring: Type.Object({ from: Type.String({ minLength: 3, maxLength: 1024 }) }), response: { 201: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    const digest = await content.copyArtifact(caller, project, repository, (req.query as { from: string }).from)
    return reply.code(201).header('location', `${API}/projects/${p.project_name}/repositories/${encodeURIComponent(p.repository_name!)}/artifacts/${digest}`).send()
  })
  route('GET', '/projects/:project_name/repositories/:repository_name/artifacts/:reference', { summary: 'Get an artifact by digest or tag', tag: 'artifact', anonymous: true, params: ArtifactParams, querystring: ArtifactQuery, response: { 200: C.ArtifactJson } }, async (req, _reply, caller) => {
    const { project, repository, p } = at(req)
    const o = options(req)
    const view = await content.getArtifact(caller, project, repository, p.reference!, o)
    const out = [artifactOut(view, o)]
    await addOverviews(deps.scans, [view], out, o.overviews)
    return out[0]
  })
  route('GET', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/additions/:addition', { summary: "Get an addition of an artifact as JSON: Harbor's build_history (the image config's history), and Berth's manifest and config", tag: 'artifact', anonymous: true, params: AdditionParams, response: { 200: Type.Unknown({ description: 'JSON: build_history an array of history entries; manifest and config the exact documents' }) } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    const body = await content.addition(caller, project, repository, p.reference!, p.addition!)
    return reply.type('application/json; charset=utf-8').send(body)
  })
  route('DELETE', '/projects/:project_name/repositories/:repository_name/artifacts/:reference', { summary: 'Delete an artifact with its tags', tag: 'artifact', params: ArtifactParams, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    await content.deleteArtifact(caller, project, repository, p.reference!)
    return reply.send()
  })
  route('GET', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', { summary: "List an artifact's tags", tag: 'artifact', anonymous: true, params: ArtifactParams, querystring: Type.Object({ ...ListQueryParams, with_signature: Flag, with_immutable_status: Flag }), response: { 200: Type.Array(C.TagJson) } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    const q = listQueryOf(req)
    const page = await content.listTags(caller, project, repository, p.reference!, q, { withImmutableStatus: (req.query as { with_immutable_status?: boolean }).with_immutable_status === true })
    pagingHeaders(req, reply, q, page.total)
    return page.items.map((t) => C.tagJson(t))
  })
  route('POST', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', { summary: 'Tag an artifact', tag: 'artifact', params: ArtifactParams, body: C.NewTagBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    const name = (req.body as Static<typeof C.NewTagBody>).name
    await content.createTag(caller, project, repository, p.reference!, name)
    return reply.code(201).header('location', `${API}/projects/${p.project_name}/repositories/${encodeURIComponent(p.repository_name!)}/artifacts/${p.reference}/tags/${name}`).send()
  })
  route('DELETE', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags/:tag_name', { summary: 'Remove a tag from an artifact', tag: 'artifact', params: TagParams, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    await content.deleteTag(caller, project, repository, p.reference!, p.tag_name!)
    return reply.send()
  })
  route('POST', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/labels', { summary: 'Attach a label to an artifact', tag: 'artifact', params: ArtifactParams, body: C.LabelRefBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    await content.addLabel(caller, project, repository, p.reference!, (req.body as Static<typeof C.LabelRefBody>).id)
    return reply.send()
  })
  route('DELETE', '/projects/:project_name/repositories/:repository_name/artifacts/:reference/labels/:label_id', { summary: 'Detach a label from an artifact', tag: 'artifact', params: LabelOnArtifactParams, response: { 200: Empty } }, async (req, reply, caller) => {
    const { project, repository, p } = at(req)
    await content.removeLabel(caller, project, repository, p.reference!, idOf(p.label_id!, 'label_id'))
    return reply.send()
  })

  route('GET', '/labels', { summary: 'List global labels (scope=g) or a project\'s (scope=p&project_id=)', tag: 'label', anonymous: true, querystring: Type.Object({ ...ListQueryParams, scope: Type.Optional(Type.Union([Type.Literal('g'), Type.Literal('p')])), project_id: Type.Optional(Type.Integer()), name: Type.Optional(Type.String()) }), response: { 200: Type.Array(C.LabelJson) } }, async (req, reply, caller) => {
    const query = req.query as { scope?: 'g' | 'p'; project_id?: number; name?: string }
    const q = listQueryOf(req)
    if (query.name !== undefined && query.name !== '') q.conditions.push({ key: 'name', op: 'fuzzy', value: query.name })
    const page = await labels.list(caller, query.scope ?? 'g', query.project_id, q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(C.labelJson)
  })
  route('POST', '/labels', { summary: 'Create a label', tag: 'label', body: C.LabelCreationBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof C.LabelCreationBody>
    if (b.scope === 'g' && b.project_id !== undefined && b.project_id !== 0) throw new BerthError('BAD_REQUEST', 'a global label has no project_id')
    const label = await labels.create(caller, { name: b.name, description: b.description ?? '', color: b.color ?? '', scope: b.scope, ...(b.project_id !== undefined ? { projectId: b.project_id } : {}) })
    return reply.code(201).header('location', `${API}/labels/${label.id}`).send()
  })
  route('GET', '/labels/:label_id', { summary: 'Get a label', tag: 'label', anonymous: true, params: LabelParams, response: { 200: C.LabelJson } }, async (req, _reply, caller) => C.labelJson(await labels.get(caller, idOf((req.params as P).label_id!, 'label_id'))))
  route('PUT', '/labels/:label_id', { summary: 'Update a label', tag: 'label', params: LabelParams, body: C.LabelUpdateBody, response: { 200: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof C.LabelUpdateBody>
    await labels.update(caller, idOf((req.params as P).label_id!, 'label_id'), { ...(b.name !== undefined ? { name: b.name } : {}), ...(b.description !== undefined ? { description: b.description } : {}), ...(b.color !== undefined ? { color: b.color } : {}) })
    return reply.send()
  })
  route('DELETE', '/labels/:label_id', { summary: 'Delete a label (and detach it everywhere)', tag: 'label', params: LabelParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await labels.delete(caller, idOf((req.params as P).label_id!, 'label_id'))
    return reply.send()
  })
}
