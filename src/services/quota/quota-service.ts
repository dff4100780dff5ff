// Per-project storage quotas: Harbor's /quotas use cases (list, read, change a limit), the limit a
// new project gets, and the guard a push passes in its transaction. Usage itself is kept by the
// stores (metadata/quota-store.ts) in the transaction that writes or deletes artifacts; this
// service decides what a change may do: refuse a push past the limit (the transaction rolls back,
// nothing is stored) and record QUOTA_WARNING and QUOTA_EXCEED events.
import type { Kysely } from 'kysely'
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import { isSysadmin } from '../../auth/access.js'
import { eventMeta, type Outbox } from '../../events/outbox.js'
import type { Database, Db } from '../../metadata/schema.js'
import { inTransaction, type Stores } from '../../metadata/stores.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import { UNLIMITED, type Quota, type UsageChange } from '../../metadata/quota-store.js'
import type { AuditLog } from '../audit/audit-log.js'
import { actorOf, requireSysadmin, requireSystemAccess } from '../identity/guards.js'

export { UNLIMITED, type Quota } from '../../metadata/quota-store.js'

export interface QuotaServiceOptions {
  db: Db
  stores: Stores
  outbox: Outbox
  audit: AuditLog
  /** The limit of projects created without one (Harbor's storage_per_project), read when needed. */
  defaultLimit: () => Promise<number>
  /** QUOTA_WARNING when a push takes usage to this percentage of the limit or past it. */
  warningPercent: number
}

/** What a push that would pass its project's limit is refused with, and the numbers of its QUOTA_EXCEED event. */
export class QuotaExceeded extends BerthError {
  constructor(
    readonly project: string,
    readonly repository: string,
    /** Usage before the push, the bytes it needed, the limit. */
    readonly numbers: { used: number; needed: number; hard: number },
  ) {
    const { used, needed, hard } = numbers
    super(
      'DENIED',
      `quota exceeded: adding ${bytes(needed)} of storage resource, which when updated to current usage of ${bytes(used)} will exceed the configured upper limit of ${bytes(hard)}`,
      { project, used, needed, hard },
    )
  }
}

/** `1258291 bytes (1.2 MiB)`: exact for scripts, readable for people. */
function bytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let unit = ''
  for (const u of units) {
    if (v < 1024) break
    v /= 1024
    unit = u
  }
  return unit === '' ? `${n} bytes` : `${n} bytes (${v.toFixed(1)} ${unit})`
}

/** Harbor's rule for a limit: -1 (none) or a positive number of bytes. */
export function checkLimit(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (value <= 0 && value !== UNLIMITED)) {
    throw new BerthError('BAD_REQUEST', `${what} must be -1 (no limit) or a positive whole number of bytes`)
  }
  return value
}

export class QuotaService {
  constructor(private readonly o: QuotaServiceOptions) {}

  /** All quotas (one per project; its id is the project's): administrators and system robots with quota:list. */
  async list(caller: Caller, q: ListQuery, reference?: string): Promise<Listed<Quota>> {
    requireSystemAccess(caller, 'quota:list')
    // Projects are the only reference Berth's quotas have (Harbor's "project"): another has none.
    if (reference !== undefined && reference !== '' && reference !== 'project') return { items: [], total: 0 }
    return this.o.stores.quotas.list(q)
  }

  async get(caller: Caller, id: number): Promise<Quota> {
    requireSystemAccess(caller, 'quota:read')
    const q = await this.o.stores.quotas.get(id)
    if (q === null) throw new BerthError('NOT_FOUND', 'quota not found')
    return q
  }

  /** Harbor's PUT /quotas/{id}: `hard` must name storage, and nothing else (administrators only). */
  async update(caller: Caller, id: number, hard: Record<string, unknown>): Promise<void> {
    requireSysadmin(caller)
    const keys = Object.keys(hard)
    if (keys.length === 0) throw new BerthError('BAD_REQUEST', 'hard required in body')
    const other = keys.find((k) => k !== 'storage')
    if (other !== undefined) throw new BerthError('BAD_REQUEST', `resource ${JSON.stringify(other.slice(0, 64))} is not supported; only storage`)
    const storage = checkLimit(hard.storage, 'hard.storage')
    const q = await this.o.stores.quotas.get(id)
    if (q === null || !(await this.o.stores.quotas.setHard(id, storage))) throw new BerthError('NOT_FOUND', 'quota not found')
    this.o.audit.record({ ...actorOf(caller), operation: 'update', resourceType: 'quota', resource: q.projectName, result: 'success', projectId: id })
  }

  /** The limit of projects created without one (storage_per_project). */
  defaultLimit(): Promise<number> {
    return this.o.defaultLimit()
  }

  /**
   * The limit of a project the caller creates, as Harbor decides it: an administrator's
   * storage_limit when given (0 or null: the default); anyone else's is ignored for the default.
   */
  async limitFor(caller: Caller, requested: number | null | undefined): Promise<number> {
    if (requested === undefined || requested === null || requested === 0 || !isSysadmin(caller)) return checkLimit(await this.o.defaultLimit(), 'storage_per_project')
    return checkLimit(requested, 'storage_limit')
  }

  /**
   * Called in a push's transaction with the usage after it: refuses a push that passes the limit
   * (throw, so the transaction rolls back), records QUOTA_WARNING when it crosses the warning level.
   */
  async admit(trx: Kysely<Database>, project: string, repository: string, usage: UsageChange, operator = ''): Promise<void> {
    const { used, hard, delta } = usage
    if (hard < 0 || delta <= 0) return
    const before = used - delta
    if (used > hard) throw new QuotaExceeded(project, repository, { used: before, needed: delta, hard })
    const level = (hard * this.o.warningPercent) / 100
    if (before < level && used >= level) {
      await this.o.outbox.record(trx, { type: 'QUOTA_WARNING', repository, project, used, hard, needed: delta, path: [], ...eventMeta(operator) })
    }
  }

  /** Records a refused push's QUOTA_EXCEED in a transaction of its own (the push's rolled back). */
  async exceeded(e: QuotaExceeded, operator = ''): Promise<void> {
    await inTransaction(this.o.db, (_s, trx) =>
      this.o.outbox.record(trx, { type: 'QUOTA_EXCEED', repository: e.repository, project: e.project, used: e.numbers.used, hard: e.numbers.hard, needed: e.numbers.needed, path: [], ...eventMeta(operator) }),
    )
    this.o.outbox.committed()
  }
}
