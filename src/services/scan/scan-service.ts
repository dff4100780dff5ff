// Scanning artifacts through a scanner adapter, as Harbor does: a scan is an execution (vendor
// type IMAGE_SCAN, vendor id the artifact) with one task per image it covers (an index is scanned
// as its children), each task a job that hands the adapter a short-lived pull credential for the
// one repository, polls the report (honouring Refresh-After, bounded by the scan timeout), and
// stores it with one row per finding. When the execution ends, every report it left unfinished
// takes its status (in the ending transaction), and the scan robot is gone.
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kysely } from 'kysely'
import { BerthError } from '../../lib/errors.js'
import { storedManifest } from '../../oci/manifest.js'
import type { Logger } from '../../lib/logger.js'
import type { Caller } from '../../auth/identity.js'
import type { TokenService } from '../../auth/token-service.js'
import { SCAN_ROBOT_PREFIX } from '../../auth/scan-credential.js'
import type { Database, Db } from '../../metadata/schema.js'
import type { Stores } from '../../metadata/stores.js'
import type { Project } from '../../metadata/project-store.js'
import type { ArtifactDetail } from '../../metadata/catalog-store.js'
import { listedArtifactsAfter, ScanReportStore, ScannerStore, SEVERITIES, severityRank, type Finding, type ScanReport, type Scanner, type Severity, type VulnerabilitySummary } from '../../metadata/scan-store.js'
import type { Execution, RunStatus } from '../../metadata/execution-store.js'
import { PermanentJobError } from '../../jobs/job-service.js'
import type { Executions, TaskContext } from '../../jobs/executions.js'
import type { EventSubscriptions } from '../../events/dispatcher.js'
import { eventMeta, type Outbox, type RegistryEvent, type ScanningEventType } from '../../events/outbox.js'
import { isTag, parseReference, parseRepoName, projectOf, type RepoName } from '../../oci/names.js'
import { parseDigest } from '../../oci/digest.js'
import type { ManifestService } from '../registry/manifest-service.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf } from '../identity/guards.js'
import type { ScannerRegistry } from './scanner-registry.js'
import { scanOverviewJson, type ReportOverview } from './overview.js'

export type { ReportOverview } from './overview.js'
import { SBOM_MIME, SPDX_JSON, VULN_MIMES, type AdapterMetadata } from './adapter-client.js'

export const IMAGE_SCAN = 'IMAGE_SCAN'
export const SBOM_SCAN = 'SBOM'
export const SCAN_ALL = 'SCAN_ALL'
const SCAN_JOB = 'IMAGE_SCAN_TASK'
/** The manifests an adapter can scan (Harbor's consumed types). */
const SCANNABLE = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'])
const INDEXES = /index|manifest\.list/
/** Tasks an execution's end reads to tell of its unfinished reports. */
const MAX_ENDED_TASKS = 5000
/** Artifacts scan-all reads at a time. */
const SCAN_ALL_PAGE = 50
/** Children of one index scanned at most. */
const MAX_CHILDREN = 64
/** Findings stored from one report at most. */
const MAX_FINDINGS = 50_000

export type ScanType = 'vulnerability' | 'sbom'

export interface ScanServiceOptions {
  db: Db
  stores: Stores
  projects: ProjectService
  scanners: ScannerRegistry
  executions: Executions
  events: EventSubscriptions
  tokens: TokenService
  manifests: ManifestService
  /** Where SCANNING_* events are recorded, in the transaction that ends the report. */
  outbox: Outbox
  audit: AuditLog
  log: Logger
  /** The registry URL adapters pull from (scanning.registry_url, else external_url). */
  registryUrl: () => string
  /** Overall time of one scan (scanning.timeout). */
  timeoutMs: number
  /** Bounds of the wait between report polls, whatever Refresh-After says. */
  refreshMinMs: number
  refreshMaxMs: number
  /** What the SBOM path needs (stores the SBOM as an accessory); absent: no SBOM generation. */
  sbom?: SbomWriter
}

/** Stores an SBOM document as an OCI referrer of `subject` in `repository`: its digest. */
export interface SbomWriter {
  write(repository: RepoName, subject: { digest: string; mediaType: string; size: number }, document: Buffer, mediaType: string, replaces: string | null): Promise<string>
}

