// /api/v2.0 routes of scanning (Harbor's paths): scanner registrations, a project's scanner,
// scans and SBOM generation of artifacts, their logs, the vulnerabilities addition, and the
// scan_overview / sbom_overview artifact listings add.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { BerthError } from '../../lib/errors.js'
import type { Scanner } from '../../metadata/scan-store.js'
import type { ScannerRegistry, ScannerInput } from '../../services/scan/scanner-registry.js'
import type { ScanService, ScanType } from '../../services/scan/scan-service.js'
import { scanOverviewJson, seconds, type ReportOverview } from '../../services/scan/overview.js'
import type { AdapterMetadata } from '../../services/scan/adapter-client.js'
import type { ScanAllService } from '../../services/scan/scan-all.js'
import type { ArtifactView } from '../../services/registry/content-service.js'
import type { RepoName } from '../../oci/names.js'
import type { Security } from '../security.js'
import { projectRefOf } from './context.js'
import { listQueryOf, pagingHeaders } from './query.js'
import { API, apiRouter, Empty, ListQueryParams } from './router.js'
import { ignored } from './shapes.js'
import { scanAllRoutes } from './scan-all-routes.js'

export interface ScanDeps extends Security {
  scanners: ScannerRegistry
  scans: ScanService
  scanAll: ScanAllService
}

/** What the API shows instead of a stored credential; sent back unchanged, it keeps it. */
const MASK = '*****'

export const ScannerJson = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  description: Type.String(),
  url: Type.String(),
  disabled: Type.Boolean(),
  is_default: Type.Boolean(),
  auth: Type.String(),
  access_credential: Type.String({ description: 'masked' }),
  skip_certVerify: Type.Boolean(),
  use_internal_addr: Type.Boolean(),
  create_time: Type.String(),
  update_time: Type.String(),
})

const ScannerBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    auth: Type.Optional(Type.String({ maxLength: 32 })),
    access_credential: Type.Optional(Type.String({ maxLength: 4096 })),
    skip_certVerify: Type.Optional(Type.Boolean()),
    use_internal_addr: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
    uuid: ignored(Type.String()),
    is_default: ignored(Type.Boolean()),
    create_time: ignored(Type.String()),
    update_time: ignored(Type.String()),
  },
  { additionalProperties: false },
)

