// Harbor's scan_overview entry (NativeReportSummary) of a report: what artifact listings show and
// what SCANNING_* webhook events carry.
import type { Scanner, ScanReport } from '../../metadata/scan-store.js'

/** Harbor's per-report overview (scan_overview / sbom_overview entries). */
export interface ReportOverview {
  report: ScanReport
  scanner: Scanner
  /** How many children an index overview aggregates; 0 for an image. */
  children: number
}

/** Whole seconds from `from` to `to` (0 while it runs). */
export const seconds = (from: string, to: string | null) => (to === null ? 0 : Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)))

/** Harbor's NativeReportSummary of a report (an index: its children's, aggregated). */
export function scanOverviewJson(o: ReportOverview): Record<string, unknown> {
  const r = o.report
  const scanner = r.summary?.scanner ?? { name: o.scanner.name, vendor: '', version: '' }
  return {
    report_id: r.uuid,
    scan_status: r.status,
    severity: r.severity,
    duration: seconds(r.startTime, r.endTime),
    summary: { total: r.summary?.total ?? 0, fixable: r.summary?.fixable ?? 0, summary: r.summary?.summary ?? {} },
    start_time: r.startTime,
    end_time: r.endTime ?? '0001-01-01T00:00:00.000Z',
    complete_percent: r.status === 'Success' ? 100 : 0,
    scanner,
    ...(o.children > 0 ? { total_count: o.children } : {}),
  }
}