interface ScanTask {
  projectId: number
  repository: string
  digest: string
  mediaType: string
  tag: string
  scannerId: number
  reportUuid: string
  reportMime: string
  scanType: ScanType
  /** Who asked for the scan ('' for the system: on push, scan-all), for its events. */
  operator?: string
}

function notFound(what: string): BerthError {
  return new BerthError('NOT_FOUND', `${what} not found`)
}

/** The vulnerability findings of a report in Harbor's format (1.1 or harbor+json 1.0), bounded. */
export function findingsOf(doc: unknown): { findings: Finding[]; severity: Severity; summary: VulnerabilitySummary } {
  const vulns = Array.isArray((doc as { vulnerabilities?: unknown })?.vulnerabilities) ? ((doc as { vulnerabilities: unknown[] }).vulnerabilities) : []
  if (vulns.length > MAX_FINDINGS) throw new PermanentJobError(`the report lists ${vulns.length} vulnerabilities; at most ${MAX_FINDINGS} are stored`)
  const findings: Finding[] = []
  const counts: Partial<Record<Severity, number>> = {}
  let fixable = 0
  let top = 0
  for (const raw of vulns) {
    const v = (raw ?? {}) as Record<string, unknown>
    const str = (x: unknown, max = 1024) => (typeof x === 'string' ? x.slice(0, max) : '')
    const severity = str(v.severity, 32) || 'Unknown'
    const rank = severityRank(severity)
    const named = SEVERITIES[rank]!
    counts[named] = (counts[named] ?? 0) + 1
    top = Math.max(top, rank)
    const fixed = str(v.fix_version, 256)
    if (fixed !== '') fixable++
    const cvss = ((v.preferred_cvss ?? {}) as Record<string, unknown>)
    findings.push({
      cveId: str(v.id, 256) || 'unknown',
      package: str(v.package, 512),
      packageVersion: str(v.version, 256),
      fixedVersion: fixed,
      severity: named,
      cvssScoreV3: typeof cvss.score_v3 === 'number' ? cvss.score_v3 : null,
      cvssVectorV3: typeof cvss.vector_v3 === 'string' ? cvss.vector_v3.slice(0, 256) : null,
      description: str(v.description, 8192),
      links: Array.isArray(v.links) ? v.links.filter((l): l is string => typeof l === 'string').slice(0, 32).map((l) => l.slice(0, 1024)) : [],
    })
  }
  return { findings, severity: SEVERITIES[top]!, summary: { total: findings.length, fixable, summary: counts } }
}

export class ScanService {
  readonly reports: ScanReportStore

  constructor(private readonly o: ScanServiceOptions) {
    this.reports = new ScanReportStore(o.db.kysely)
    // A scan writes its report: scans wait while the registry is read-only.
    o.executions.registerTask<ScanTask>({ jobType: SCAN_JOB, maxAttempts: 1, heldWhileReadOnly: true, run: (p, ctx) => this.runTask(p, ctx) })
    for (const vendor of [IMAGE_SCAN, SBOM_SCAN, SCAN_ALL]) o.executions.onEnded(vendor, (trx, e, status) => this.ended(trx, e, status))
    o.events.subscribe({ name: 'scan-on-push', types: ['PUSH_ARTIFACT'], maxAttempts: 3, handle: (e) => this.onPush(e) })
  }

  // --- starting scans ----------------------------------------------------------------------

  /** The artifact a reference names in a repository of the project. */
  private async artifact(project: Project, repository: string, reference: string): Promise<{ name: RepoName; artifact: ArtifactDetail; tag: string }> {
    let name: RepoName
    try {
      name = parseRepoName(`${project.name}/${repository}`)
    } catch {
      throw new BerthError('BAD_REQUEST', `invalid repository name ${JSON.stringify(repository.slice(0, 256))}`)
    }
    const repo = await this.o.stores.catalog.getRepository(name)
    if (repo === null) throw notFound(`repository ${name}`)
    let digest: string
    let tag = ''
    if (isTag(reference)) {
      const row = await this.o.stores.artifacts.getByTag(name, reference)
      if (row === null) throw notFound(`artifact ${name}:${reference}`)
      digest = row.digest
      tag = reference
    } else {
      digest = parseDigest(reference, 'reference')
    }
    const artifact = await this.o.stores.catalog.getArtifact(repo.id, digest)
    if (artifact === null) throw notFound(`artifact ${name}@${digest}`)
    return { name, artifact, tag }
  }

