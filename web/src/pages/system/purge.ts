// The audit-log purge's parameters as the form holds them and as Harbor's body carries them.
export const OPERATIONS = ['create', 'delete', 'pull', 'update', 'stop', 'login'] as const
export type Operation = (typeof OPERATIONS)[number]

export const OPERATION_KEYS: Record<Operation, string> = {
  create: 'system.purge.op.create',
  delete: 'system.purge.op.delete',
  pull: 'system.purge.op.pull',
  update: 'system.purge.op.update',
  stop: 'system.purge.op.stop',
  login: 'system.purge.op.login',
}

/** Harbor's bound on the retention: 240,000 hours. */
export const MAX_HOURS = 240_000

export type RetentionUnit = 'hours' | 'days'

/** Hours of a typed retention; null when it is not a whole number within Harbor's bound. */
export function retentionHours(value: string, unit: RetentionUnit): number | null {
  if (!/^\d{1,9}$/.test(value.trim())) return null
  const hours = Number(value.trim()) * (unit === 'days' ? 24 : 1)
  return hours <= MAX_HOURS ? hours : null
}

/** A stored retention in days when it is whole days, else in hours. */
export function retentionOf(hours: number): { value: string; unit: RetentionUnit } {
  return hours > 0 && hours % 24 === 0 ? { value: String(hours / 24), unit: 'days' } : { value: String(hours), unit: 'hours' }
}

/** Harbor's include_operations: the chosen operations in a fixed order, comma-separated. */
export function includeOperations(chosen: ReadonlySet<string>): string {
  return OPERATIONS.filter((o) => chosen.has(o)).join(',')
}

/** The operations a stored include_operations names (empty: Harbor's all, shown as all chosen). */
export function operationsOf(stored: unknown): Set<Operation> {
  const names = typeof stored === 'string' ? stored.split(',').map((s) => s.trim()) : []
  const known = OPERATIONS.filter((o) => names.includes(o))
  return new Set(known.length === 0 ? OPERATIONS : known)
}
