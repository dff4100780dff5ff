// The overview's recent failures (Berth's GET /berth/overview/failures): what each kind of work
// is called, where its failure can be looked into, and the failures counted by kind.
import type { paths } from '../../api/schema'

export type Failure = paths['/api/v2.0/berth/overview/failures']['get']['responses'][200]['content']['application/json'][number]

export const KIND_KEYS: Record<string, string> = {
  GARBAGE_COLLECTION: 'system.kind.gc',
  PURGE_AUDIT: 'system.kind.auditPurge',
  REPLICATION: 'system.kind.replication',
  RETENTION: 'system.kind.retention',
  WEBHOOK: 'system.kind.webhook',
}

/** The console page where a failure's run and log are, when there is one. */
export function failureLink(f: Pick<Failure, 'vendor_type' | 'project_id'>): string | null {
  switch (f.vendor_type) {
    case 'GARBAGE_COLLECTION':
      return '/admin/gc'
    case 'PURGE_AUDIT':
      return '/admin/audit-purge'
    case 'REPLICATION':
      return '/admin/replications'
    case 'RETENTION':
      return f.project_id !== undefined ? `/projects/${f.project_id}/policy` : null
    case 'WEBHOOK':
      return f.project_id !== undefined ? `/projects/${f.project_id}/webhooks` : null
    default:
      return null
  }
}

export interface KindCount {
  kind: string
  count: number
  /** When the newest failure of the kind started. */
  latest: string
}

/** Failures counted by kind, the kind with the most first (then the most recent). */
export function failuresByKind(items: readonly Pick<Failure, 'vendor_type' | 'start_time'>[]): KindCount[] {
  const byKind = new Map<string, KindCount>()
  for (const f of items) {
    const c = byKind.get(f.vendor_type)
    if (c === undefined) byKind.set(f.vendor_type, { kind: f.vendor_type, count: 1, latest: f.start_time })
    else {
      c.count++
      if (Date.parse(f.start_time) > Date.parse(c.latest)) c.latest = f.start_time
    }
  }
  return [...byKind.values()].sort((a, b) => b.count - a.count || Date.parse(b.latest) - Date.parse(a.latest))
}