  /** The images a scan of `a` covers: itself, or an index's children present in the repository. */
  private async targets(name: RepoName, a: Pick<ArtifactDetail, 'digest' | 'mediaType' | 'repositoryId'>): Promise<{ digest: string; mediaType: string }[]> {
    if (!INDEXES.test(a.mediaType)) return [{ digest: a.digest, mediaType: a.mediaType }]
    const m = await this.o.manifests.get(name, parseReference(a.digest))
    const children = storedManifest(m).manifests.filter((c) => SCANNABLE.has(c.mediaType)).slice(0, MAX_CHILDREN)
    const present = await this.o.stores.catalog.idsOf(a.repositoryId, children.map((c) => c.digest))
    return children.filter((c) => present.has(c.digest)).map((c) => ({ digest: c.digest, mediaType: c.mediaType }))
  }

  /** The scanner a project uses and its metadata; PRECONDITION when it has none or it cannot do `type`. */
  private async scannerFor(projectId: number, type: ScanType): Promise<{ scanner: Scanner; metadata: AdapterMetadata; mime: string }> {
    const scanner = await this.o.scanners.store.forProject(projectId)
    if (scanner === null) throw new BerthError('PRECONDITION', 'no scanner is configured: register one and make it the default, or set the project scanner')
    if (scanner.disabled) throw new BerthError('PRECONDITION', `scanner ${scanner.name} is disabled`)
    const metadata = await this.o.scanners.client(scanner).metadata()
    const produced = metadata.capabilities.filter((c) => (c.type ?? 'vulnerability') === type).flatMap((c) => c.produces_mime_types)
    const mime = type === 'sbom' ? (produced.includes(SBOM_MIME) ? SBOM_MIME : undefined) : VULN_MIMES.find((m) => produced.includes(m))
    if (mime === undefined) throw new BerthError('PRECONDITION', `scanner ${scanner.name} cannot ${type === 'sbom' ? 'generate SBOMs' : 'report vulnerabilities in a format Berth reads'}`)
    return { scanner, metadata, mime }
  }

  /** Starts a scan of an artifact (an index: of its children); CONFLICT while one of the same type runs. */
  async scan(caller: Caller, ref: ProjectRef, repository: string, reference: string, type: ScanType): Promise<number> {
    const project = await this.o.projects.require(caller, ref, type === 'sbom' ? 'sbom:create' : 'scan:create')
    const { name, artifact, tag } = await this.artifact(project, repository, reference)
    const id = await this.start(project, name, artifact, tag, type, 'MANUAL', actorOf(caller).username)
    if (id === null) throw new BerthError('CONFLICT', `a ${type === 'sbom' ? 'SBOM generation' : 'scan'} of ${name}@${artifact.digest} is running already`)
    this.o.audit.record({ ...actorOf(caller), operation: 'create', resourceType: type === 'sbom' ? 'sbom' : 'scan', resource: `${name}@${artifact.digest}`, result: 'success', projectId: project.id })
    return id
  }

  /** Starts the execution and its tasks; null when one of this type runs for the artifact. */
  async start(project: Project, name: RepoName, artifact: ArtifactDetail, tag: string, type: ScanType, trigger: string, operator = ''): Promise<number | null> {
    const vendor = type === 'sbom' ? SBOM_SCAN : IMAGE_SCAN
    if ((await this.o.executions.executions.active(vendor, artifact.id)) !== null) return null
    const use = await this.scannerFor(project.id, type)
    const tasks = await this.prepare(use, project, name, artifact, tag, type, operator, null)
    const executionId = await this.o.executions.run(vendor, artifact.id, trigger, SCAN_JOB, tasks, { digest: artifact.digest, repository: name, scanner: use.scanner.name, report_type: use.mime })
    if (executionId !== null) await this.reports.attach(tasks.map((t) => t.payload.reportUuid), executionId)
    return executionId
  }

