// Scanner registrations, a project's scanner, and scan reports with their findings (migration 021).
// A report belongs to (digest, scanner, report MIME type); a vulnerability report's findings are
// one scan_vulnerabilities row each, with Harbor's severities ranked (severity_rank) so "at or
// above High" is a query. The store never sees a scanner's credential in clear.
import type { Kysely, Selectable } from 'kysely'
import type { Database, ScannerTable, ScanReportTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export type ScannerAuth = '' | 'Basic' | 'Bearer' | 'X-ScannerAdapter-API-Key'

export interface Scanner {
  id: number
  uuid: string
  name: string
  description: string
  url: string
  auth: ScannerAuth
  /** Sealed; null when auth is ''. */
  sealedCredential: string | null
  skipCertVerify: boolean
  useInternalAddr: boolean
  disabled: boolean
  isDefault: boolean
  createdAt: string
  updatedAt: string
}

export type ScannerFields = Pick<Scanner, 'name' | 'description' | 'url' | 'auth' | 'sealedCredential' | 'skipCertVerify' | 'useInternalAddr' | 'disabled'>

export type ScanStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped'

/** Harbor's severities, lowest first; the index is scan_vulnerabilities.severity_rank (Negligible ranks as None). */
export const SEVERITIES = ['None', 'Unknown', 'Low', 'Medium', 'High', 'Critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** The rank of a severity as an adapter spells it; anything unknown ranks as Unknown. */
export function severityRank(s: string): number {
  if (s === 'Negligible') return 0
  const i = (SEVERITIES as readonly string[]).indexOf(s)
  return i < 0 ? 1 : i
}

/** A vulnerability report's counts, as scan_reports.summary holds them (JSON). */
export interface VulnerabilitySummary {
  total: number
  fixable: number
  /** Counts by severity; only severities found. */
  summary: Partial<Record<Severity, number>>
  /** Who scanned (name, vendor, version), for Harbor's scan_overview. */
  scanner?: { name: string; vendor: string; version: string }
  /** An SBOM report's accessory digest. */
  sbom_digest?: string
}

export interface ScanReport {
  id: number
  uuid: string
  digest: string
  scannerId: number
  mimeType: string
  status: ScanStatus
  severity: Severity
  summary: VulnerabilitySummary | null
  executionId: number | null
  startTime: string
  endTime: string | null
}

export interface Finding {
  cveId: string
  package: string
  packageVersion: string
  fixedVersion: string
  severity: string
  cvssScoreV3: number | null
  cvssVectorV3: string | null
  description: string
  links: string[]
}

export const SCANNER_FIELDS: Fields = {
  name: { column: 'name' },
  description: { column: 'description' },
  url: { column: 'url' },
  is_default: { column: 'is_default', type: 'bool' },
  disabled: { column: 'disabled', type: 'bool' },
  id: { column: 'id', type: 'int' },
  creation_time: { column: 'created_at', type: 'time' },
}

function scannerOf(r: Selectable<ScannerTable>): Scanner {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    url: r.url,
    auth: r.auth as ScannerAuth,
    sealedCredential: r.access_credential,
    skipCertVerify: Number(r.skip_cert_verify) === 1,
    useInternalAddr: Number(r.use_internal_addr) === 1,
    disabled: Number(r.disabled) === 1,
    isDefault: Number(r.is_default) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function reportOf(r: Selectable<ScanReportTable>): ScanReport {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    digest: r.digest,
    scannerId: Number(r.scanner_id),
    mimeType: r.mime_type,
    status: r.status as ScanStatus,
    severity: r.severity as Severity,
    summary: r.summary === null ? null : (JSON.parse(r.summary) as VulnerabilitySummary),
    executionId: r.execution_id === null ? null : Number(r.execution_id),
    startTime: r.start_time,
    endTime: r.end_time,
  }
}

function columns(f: Partial<ScannerFields>) {
  return {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.auth !== undefined ? { auth: f.auth } : {}),
    ...(f.sealedCredential !== undefined ? { access_credential: f.sealedCredential } : {}),
    ...(f.skipCertVerify !== undefined ? { skip_cert_verify: f.skipCertVerify ? 1 : 0 } : {}),
    ...(f.useInternalAddr !== undefined ? { use_internal_addr: f.useInternalAddr ? 1 : 0 } : {}),
    ...(f.disabled !== undefined ? { disabled: f.disabled ? 1 : 0 } : {}),
  }
}

export class ScannerStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The new scanner's id; null when the name is taken. The first scanner becomes the default. */
  async create(uuid: string, f: ScannerFields): Promise<number | null> {
    const at = nowIso()
    return this.db.transaction().execute(async (trx) => {
      if ((await trx.selectFrom('scanners').select('id').where('name', '=', f.name).executeTakeFirst()) !== undefined) return null
      const first = (await trx.selectFrom('scanners').select('id').limit(1).executeTakeFirst()) === undefined
      const r = await trx
        .insertInto('scanners')
        .values({ ...columns(f), uuid, name: f.name, url: f.url, is_default: first ? 1 : 0, created_at: at, updated_at: at })
        .returning('id')
        .executeTakeFirstOrThrow()
      return Number(r.id)
    })
  }

  async get(id: number): Promise<Scanner | null> {
    const r = await this.db.selectFrom('scanners').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : scannerOf(r)
  }

  async getByUuid(uuid: string): Promise<Scanner | null> {
    const r = await this.db.selectFrom('scanners').selectAll().where('uuid', '=', uuid).executeTakeFirst()
    return r === undefined ? null : scannerOf(r)
  }

  async getByName(name: string): Promise<Scanner | null> {
    const r = await this.db.selectFrom('scanners').selectAll().where('name', '=', name).executeTakeFirst()
    return r === undefined ? null : scannerOf(r)
  }

  async list(q: ListQuery): Promise<Listed<Scanner>> {
    const page = await listPage(this.db.selectFrom('scanners').selectAll(), q, SCANNER_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(scannerOf), total: page.total }
  }

  /** Every scanner, at most `limit` (a project's candidates). */
  async all(limit = 1000): Promise<Scanner[]> {
    return (await this.db.selectFrom('scanners').selectAll().orderBy('id').limit(limit).execute()).map(scannerOf)
  }

  /** false when the name is taken by another scanner. */
  async update(id: number, f: Partial<ScannerFields>): Promise<boolean> {
    if (f.name !== undefined) {
      const other = await this.db.selectFrom('scanners').select('id').where('name', '=', f.name).where('id', '!=', id).executeTakeFirst()
      if (other !== undefined) return false
    }
    await this.db.updateTable('scanners').set({ ...columns(f), updated_at: nowIso() }).where('id', '=', id).execute()
    return true
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('scanners').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) === 1
  }

  /** Makes `id` the one default scanner. */
  async setDefault(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('scanners').set({ is_default: 0 }).where('is_default', '=', 1).where('id', '!=', id).execute()
      await trx.updateTable('scanners').set({ is_default: 1, updated_at: nowIso() }).where('id', '=', id).execute()
    })
  }

  async getDefault(): Promise<Scanner | null> {
    const r = await this.db.selectFrom('scanners').selectAll().where('is_default', '=', 1).orderBy('id').executeTakeFirst()
    return r === undefined ? null : scannerOf(r)
  }

  /** The scanner a project chose, else the default; null when there is none. */
  async forProject(projectId: number): Promise<Scanner | null> {
    const r = await this.db
      .selectFrom('project_scanners')
      .innerJoin('scanners', 'scanners.id', 'project_scanners.scanner_id')
      .selectAll('scanners')
      .where('project_scanners.project_id', '=', projectId)
      .executeTakeFirst()
    return r === undefined ? this.getDefault() : scannerOf(r)
  }

  async setForProject(projectId: number, scannerId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('project_scanners').where('project_id', '=', projectId).execute()
      await trx.insertInto('project_scanners').values({ project_id: projectId, scanner_id: scannerId }).execute()
    })
  }

  /** How many projects chose the scanner. */
  async projectsUsing(scannerId: number): Promise<number> {
    const r = await this.db.selectFrom('project_scanners').select((eb) => eb.fn.countAll().as('n')).where('scanner_id', '=', scannerId).executeTakeFirstOrThrow()
    return Number(r.n)
  }
}

