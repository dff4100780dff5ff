// Migration 021: vulnerability scanning through the Pluggable Scanner API. `scanners` are the
// registered adapters (credentials sealed with secret_key), one of them the default;
// `project_scanners` picks another for a project. A report belongs to a manifest digest, a
// scanner and a report type (MIME type), as in Harbor: the same image in two projects shares
// it. `scan_vulnerabilities` holds a vulnerability report's findings one row each, so the
// security hub and "which artifacts does CVE-X affect" are queries, not JSON walks.
// Additive only.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('scanners')
    .addColumn('id', id as 'integer', pk)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('url', 'text', (c) => c.notNull())
    // '' (none), 'Basic', 'Bearer' or 'X-ScannerAdapter-API-Key'.
    .addColumn('auth', 'text', (c) => c.notNull().defaultTo(''))
    // Sealed with secret_key; null when auth is ''.
    .addColumn('access_credential', 'text')
    .addColumn('skip_cert_verify', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('use_internal_addr', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('project_scanners')
    .addColumn('project_id', ref as 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('scanner_id', ref as 'integer', (c) => c.notNull().references('scanners.id').onDelete('cascade'))
    .execute()

  await db.schema
    .createTable('scan_reports')
    .addColumn('id', id as 'integer', pk)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('scanner_id', ref as 'integer', (c) => c.notNull().references('scanners.id').onDelete('cascade'))
    // The report type asked of the adapter, e.g. 'application/vnd.security.vulnerability.report; version=1.1'.
    .addColumn('mime_type', 'text', (c) => c.notNull())
    // Harbor's scan status: Pending, Running, Success, Error, Stopped.
    .addColumn('status', 'text', (c) => c.notNull())
    // The highest severity found (vulnerability reports): None, Unknown, Low, Medium, High, Critical.
    .addColumn('severity', 'text', (c) => c.notNull().defaultTo('None'))
    // JSON: {total, fixable, summary: {Critical: n, ...}} for vulnerability reports; the SBOM's digest for SBOM reports.
    .addColumn('summary', 'text')
    // The adapter's report as it answered (JSON), bounded when read; null until Success.
    .addColumn('report', 'text')
    // The execution (vendor type SCAN_JOB) that produced it, for stop and logs.
    .addColumn('execution_id', ref as 'integer')
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text')
    .addUniqueConstraint('scan_reports_digest_scanner_type', ['digest', 'scanner_id', 'mime_type'])
    .execute()

  await db.schema
    .createTable('scan_vulnerabilities')
    .addColumn('id', id as 'integer', pk)
    .addColumn('report_id', ref as 'integer', (c) => c.notNull().references('scan_reports.id').onDelete('cascade'))
    .addColumn('cve_id', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('package_version', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('fixed_version', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('severity', 'text', (c) => c.notNull())
    // 0 None/Negligible, 1 Unknown, 2 Low, 3 Medium, 4 High, 5 Critical: for "at or above".
    .addColumn('severity_rank', 'integer', (c) => c.notNull())
    .addColumn('cvss_score_v3', 'real')
    .addColumn('cvss_vector_v3', 'text')
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // JSON: string[]
    .addColumn('links', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute()
  await db.schema.createIndex('scan_vulnerabilities_report').on('scan_vulnerabilities').columns(['report_id', 'severity_rank']).execute()
  await db.schema.createIndex('scan_vulnerabilities_cve').on('scan_vulnerabilities').columns(['cve_id', 'report_id']).execute()
  await db.schema.createIndex('scan_reports_digest').on('scan_reports').columns(['digest', 'status']).execute()
}
