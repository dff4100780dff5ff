// Harbor's vulnerability severities and scan states as the console shows them: the order
// (worst first), each severity's colour and catalogue key, an artifact's scan_overview read
// into one state, and the search query of the security hub.

/** Harbor's severities, worst first (the scanner spec's names). */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'None', 'Unknown'] as const
export type Severity = (typeof SEVERITIES)[number]

export const SEVERITY_KEYS: Record<Severity, string> = {
  Critical: 'security.severity.critical',
  High: 'security.severity.high',
  Medium: 'security.severity.medium',
  Low: 'security.severity.low',
  None: 'security.severity.none',
  Unknown: 'security.severity.unknown',
}

export type SeverityColor = 'red' | 'orangered' | 'orange' | 'yellow' | 'grey'
export const SEVERITY_COLORS: Record<Severity, SeverityColor> = { Critical: 'red', High: 'orangered', Medium: 'orange', Low: 'yellow', None: 'grey', Unknown: 'grey' }

/** A severity as a scanner or Harbor spells it ("CRITICAL", "none"...), or Unknown. */
export function severityOf(raw: unknown): Severity {
  const s = String(raw ?? '').toLowerCase()
  if (s === 'negligible') return 'None'
  return SEVERITIES.find((x) => x.toLowerCase() === s) ?? 'Unknown'
}

/** The non-zero counts of a report summary ({Critical: 2, High: 5}), worst first. */
export function countsOf(summary: Record<string, unknown> | undefined): { severity: Severity; count: number }[] {
  const totals = new Map<Severity, number>()
  for (const [k, v] of Object.entries(summary ?? {})) {
    const n = Number(v)
    if (Number.isFinite(n) && n > 0) totals.set(severityOf(k), (totals.get(severityOf(k)) ?? 0) + n)
  }
  return SEVERITIES.filter((s) => totals.has(s)).map((severity) => ({ severity, count: totals.get(severity)! }))
}

/** What an artifact's scan shows: not scanned, in progress, failed, or done with its counts. */
export type ScanState =
  | { kind: 'none' }
  | { kind: 'running'; percent: number }
  | { kind: 'error'; reportId: string }
  | { kind: 'stopped' }
  | { kind: 'done'; severity: Severity; total: number; fixable: number; counts: { severity: Severity; count: number }[]; reportId: string; endTime: string }

interface Overview {
  report_id?: string
  scan_status?: string
  severity?: string
  complete_percent?: number
  end_time?: string
  summary?: { total?: number; fixable?: number; summary?: Record<string, unknown> }
}

/** Harbor's scan_overview (keyed by report MIME type; the first report is the vulnerability one). */
export function scanStateOf(scanOverview: unknown): ScanState {
  if (scanOverview === null || typeof scanOverview !== 'object') return { kind: 'none' }
  const first = Object.values(scanOverview as Record<string, unknown>)[0] as Overview | undefined
  if (first === undefined || typeof first !== 'object' || first === null) return { kind: 'none' }
  switch (first.scan_status) {
    case 'Pending':
    case 'Scheduled':
    case 'Running':
      return { kind: 'running', percent: Number(first.complete_percent ?? 0) }
    case 'Error':
      return { kind: 'error', reportId: first.report_id ?? '' }
    case 'Stopped':
      return { kind: 'stopped' }
    case 'Success':
      return {
        kind: 'done',
        severity: severityOf(first.severity),
        total: Number(first.summary?.total ?? 0),
        fixable: Number(first.summary?.fixable ?? 0),
        counts: countsOf(first.summary?.summary),
        reportId: first.report_id ?? '',
        endTime: first.end_time ?? '',
      }
    default:
      return { kind: 'none' }
  }
}

/** Whether any of these artifacts is being scanned (the list polls while one is). */
export function anyRunning(overviews: unknown[]): boolean {
  return overviews.some((o) => scanStateOf(o).kind === 'running')
}

/** The hub's search, as its form holds it. */
export interface VulFilter {
  cveId: string
  severity: Severity | ''
  /** CVSS v3 range; empty for no bound. */
  cvssFrom: string
  cvssTo: string
  repository: string
  package: string
  tag: string
  digest: string
}

export const NO_FILTER: VulFilter = { cveId: '', severity: '', cvssFrom: '', cvssTo: '', repository: '', package: '', tag: '', digest: '' }

/** Characters that would change the meaning of Harbor's q are dropped from a value. */
const clean = (v: string) => v.replace(/[,={}[\]~]/g, '').trim()

/** Harbor's q for /security/vul: exact CVE id, severity, digest and tag, substring repository and package, a CVSS range. */
export function vulQuery(f: VulFilter): string {
  const parts: string[] = []
  const add = (key: string, v: string, fuzzy = false) => {
    const c = clean(v)
    if (c !== '') parts.push(`${key}=${fuzzy ? '~' : ''}${c}`)
  }
  add('cve_id', f.cveId)
  if (f.severity !== '') parts.push(`severity=${f.severity}`)
  const from = clean(f.cvssFrom)
  const to = clean(f.cvssTo)
  if (from !== '' || to !== '') parts.push(`cvss_score_v3=[${from === '' ? '0' : from}~${to === '' ? '10' : to}]`)
  add('repository_name', f.repository, true)
  add('package', f.package, true)
  add('tag', f.tag)
  add('digest', f.digest)
  return parts.join(',')
}

/** A CVSS bound as typed: empty, or a number from 0 to 10. */
export function cvssValid(v: string): boolean {
  if (v.trim() === '') return true
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 && n <= 10
}