  /**
   * The tasks of a scan of `artifact` (one per image it covers), each with its report begun as
   * Pending (for `executionId` when known); UNSUPPORTED when there is nothing to scan.
   */
  private async prepare(use: { scanner: Scanner; mime: string }, project: Project, name: RepoName, artifact: Pick<ArtifactDetail, 'digest' | 'mediaType' | 'repositoryId'>, tag: string, type: ScanType, operator: string, executionId: number | null) {
    const { scanner, mime } = use
    const targets = type === 'sbom' ? [{ digest: artifact.digest, mediaType: artifact.mediaType }] : await this.targets(name, artifact)
    if (targets.length === 0 || (type === 'sbom' && !SCANNABLE.has(artifact.mediaType))) throw new BerthError('UNSUPPORTED', `${name}@${artifact.digest} has nothing the scanner can scan (${artifact.mediaType})`)
    const tasks = targets.map((t) => {
      const reportUuid = randomUUID()
      const payload: ScanTask = { projectId: project.id, repository: name, digest: t.digest, mediaType: t.mediaType, tag, scannerId: scanner.id, reportUuid, reportMime: mime, scanType: type, operator }
      return { payload, kind: type, subject: t.digest, extraAttrs: { report_id: reportUuid, digest: t.digest, repository: name, ...(tag !== '' ? { tag } : {}) } }
    })
    for (const t of tasks) await this.reports.begin(t.payload.digest, scanner.id, mime, t.payload.reportUuid, executionId)
    return tasks
  }

  /**
   * Scan-all's run (the first task of a SCAN_ALL execution): every listed artifact of every
   * project, read a page at a time, becomes tasks of the same execution, scanned with its
   * project's scanner. An artifact whose report is still running, or that nothing can scan, is
   * skipped and said so in the log. Stopping the execution stops this task and the scans.
   */
  async scanAll(ctx: TaskContext): Promise<void> {
    const scanners = new Map<number, { scanner: Scanner; mime: string } | string>()
    const projects = new Map<number, Project | null>()
    let after = 0
    let added = 0
    let skipped = 0
    for (;;) {
      const page = await listedArtifactsAfter(this.o.db.kysely, after, SCAN_ALL_PAGE)
      if (page.length === 0) break
      after = page.at(-1)!.id
      for (const a of page) {
        ctx.signal.throwIfAborted()
        if (!projects.has(a.projectId)) projects.set(a.projectId, await this.o.stores.projects.getById(a.projectId))
        const project = projects.get(a.projectId)
        if (project === null || project === undefined) continue
        if (!scanners.has(a.projectId)) scanners.set(a.projectId, await this.scannerFor(project.id, 'vulnerability').catch((err: unknown) => (err instanceof BerthError ? err.message : Promise.reject(err))))
        const use = scanners.get(a.projectId)!
        if (typeof use === 'string') {
          skipped++
          continue
        }
        try {
          const busy = await this.reports.of([a.digest], use.scanner.id, use.mime)
          if (['Pending', 'Running'].includes(busy.get(a.digest)?.status ?? '')) {
            await ctx.log(`${a.repository}@${a.digest}: a scan of it is running; skipped`)
            skipped++
            continue
          }
          // Preparing resets the artifact's report: not once the run was stopped.
          if ((await this.o.executions.executions.get(ctx.executionId))?.status !== 'Running') throw new PermanentJobError('the run was stopped')
          const tasks = await this.prepare(use, project, a.repository as RepoName, a, '', 'vulnerability', '', ctx.executionId)
          for (const t of tasks) {
            if ((await this.o.executions.addTask(ctx.executionId, SCAN_JOB, t)) === null) {
              for (const left of tasks) await this.reports.setStatus(left.payload.reportUuid, 'Stopped')
              throw new PermanentJobError('the run was stopped')
            }
          }
          added++
        } catch (err) {
          if (!(err instanceof BerthError)) throw err
          skipped++
        }
      }
      await ctx.setExecutionAttrs({ artifacts: added, skipped })
    }
    for (const [projectId, use] of scanners) if (typeof use === 'string') await ctx.log(`project ${projects.get(projectId)?.name ?? projectId}: ${use}; its artifacts are skipped`)
    await ctx.log(`scan-all: ${added} artifact(s) queued, ${skipped} skipped`)
  }

