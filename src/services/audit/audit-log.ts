// The audit log writer. Entries are buffered and written in batches, so that recording every
// pull costs the request nothing; a reader flushes first, so this node's entries are visible.
import type { Logger } from '../../lib/logger.js'
import type { Db } from '../../metadata/schema.js'
import { storesOver, type Stores } from '../../metadata/stores.js'
import { nowIso } from '../../lib/clock.js'
import { untraced } from '../../lib/tracing.js'
import type { AuditEntry, AuditRecord } from '../../metadata/audit-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'

/** An entry to record; the project may be given by name, and is looked up when the entry is written. */
export type AuditInput = Omit<AuditEntry, 'opTime' | 'clientIp' | 'projectId'> & {
  clientIp?: string
  projectId?: number | null
  projectName?: string
  /** For pulls: the repository, whose pull count goes up when the entry is written. */
  repository?: string
}

type Pending = AuditEntry & { projectName?: string; repository?: string }

/**
 * The entry with control characters in its strings written out as \\u escapes: a failed login
 * records the name it was tried with, and PostgreSQL refuses NUL (a whole batch would be lost).
 */
function clean<T extends object>(e: T): T {
  const out = { ...e } as Record<string, unknown>
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'string') out[k] = v.replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  }
  return out as T
}

const FLUSH_MS = 200
const MAX_BUFFER = 10_000

export class AuditLog {
  private buffer: Pending[] = []
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private readonly stores: Stores

  constructor(
    db: Db,
    private readonly log: Logger,
  ) {
    this.stores = storesOver(db.kysely)
  }

  record(e: AuditInput): void {
    if (this.buffer.length >= MAX_BUFFER) {
      this.log.warn({ entry: e }, 'audit buffer full; entry dropped')
      return
    }
    const { projectName, repository, ...rest } = clean(e)
    this.buffer.push({
      ...rest,
      projectId: e.projectId ?? null,
      clientIp: e.clientIp ?? '',
      opTime: nowIso(),
      ...(projectName !== undefined ? { projectName } : {}),
      ...(repository !== undefined ? { repository } : {}),
    })
    // The batch is many requests' work: its write belongs to no one request's trace.
    this.timer ??= untraced(() => setTimeout(() => void this.flush(), FLUSH_MS))
  }

  /** Writes what is buffered; resolves when it is in the database. */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.buffer
    this.buffer = []
    this.writing = this.writing.then(async () => {
      const stores = this.stores
      const ids = new Map<string, number | null>()
      for (let i = 0; i < batch.length; i += 500) {
        try {
          const entries: AuditEntry[] = []
          const pulls = new Map<string, number>()
          for (const { projectName, repository, ...entry } of batch.slice(i, i + 500)) {
            if (repository !== undefined && entry.operation === 'pull' && entry.result === 'success') pulls.set(repository, (pulls.get(repository) ?? 0) + 1)
            if (projectName !== undefined && entry.projectId === null) {
              if (!ids.has(projectName)) ids.set(projectName, (await stores.projects.get(projectName))?.id ?? null)
              entry.projectId = ids.get(projectName)!
            }
            entries.push(entry)
          }
          await stores.audit.insert(entries)
          for (const [repository, n] of pulls) await stores.catalog.addPulls(repository, n)
        } catch (err) {
          this.log.error({ err, entries: batch.length }, 'writing audit entries failed')
        }
      }
    })
    return this.writing
  }

  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<AuditRecord>> {
    await this.flush()
    return this.stores.audit.list(q, projectIds)
  }
}
