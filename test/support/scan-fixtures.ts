// Vulnerability reports written straight into the scanning tables (migration 021), as the scan
// jobs would leave them: scanners, a project's scanner, a report per digest and scanner, and
// one row per finding with its severity rank.
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/metadata/schema.js'

export const VULNERABILITY_REPORT_TYPE = 'application/vnd.security.vulnerability.report; version=1.1'

/** Ranks as the migration defines them. */
export const RANK: Record<string, number> = { None: 0, Negligible: 0, Unknown: 1, Low: 2, Medium: 3, High: 4, Critical: 5 }

export interface FindingFixture {
  cve: string
  severity: keyof typeof RANK
  package?: string
  version?: string
  fixed?: string
  cvss?: number
  description?: string
}

export async function addScanner(db: Kysely<Database>, name: string, o: { isDefault?: boolean; disabled?: boolean } = {}): Promise<number> {
  const now = new Date().toISOString()
  await db
    .insertInto('scanners')
    .values({ uuid: randomUUID(), name, url: `http://${name}.invalid`, is_default: o.isDefault === true ? 1 : 0, disabled: o.disabled === true ? 1 : 0, created_at: now, updated_at: now })
    .execute()
  return (await db.selectFrom('scanners').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id
}

export async function setProjectScanner(db: Kysely<Database>, projectId: number, scannerId: number): Promise<void> {
  await db.insertInto('project_scanners').values({ project_id: projectId, scanner_id: scannerId }).execute()
}

/** A report of `digest` by `scannerId` with these findings (status Success unless given); returns its id. */
export async function addReport(db: Kysely<Database>, digest: string, scannerId: number, findings: FindingFixture[], status = 'Success'): Promise<number> {
  const worst = findings.reduce((w, f) => Math.max(w, RANK[f.severity]!), 0)
  const now = new Date().toISOString()
  await db
    .insertInto('scan_reports')
    .values({ uuid: randomUUID(), digest, scanner_id: scannerId, mime_type: VULNERABILITY_REPORT_TYPE, status, severity: ['None', 'Unknown', 'Low', 'Medium', 'High', 'Critical'][worst]!, start_time: now, end_time: status === 'Success' ? now : null })
    .execute()
  const id = (await db.selectFrom('scan_reports').select('id').where('digest', '=', digest).where('scanner_id', '=', scannerId).executeTakeFirstOrThrow()).id
  for (const f of findings) {
    await db
      .insertInto('scan_vulnerabilities')
      .values({
        report_id: id,
        cve_id: f.cve,
        package: f.package ?? 'pkg',
        package_version: f.version ?? '1.0',
        fixed_version: f.fixed ?? '',
        severity: f.severity,
        severity_rank: RANK[f.severity]!,
        cvss_score_v3: f.cvss ?? null,
        description: f.description ?? `about ${f.cve}`,
        links: JSON.stringify([`https://avd.example/${f.cve}`]),
      })
      .execute()
  }
  return id
}