  /** Stops the running scan of an artifact; NOT_FOUND when none runs. */
  async stop(caller: Caller, ref: ProjectRef, repository: string, reference: string, type: ScanType): Promise<void> {
    const project = await this.o.projects.require(caller, ref, type === 'sbom' ? 'sbom:stop' : 'scan:stop')
    const { name, artifact } = await this.artifact(project, repository, reference)
    const vendor = type === 'sbom' ? SBOM_SCAN : IMAGE_SCAN
    const running = await this.o.executions.executions.active(vendor, artifact.id)
    if (running === null) throw new BerthError('NOT_FOUND', `no ${type === 'sbom' ? 'SBOM generation' : 'scan'} of ${name}@${artifact.digest} is running`)
    await this.o.executions.stop(running, vendor)
    this.o.audit.record({ ...actorOf(caller), operation: 'stop', resourceType: type === 'sbom' ? 'sbom' : 'scan', resource: `${name}@${artifact.digest}`, result: 'success', projectId: project.id })
  }

  /** The log of a report's scan task (the report of the artifact, or of one of an index's children). */
  async log(caller: Caller, ref: ProjectRef, repository: string, reference: string, reportUuid: string): Promise<string> {
    const project = await this.o.projects.require(caller, ref, 'scan:read')
    const { name, artifact } = await this.artifact(project, repository, reference)
    const report = await this.reports.byUuid(reportUuid)
    const digests = new Set((await this.targets(name, artifact)).map((t) => t.digest).concat(artifact.digest))
    if (report === null || !digests.has(report.digest) || report.executionId === null) throw notFound(`scan report ${reportUuid.slice(0, 64)}`)
    const { items } = await this.o.executions.tasks.list(report.executionId, { conditions: [], sort: [], page: 1, pageSize: 100 })
    const task = items.find((t) => t.extraAttrs.report_id === report.uuid)
    return task === undefined ? '' : this.o.executions.log(task)
  }

  /** Auto scan and SBOM generation on push, as the project's metadata asks. */
  private async onPush(e: RegistryEvent): Promise<void> {
    if (e.type !== 'PUSH_ARTIFACT') return
    const project = await this.o.stores.projects.get(projectOf(e.repository as RepoName))
    if (project === null) return
    const [detail] = await this.o.stores.projects.detail([project.id])
    const meta = detail?.metadata ?? {}
    const wanted: ScanType[] = []
    if (meta.auto_scan === 'true') wanted.push('vulnerability')
    if (meta.auto_sbom_generation === 'true') wanted.push('sbom')
    if (wanted.length === 0) return
    const repo = await this.o.stores.catalog.getRepository(e.repository)
    const artifact = repo === null ? null : await this.o.stores.catalog.getArtifact(repo.id, e.digest)
    // Accessories (signatures, SBOMs) are not scanned; nor is what is gone already.
    if (artifact === null || artifact.subjectDigest !== null) return
    for (const type of wanted) {
      try {
        await this.start(project, e.repository as RepoName, artifact, e.tag ?? '', type, 'EVENT')
      } catch (err) {
        // Nothing to scan with, or nothing scannable: not worth a retry.
        if (err instanceof BerthError) this.o.log.info({ repository: e.repository, digest: e.digest, reason: err.message }, 'scan on push skipped')
        else throw err
      }
    }
  }

  // --- running a scan ----------------------------------------------------------------------

  /** A robot that may pull the project's repositories, and a token for the one repository; deleted when the scan ends. */
  private async credential(p: ScanTask): Promise<{ authorization: string; robotId: number }> {
    const project = await this.o.stores.projects.getById(p.projectId)
    if (project === null) throw new PermanentJobError('the project was deleted')
    const ttl = Math.ceil(this.o.timeoutMs / 1000) + 60
    const robot = await this.o.stores.robots.create({
      name: `${SCAN_ROBOT_PREFIX}${randomBytes(10).toString('hex')}`,
      description: `scan of ${p.repository}@${p.digest}`,
      level: 'project',
      projectId: project.id,
      // No secret can log in as it: only the token below works.
      secretHash: 'none',
      permissions: [{ kind: 'project', namespace: project.name, projectId: project.id, access: [{ resource: 'repository', action: 'pull' }] }],
      disabled: false,
      duration: 1,
      expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
    })
    if (robot === null) throw new Error('could not create the scan credential')
    const token = await this.o.tokens.issue({ kind: 'robot', id: robot.id, name: robot.name, groups: [] }, [{ type: 'repository', name: p.repository, actions: ['pull'] }], new Date(), ttl)
    return { authorization: `Bearer ${token.token}`, robotId: robot.id }
  }