/** A listed artifact (neither a referrer nor an index's child) with where it lives, for scan-all. */
export interface ListedArtifact {
  id: number
  repositoryId: number
  repository: string
  projectId: number
  digest: string
  mediaType: string
}

/** One page of every project's listed artifacts, by id after `afterId` (keyset paging). */
export async function listedArtifactsAfter(db: Kysely<Database>, afterId: number, limit: number): Promise<ListedArtifact[]> {
  const rows = await db
    .selectFrom('artifacts as a')
    .innerJoin('repositories as r', 'r.id', 'a.repository_id')
    .select(['a.id', 'a.repository_id', 'r.name', 'r.project_id', 'a.digest', 'a.media_type'])
    .where('a.listed', '=', 1)
    .where('a.subject_digest', 'is', null)
    .where('a.id', '>', afterId)
    .orderBy('a.id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ id: Number(r.id), repositoryId: Number(r.repository_id), repository: r.name, projectId: Number(r.project_id), digest: r.digest, mediaType: r.media_type }))
}

export class ScanReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Starts (or restarts) the report of (digest, scanner, type) as Pending for an execution: a new
   * uuid, the old findings gone. Returns its uuid.
   */
  async begin(digest: string, scannerId: number, mimeType: string, uuid: string, executionId: number | null): Promise<string> {
    const at = nowIso()
    await this.db.transaction().execute(async (trx) => {
      const old = await trx.selectFrom('scan_reports').select('id').where('digest', '=', digest).where('scanner_id', '=', scannerId).where('mime_type', '=', mimeType).executeTakeFirst()
      if (old !== undefined) {
        await trx.deleteFrom('scan_vulnerabilities').where('report_id', '=', old.id).execute()
        await trx
          .updateTable('scan_reports')
          .set({ uuid, status: 'Pending', severity: 'None', summary: null, report: null, execution_id: executionId, start_time: at, end_time: null })
          .where('id', '=', old.id)
          .execute()
      } else {
        await trx.insertInto('scan_reports').values({ uuid, digest, scanner_id: scannerId, mime_type: mimeType, status: 'Pending', execution_id: executionId, start_time: at }).execute()
      }
    })
    return uuid
  }

  /** Ties reports to the execution that makes them. */
  async attach(uuids: readonly string[], executionId: number): Promise<void> {
    if (uuids.length > 0) await this.db.updateTable('scan_reports').set({ execution_id: executionId }).where('uuid', 'in', [...uuids]).execute()
  }

  async byUuid(uuid: string): Promise<ScanReport | null> {
    const r = await this.db.selectFrom('scan_reports').selectAll().where('uuid', '=', uuid).executeTakeFirst()
    return r === undefined ? null : reportOf(r)
  }

  /** The stored adapter report (JSON text) of a report, or null. */
  async raw(uuid: string): Promise<string | null> {
    const r = await this.db.selectFrom('scan_reports').select('report').where('uuid', '=', uuid).executeTakeFirst()
    return r?.report ?? null
  }

  /** Reports of these digests by one scanner and type, by digest. */
  async of(digests: readonly string[], scannerId: number, mimeType: string): Promise<Map<string, ScanReport>> {
    if (digests.length === 0) return new Map()
    const rows = await this.db.selectFrom('scan_reports').selectAll().where('digest', 'in', [...digests]).where('scanner_id', '=', scannerId).where('mime_type', '=', mimeType).execute()
    return new Map(rows.map((r) => [r.digest, reportOf(r)]))
  }

  /** Sets the status of a report not yet ended; false when it had ended (or is another run's now). */
  async setStatus(uuid: string, status: ScanStatus): Promise<boolean> {
    const ended = status === 'Success' || status === 'Error' || status === 'Stopped'
    const r = await this.db
      .updateTable('scan_reports')
      .set({ status, ...(ended ? { end_time: nowIso() } : {}) })
      .where('uuid', '=', uuid)
      .where('status', 'in', ['Pending', 'Running'])
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  /** Ends every unfinished report of an execution with `status`; the uuids it ended. */
  async endOf(executionId: number, status: ScanStatus, max = 1000): Promise<string[]> {
    const unfinished = this.db.selectFrom('scan_reports').where('execution_id', '=', executionId).where('status', 'in', ['Pending', 'Running'])
    const rows = await unfinished.select('uuid').orderBy('id').limit(max).execute()
    await this.db.updateTable('scan_reports').set({ status, end_time: nowIso() }).where('execution_id', '=', executionId).where('status', 'in', ['Pending', 'Running']).execute()
    return rows.map((r) => r.uuid)
  }

  /** Reports of an execution. */
  async ofExecution(executionId: number): Promise<ScanReport[]> {
    return (await this.db.selectFrom('scan_reports').selectAll().where('execution_id', '=', executionId).orderBy('id').limit(1000).execute()).map(reportOf)
  }

  /**
   * Ends a report successfully with the adapter's report, its summary and severity, and its
   * findings one row each, in one transaction (with `then`, e.g. its event). false when the report
   * is no longer running.
   */
  async complete(uuid: string, o: { report: string; severity: Severity; summary: VulnerabilitySummary; findings: readonly Finding[] }, then?: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('scan_reports').select('id').where('uuid', '=', uuid).where('status', 'in', ['Pending', 'Running']).executeTakeFirst()
      if (row === undefined) return false
      await trx.deleteFrom('scan_vulnerabilities').where('report_id', '=', row.id).execute()
      for (let i = 0; i < o.findings.length; i += 200) {
        const chunk = o.findings.slice(i, i + 200)
        await trx
          .insertInto('scan_vulnerabilities')
          .values(
            chunk.map((f) => ({
              report_id: row.id,
              cve_id: f.cveId,
              package: f.package,
              package_version: f.packageVersion,
              fixed_version: f.fixedVersion,
              severity: f.severity,
              severity_rank: severityRank(f.severity),
              cvss_score_v3: f.cvssScoreV3,
              cvss_vector_v3: f.cvssVectorV3,
              description: f.description,
              links: JSON.stringify(f.links),
            })),
          )
          .execute()
      }
      await trx
        .updateTable('scan_reports')
        .set({ status: 'Success', severity: o.severity, summary: JSON.stringify(o.summary), report: o.report, end_time: nowIso() })
        .where('id', '=', row.id)
        .execute()
      if (then !== undefined) await then(trx)
      return true
    })
  }

  /** Records what a report is about before it ends (the scanner that answers, an SBOM's digest). */
  async setSummary(uuid: string, summary: VulnerabilitySummary): Promise<void> {
    await this.db.updateTable('scan_reports').set({ summary: JSON.stringify(summary) }).where('uuid', '=', uuid).execute()
  }

  async delete(uuid: string): Promise<void> {
    await this.db.deleteFrom('scan_reports').where('uuid', '=', uuid).execute()
  }
}
