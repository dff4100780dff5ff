// The audit log's filters as Harbor's `q`: exact operation, substrings of user, resource and
// resource type, and an op_time range.

export interface AuditFilters {
  operation: string
  resourceType: string
  resource: string
  username: string
  /** datetime-local values ("2026-01-31T12:00"), in the browser's time zone; '' for open. */
  from: string
  to: string
}

export const NO_FILTERS: AuditFilters = { operation: '', resourceType: '', resource: '', username: '', from: '', to: '' }

/** Operations Berth records, for the operation filter. */
export const OPERATIONS = ['create', 'update', 'delete', 'pull', 'login', 'stop'] as const

/** Characters that would change q's meaning are dropped from what the user typed. */
function clean(v: string): string {
  return v.replace(/[,={}[\]~]/g, '').trim()
}

function iso(local: string): string {
  const t = new Date(local)
  return Number.isNaN(t.getTime()) ? '' : t.toISOString()
}

/** The `q` parameter for these filters, or undefined when nothing is filtered. */
export function auditQ(f: AuditFilters): string | undefined {
  const terms: string[] = []
  if (clean(f.operation) !== '') terms.push(`operation=${clean(f.operation)}`)
  if (clean(f.resourceType) !== '') terms.push(`resource_type=~${clean(f.resourceType)}`)
  if (clean(f.resource) !== '') terms.push(`resource=~${clean(f.resource)}`)
  if (clean(f.username) !== '') terms.push(`username=~${clean(f.username)}`)
  const from = iso(f.from)
  const to = iso(f.to)
  if (from !== '' || to !== '') terms.push(`op_time=[${from}~${to}]`)
  return terms.length === 0 ? undefined : terms.join(',')
}
