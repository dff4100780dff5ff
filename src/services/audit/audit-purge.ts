// Harbor's audit-log purge: delete entries older than N hours, of some operations or all, or
// count them (dry run). A system job: run now or on a schedule, one at a time across nodes.
import { BerthError } from '../../lib/errors.js'
import type { AuditStore } from '../../metadata/audit-store.js'
import type { SystemJobKind } from '../system/system-jobs.js'

export interface PurgeParameters extends Record<string, unknown> {
  audit_retention_hour: number
  /** Operations to purge; empty: all of them. */
  include_operations: string
  dry_run: boolean
}

/** Entries deleted per statement. */
const BATCH = 5_000
/** Harbor's bound on the retention: 0 to 240,000 hours (about 27 years). */
const MAX_HOURS = 240_000

export function purgeParameters(raw: Record<string, unknown>): PurgeParameters {
  const hours = raw.audit_retention_hour
  if (hours === undefined) throw new BerthError('BAD_REQUEST', 'parameters.audit_retention_hour is required')
  const h = typeof hours === 'string' && /^\d{1,9}$/.test(hours) ? Number(hours) : hours
  if (typeof h !== 'number' || !Number.isInteger(h) || h < 0 || h > MAX_HOURS) {
    throw new BerthError('BAD_REQUEST', `parameters.audit_retention_hour must be an integer from 0 to ${MAX_HOURS}`)
  }
  const ops = raw.include_operations ?? ''
  if (typeof ops !== 'string' || ops.length > 256 || !/^([a-z_]{1,32}(,[a-z_]{1,32})*)?$/.test(ops.replace(/\s/g, ''))) {
    throw new BerthError('BAD_REQUEST', 'parameters.include_operations must be a comma-separated list of operations such as "create,delete,pull"')
  }
  const dry = raw.dry_run ?? false
  if (typeof dry !== 'boolean') throw new BerthError('BAD_REQUEST', 'parameters.dry_run must be true or false')
  return { audit_retention_hour: h, include_operations: ops.replace(/\s/g, ''), dry_run: dry }
}

export function auditPurge(o: { audit: AuditStore; flush: () => Promise<void> }): SystemJobKind<PurgeParameters> {
  return {
    vendorType: 'PURGE_AUDIT',
    jobType: 'PURGE_AUDIT',
    resource: 'purge-audit',
    auditName: 'audit log purge',
    maxAttempts: 3,
    parameters: purgeParameters,
    async run(p, ctx) {
      // Entries still buffered on this node are written first, so they are judged like the rest.
      await o.flush()
      const before = new Date(Date.now() - p.audit_retention_hour * 3_600_000).toISOString()
      const ops = p.include_operations === '' ? null : p.include_operations.split(',')
      await ctx.log(`purging entries before ${before} of ${ops === null ? 'every operation' : `operations ${ops.join(', ')}`}${p.dry_run ? ' (dry run)' : ''}`)
      if (p.dry_run) {
        const n = await o.audit.countOlder(before, ops)
        await ctx.setExecutionAttrs({ purged: n, dry_run: true })
        await ctx.log(`${n} entries would be purged`)
        return
      }
      let total = 0
      for (;;) {
        if (ctx.signal.aborted) throw ctx.signal.reason
        const n = await o.audit.deleteOlder(before, ops, BATCH)
        total += n
        if (n < BATCH) break
      }
      await ctx.setExecutionAttrs({ purged: total })
      await ctx.log(`${total} entries purged`)
    },
  }
}