  private async runTask(p: ScanTask, ctx: TaskContext): Promise<void> {
    const report = await this.reports.byUuid(p.reportUuid)
    if (report === null || (report.status !== 'Pending' && report.status !== 'Running')) throw new PermanentJobError('the report was replaced by a newer scan')
    const scanner = await this.o.scanners.store.get(p.scannerId)
    if (scanner === null) throw new PermanentJobError('the scanner was deleted')
    if (this.o.registryUrl() === '') throw new PermanentJobError('no registry URL for the scanner to pull from: set scanning.registry_url or external_url')
    await this.reports.setStatus(p.reportUuid, 'Running')
    const client = this.o.scanners.client(scanner)
    const deadline = Date.now() + this.o.timeoutMs
    const { authorization, robotId } = await this.credential(p)
    try {
      const metadata = await client.metadata(ctx.signal)
      await this.reports.setSummary(p.reportUuid, { total: 0, fixable: 0, summary: {}, scanner: metadata.scanner })
      const sbom = p.scanType === 'sbom'
      const id = await client.scan(
        {
          registry: { url: this.o.registryUrl(), authorization },
          artifact: { repository: p.repository, digest: p.digest, ...(p.tag !== '' ? { tag: p.tag } : {}), mime_type: p.mediaType },
          enabled_capabilities: [sbom ? { type: 'sbom', produces_mime_types: [SBOM_MIME], parameters: { sbom_media_types: [SPDX_JSON] } } : { type: 'vulnerability', produces_mime_types: [p.reportMime] }],
        },
        ctx.signal,
      )
      await ctx.log(`scanner ${scanner.name} accepted the scan of ${p.repository}@${p.digest}: request ${id}`)
      let polls = 0
      for (;;) {
        const r = await client.report(id, p.reportMime, sbom ? `?sbom_media_type=${encodeURIComponent(SPDX_JSON)}` : '', ctx.signal)
        polls++
        if (r.ready) {
          await this.store(p, r.body, metadata, ctx)
          await ctx.log(`report received after ${polls} poll(s)`)
          return
        }
        const wait = Math.min(this.o.refreshMaxMs, Math.max(this.o.refreshMinMs, (r.refreshAfter ?? 5) * 1000))
        if (Date.now() + wait > deadline) throw new PermanentJobError(`the scan did not end within ${Math.round(this.o.timeoutMs / 1000)} s (scanning.timeout)`)
        await sleep(wait, undefined, { signal: ctx.signal })
      }
    } catch (err) {
      // Whichever ends the report first (this task, or the end of a stopped execution) tells of it.
      const [status, type] = ctx.signal.aborted ? (['Stopped', 'SCANNING_STOPPED'] as const) : (['Error', 'SCANNING_FAILED'] as const)
      await this.o.db.kysely.transaction().execute(async (trx) => {
        if ((await new ScanReportStore(trx).setStatus(p.reportUuid, status)) && p.scanType === 'vulnerability') await this.recordEnd(trx, type, p, p.reportUuid)
      })
      this.o.outbox.committed()
      if (ctx.signal.aborted) throw err
      const message = err instanceof Error ? err.message : String(err)
      await ctx.log(`scan failed: ${message}`)
      throw err instanceof PermanentJobError ? err : new PermanentJobError(message)
    } finally {
      await this.o.stores.robots.delete(robotId).catch((err) => this.o.log.warn({ err, robotId }, 'deleting a scan credential failed'))
    }
  }