const MetadataJson = Type.Object({
  scanner: Type.Object({ name: Type.String(), vendor: Type.String(), version: Type.String() }),
  capabilities: Type.Array(Type.Object({ type: Type.String(), consumes_mime_types: Type.Array(Type.String()), produces_mime_types: Type.Array(Type.String()), additional_attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
  properties: Type.Record(Type.String(), Type.String()),
})

const RegistrationParams = Type.Object({ registration_id: Type.String({ minLength: 1, maxLength: 64 }) })
const ProjectParams = Type.Object({ project_name_or_id: Type.String({ minLength: 1, maxLength: 255 }) })
const Name = Type.String({ minLength: 1, maxLength: 255 })
const ArtifactParams = Type.Object({ project_name: Name, repository_name: Type.String({ minLength: 1, maxLength: 1024 }), reference: Type.String({ minLength: 1, maxLength: 256 }) })
const ReportParams = Type.Object({ ...ArtifactParams.properties, report_id: Type.String({ minLength: 1, maxLength: 64 }) })
const ScanTypeName = Type.Union([Type.Literal('vulnerability'), Type.Literal('sbom')])
const ScanTypeBody = Type.Object({ scan_type: ScanTypeName }, { additionalProperties: false })
/** The scan's optional body (Harbor's ScanType): absent, `{}` or without scan_type is a vulnerability scan. */
const OptionalScanTypeBody = Type.Object({ scan_type: Type.Optional(ScanTypeName) }, { additionalProperties: false })

function scannerJson(s: Scanner): Static<typeof ScannerJson> {
  return {
    uuid: s.uuid,
    name: s.name,
    description: s.description,
    url: s.url,
    disabled: s.disabled,
    is_default: s.isDefault,
    auth: s.auth,
    access_credential: s.sealedCredential === null ? '' : MASK,
    skip_certVerify: s.skipCertVerify,
    use_internal_addr: s.useInternalAddr,
    create_time: s.createdAt,
    update_time: s.updatedAt,
  }
}

function inputOf(b: Static<typeof ScannerBody>): ScannerInput {
  const { uuid: _u, is_default: _d, create_time: _c, update_time: _t, access_credential, ...rest } = b as Static<typeof ScannerBody> & Record<string, unknown>
  return { ...rest, ...(access_credential !== undefined && access_credential !== MASK ? { access_credential } : {}) } as ScannerInput
}

function metadataJson(m: AdapterMetadata): Static<typeof MetadataJson> {
  return { scanner: m.scanner, capabilities: m.capabilities.map((c) => ({ type: c.type, consumes_mime_types: c.consumes_mime_types.map(String), produces_mime_types: c.produces_mime_types.map(String), ...(c.additional_attributes !== undefined ? { additional_attributes: c.additional_attributes } : {}) })), properties: m.properties }
}

function sbomOverviewJson(o: ReportOverview): Record<string, unknown> {
  const r = o.report
  return {
    report_id: r.uuid,
    scan_status: r.status,
    start_time: r.startTime,
    end_time: r.endTime ?? '0001-01-01T00:00:00.000Z',
    duration: seconds(r.startTime, r.endTime),
    sbom_digest: r.summary?.sbom_digest ?? '',
    scanner: r.summary?.scanner ?? { name: o.scanner.name, vendor: '', version: '' },
  }
}

/**
 * Adds Harbor's scan_overview (keyed by report MIME type) and sbom_overview to artifacts as the
 * listing asked (with_scan_overview, with_sbom_overview).
 */
export async function addOverviews(scans: ScanService, views: readonly ArtifactView[], out: Record<string, unknown>[], o: { scan: boolean; sbom: boolean }): Promise<void> {
  const first = views[0]
  if (first === undefined || (!o.scan && !o.sbom)) return
  const repo = first.repositoryName as RepoName
  if (o.scan) {
    const found = await scans.overviews(first.projectId, repo, views, 'vulnerability')
    views.forEach((v, i) => {
      const ov = found.get(v.digest)
      out[i]!.scan_overview = ov === undefined ? {} : { [ov.report.mimeType]: scanOverviewJson(ov) }
    })
  }
  if (o.sbom) {
    const found = await scans.overviews(first.projectId, repo, views, 'sbom')
    views.forEach((v, i) => {
      const ov = found.get(v.digest)
      if (ov !== undefined) out[i]!.sbom_overview = sbomOverviewJson(ov)
    })
  }
}

/** The scan type of an optional body: absent or {} is a vulnerability scan. */
function scanTypeOf(body: unknown): ScanType {
  if (body === undefined || body === null || body === '') return 'vulnerability'
  if (typeof body !== 'object' || Array.isArray(body)) throw new BerthError('BAD_REQUEST', 'body must be an object like {"scan_type":"vulnerability"}')
  const keys = Object.keys(body)
  const unknown = keys.find((k) => k !== 'scan_type')
  if (unknown !== undefined) throw new BerthError('BAD_REQUEST', `body has an unknown field ${JSON.stringify(unknown.slice(0, 64))}`)
  const t = (body as { scan_type?: unknown }).scan_type ?? 'vulnerability'
  if (t !== 'vulnerability' && t !== 'sbom') throw new BerthError('BAD_REQUEST', 'scan_type must be vulnerability or sbom')
  return t
}

/** Harbor clients send a repository's inner '/' as %252F, decoded once by the router to %2F. */
function repositoryOf(raw: string): string {
  return /%2f/i.test(raw) ? decodeURIComponent(raw) : raw
}

export async function scanRoutes(app: FastifyInstance, deps: ScanDeps): Promise<void> {
  const { scanners, scans } = deps
  const route = apiRouter(app, deps)
  scanAllRoutes(route, deps.scanAll)
  type P = Record<string, string>
  const uuidOf = (req: FastifyRequest) => (req.params as P).registration_id!
  const at = (req: FastifyRequest) => {
    const p = req.params as P
    return { project: projectRefOf(req, p.project_name!), repository: repositoryOf(p.repository_name!), reference: p.reference!, p }
  }

  route('GET', '/scanners', { summary: 'List scanner registrations', tag: 'scanner', querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(ScannerJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await scanners.list(caller, q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(scannerJson)
  })
  route('POST', '/scanners', { summary: 'Register a scanner adapter', tag: 'scanner', body: ScannerBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const s = await scanners.create(caller, inputOf(req.body as Static<typeof ScannerBody>))
    return reply.code(201).header('location', `${API}/scanners/${s.uuid}`).send()
  })
  route('POST', '/scanners/ping', { summary: 'Try a scanner registration that is not saved (reads its metadata)', tag: 'scanner', body: Type.Object({ ...ScannerBody.properties, name: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }), response: { 200: Empty } }, async (req, reply, caller) => {
    await scanners.ping(caller, inputOf(req.body as Static<typeof ScannerBody>))
    return reply.send()
  })
  route('GET', '/scanners/:registration_id', { summary: 'Get a scanner registration', tag: 'scanner', params: RegistrationParams, response: { 200: ScannerJson } }, async (req, _reply, caller) => scannerJson(await scanners.get(caller, uuidOf(req))))
  route('PUT', '/scanners/:registration_id', { summary: 'Update a scanner registration', tag: 'scanner', params: RegistrationParams, body: ScannerBody, response: { 200: Empty } }, async (req, reply, caller) => {
    await scanners.update(caller, uuidOf(req), inputOf(req.body as Static<typeof ScannerBody>))
    return reply.send()
  })
  route('DELETE', '/scanners/:registration_id', { summary: 'Delete a scanner registration (not the default one)', tag: 'scanner', params: RegistrationParams, response: { 200: ScannerJson } }, async (req, _reply, caller) => scannerJson(await scanners.delete(caller, uuidOf(req))))
  route('PATCH', '/scanners/:registration_id', { summary: 'Make a scanner the default', tag: 'scanner', params: RegistrationParams, body: Type.Object({ is_default: Type.Boolean() }, { additionalProperties: false }), response: { 200: Empty } }, async (req, reply, caller) => {
    await scanners.setDefault(caller, uuidOf(req), (req.body as { is_default: boolean }).is_default)
    return reply.send()
  })
  route('GET', '/scanners/:registration_id/metadata', { summary: "A scanner adapter's metadata (asked of the adapter)", tag: 'scanner', params: RegistrationParams, response: { 200: MetadataJson } }, async (req, _reply, caller) => metadataJson(await scanners.metadata(caller, uuidOf(req))))

  route('GET', '/projects/:project_name_or_id/scanner', { summary: "The project's scanner (its own choice, else the default)", tag: 'project', params: ProjectParams, response: { 200: ScannerJson } }, async (req, _reply, caller) => {
    const s = await scanners.ofProject(caller, projectRefOf(req, (req.params as P).project_name_or_id!))
    if (s === null) throw new BerthError('NOT_FOUND', 'no scanner is configured')
    return scannerJson(s)
  })
  route('PUT', '/projects/:project_name_or_id/scanner', { summary: "Set the project's scanner", tag: 'project', params: ProjectParams, body: Type.Object({ uuid: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), response: { 200: Empty } }, async (req, reply, caller) => {
    await scanners.setForProject(caller, projectRefOf(req, (req.params as P).project_name_or_id!), (req.body as { uuid: string }).uuid)
    return reply.send()
  })
  route('GET', '/projects/:project_name_or_id/scanner/candidates', { summary: 'The scanners a project may choose', tag: 'project', params: ProjectParams, querystring: Type.Object(ListQueryParams), response: { 200: Type.Array(ScannerJson) } }, async (req, reply, caller) => {
    const q = listQueryOf(req)
    const page = await scanners.candidates(caller, projectRefOf(req, (req.params as P).project_name_or_id!), q)
    pagingHeaders(req, reply, q, page.total)
    return page.items.map(scannerJson)
  })

  const base = '/projects/:project_name/repositories/:repository_name/artifacts/:reference'
  // The body is optional (Harbor's scan without one is a vulnerability scan): checked by scanTypeOf.
  route('POST', `${base}/scan`, { summary: 'Scan an artifact (body optional: {"scan_type":"vulnerability"}, the default, or "sbom")', tag: 'scan', params: ArtifactParams, optionalBody: OptionalScanTypeBody, response: { 202: Empty } }, async (req, reply, caller) => {
    const { project, repository, reference } = at(req)
    await scans.scan(caller, project, repository, reference, scanTypeOf(req.body))
    return reply.code(202).send()
  })
  route('POST', `${base}/scan/stop`, { summary: 'Stop the running scan of an artifact', tag: 'scan', params: ArtifactParams, body: ScanTypeBody, response: { 202: Empty } }, async (req, reply, caller) => {
    const { project, repository, reference } = at(req)
    await scans.stop(caller, project, repository, reference, (req.body as { scan_type: ScanType }).scan_type)
    return reply.code(202).send()
  })
  route('GET', `${base}/scan/:report_id/log`, { summary: "The log of a report's scan", tag: 'scan', params: ReportParams, response: { 200: Type.String() } }, async (req, reply, caller) => {
    const { project, repository, reference, p } = at(req)
    return reply.type('text/plain; charset=utf-8').send(await scans.log(caller, project, repository, reference, p.report_id!))
  })
  route('GET', `${base}/additions/vulnerabilities`, { summary: "An artifact's vulnerability report, keyed by report type", tag: 'artifact', anonymous: true, params: ArtifactParams, response: { 200: Type.Unknown({ description: "Harbor's vulnerabilities addition" }) } }, async (req, reply, caller) => {
    const { project, repository, reference } = at(req)
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(await scans.vulnerabilities(caller, project, repository, reference)))
  })
}