  /** Stores a report the adapter gave: findings, or the SBOM as an accessory. */
  private async store(p: ScanTask, body: string, metadata: AdapterMetadata, ctx: TaskContext): Promise<void> {
    let doc: unknown
    try {
      doc = JSON.parse(body)
    } catch {
      throw new PermanentJobError('the scanner adapter sent a report that is not JSON')
    }
    const scanner = { name: metadata.scanner.name, vendor: metadata.scanner.vendor, version: metadata.scanner.version }
    if (p.scanType === 'sbom') {
      if (this.o.sbom === undefined) throw new PermanentJobError('SBOM generation is not available')
      const d = doc as { sbom?: unknown; media_type?: unknown }
      if (d.sbom === undefined || d.sbom === null) throw new PermanentJobError('the SBOM report has no sbom document')
      const mediaType = typeof d.media_type === 'string' && d.media_type !== '' ? d.media_type : SPDX_JSON
      const previous = await this.previousSbom(p)
      const m = await this.o.manifests.get(p.repository as RepoName, parseReference(p.digest))
      const digest = await this.o.sbom.write(p.repository as RepoName, { digest: p.digest, mediaType: m.mediaType, size: m.body.length }, Buffer.from(JSON.stringify(d.sbom)), mediaType, previous)
      await this.reports.complete(p.reportUuid, { report: body, severity: 'None', summary: { total: 0, fixable: 0, summary: {}, scanner, sbom_digest: digest }, findings: [] })
      await ctx.log(`SBOM stored as ${digest}`)
      return
    }
    const { findings, severity, summary } = findingsOf(doc)
    await this.reports.complete(p.reportUuid, { report: body, severity, summary: { ...summary, scanner }, findings }, (trx) => this.recordEnd(trx, 'SCANNING_COMPLETED', p, p.reportUuid))
    this.o.outbox.committed()
    await ctx.setAttrs({ total: summary.total, severity })
  }

  /** The SBOM accessory an earlier generation stored for this digest, if any. */
  private async previousSbom(p: ScanTask): Promise<string | null> {
    const rows = await this.o.db.kysely.selectFrom('scan_reports').select('summary').where('digest', '=', p.digest).where('mime_type', '=', SBOM_MIME).where('uuid', '!=', p.reportUuid).execute()
    for (const r of rows) {
      const d = r.summary === null ? undefined : (JSON.parse(r.summary) as VulnerabilitySummary).sbom_digest
      if (d !== undefined) return d
    }
    return null
  }

  /**
   * An execution ended: its unfinished reports take its status, in the ending transaction, and
   * each (of a vulnerability scan) is told as SCANNING_STOPPED or SCANNING_FAILED (the first
   * thousand of a large scan-all).
   */
  private async ended(trx: Kysely<Database>, e: Execution, status: RunStatus): Promise<void> {
    const final = status === 'Success' ? 'Error' : status
    const uuids = await new ScanReportStore(trx).endOf(e.id, final)
    if (uuids.length === 0 || e.vendorType === SBOM_SCAN) return
    // The tasks name the repository (and tag) each report's image was scanned in.
    const where = new Map<string, { repository: string; tag?: string }>()
    const rows = await trx.selectFrom('tasks').select('extra_attrs').where('execution_id', '=', e.id).where('kind', '=', 'vulnerability').where('status', '=', final).orderBy('id').limit(MAX_ENDED_TASKS).execute()
    for (const r of rows) {
      const a = JSON.parse(r.extra_attrs) as { report_id?: string; repository?: string; tag?: string }
      if (typeof a.report_id === 'string' && typeof a.repository === 'string') where.set(a.report_id, { repository: a.repository, ...(a.tag !== undefined ? { tag: a.tag } : {}) })
    }
    const type: ScanningEventType = final === 'Stopped' ? 'SCANNING_STOPPED' : 'SCANNING_FAILED'
    for (const uuid of uuids) {
      const at = where.get(uuid)
      const report = at === undefined ? null : await new ScanReportStore(trx).byUuid(uuid)
      if (at !== undefined && report !== null) await this.recordEnd(trx, type, { ...at, digest: report.digest }, uuid)
    }
  }

  /** Records the SCANNING_* event of a vulnerability report that ended, in the transaction that ended it. */
  private async recordEnd(trx: Kysely<Database>, type: ScanningEventType, at: { repository: string; digest: string; tag?: string; operator?: string }, uuid: string): Promise<void> {
    const report = await new ScanReportStore(trx).byUuid(uuid)
    const scanner = report === null ? null : await new ScannerStore(trx).get(report.scannerId)
    if (report === null || scanner === null) return
    await this.o.outbox.record(trx, {
      type,
      repository: at.repository,
      digest: at.digest,
      ...(at.tag !== undefined && at.tag !== '' ? { tag: at.tag } : {}),
      scanOverview: { [report.mimeType]: scanOverviewJson({ report, scanner, children: 0 }) },
      path: [],
      ...eventMeta(at.operator ?? ''),
    })
  }

  // --- reading reports ---------------------------------------------------------------------

  /**
   * Overviews of artifacts' reports of one type, by artifact digest, from the project's scanner:
   * an index's is its children's aggregated (worst severity, summed counts).
   */
  async overviews(projectId: number, repository: RepoName, artifacts: readonly ArtifactDetail[], type: ScanType): Promise<Map<string, ReportOverview>> {
    const out = new Map<string, ReportOverview>()
    const scanner = await this.o.scanners.store.forProject(projectId)
    if (scanner === null || artifacts.length === 0) return out
    const byArtifact = new Map<string, string[]>()
    for (const a of artifacts) byArtifact.set(a.digest, type === 'vulnerability' && INDEXES.test(a.mediaType) ? (await this.targets(repository, a)).map((t) => t.digest) : [a.digest])
    const digests = [...new Set([...byArtifact.values()].flat())]
    const mimes = type === 'sbom' ? [SBOM_MIME] : [...VULN_MIMES]
    for (const mime of mimes) {
      const reports = await this.reports.of(digests, scanner.id, mime)
      for (const [digest, children] of byArtifact) {
        if (out.has(digest)) continue
        const found = children.map((c) => reports.get(c)).filter((r): r is ScanReport => r !== undefined)
        if (found.length === 0) continue
        out.set(digest, { report: found.length === 1 && children.length === 1 ? found[0]! : aggregate(found), scanner, children: children.length === 1 && children[0] === digest ? 0 : children.length })
      }
    }
    return out
  }

  /** Harbor's vulnerabilities addition: the project scanner's report of the artifact, by report type. */
  async vulnerabilities(caller: Caller, ref: ProjectRef, repository: string, reference: string): Promise<Record<string, unknown>> {
    const project = await this.o.projects.require(caller, ref, 'scan:read')
    const { name, artifact } = await this.artifact(project, repository, reference)
    const scanner = await this.o.scanners.store.forProject(project.id)
    if (scanner === null) return {}
    const digests = (await this.targets(name, artifact)).map((t) => t.digest)
    for (const mime of VULN_MIMES) {
      const reports = await this.reports.of(digests, scanner.id, mime)
      const done = [...reports.values()].filter((r) => r.status === 'Success')
      if (done.length === 0) continue
      const vulnerabilities: unknown[] = []
      let first: Record<string, unknown> | null = null
      for (const r of done) {
        const raw = await this.reports.raw(r.uuid)
        const doc = raw === null ? {} : (JSON.parse(raw) as Record<string, unknown>)
        first ??= doc
        if (Array.isArray(doc.vulnerabilities)) vulnerabilities.push(...doc.vulnerabilities)
      }
      const agg = aggregate(done)
      return { [mime]: { generated_at: first?.generated_at ?? agg.endTime, artifact: { repository: name, digest: artifact.digest, mime_type: artifact.mediaType }, scanner: first?.scanner ?? agg.summary?.scanner ?? {}, severity: agg.severity, vulnerabilities } }
    }
    return {}
  }
}

/** Reports of an index's children as one: the worst status and severity, counts summed, the widest time span. */
function aggregate(reports: ScanReport[]): ScanReport {
  const order = ['Success', 'Pending', 'Running', 'Stopped', 'Error']
  const status = reports.map((r) => r.status).reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a))
  const severity = SEVERITIES[Math.max(...reports.map((r) => severityRank(r.severity)))]!
  const summary: VulnerabilitySummary = { total: 0, fixable: 0, summary: {} }
  for (const r of reports) {
    if (r.summary === null) continue
    summary.total += r.summary.total
    summary.fixable += r.summary.fixable
    summary.scanner ??= r.summary.scanner
    for (const [k, v] of Object.entries(r.summary.summary)) summary.summary[k as Severity] = (summary.summary[k as Severity] ?? 0) + (v ?? 0)
  }
  const ends = reports.map((r) => r.endTime)
  return {
    ...reports[0]!,
    status,
    severity,
    summary,
    startTime: reports.map((r) => r.startTime).sort()[0]!,
    endTime: ends.includes(null) ? null : (ends as string[]).sort().at(-1)!,
  }
}
