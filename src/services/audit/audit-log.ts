// The audit log writer. Entries are buffered and written in batches, so that recording every
// pull costs the request nothing; a reader flushes first, so this node's entries are visible.
// With Harbor's audit_log_forward_endpoint set, each entry is also sent as one syslog message
// (RFC 5424, see auditMessage); with skip_audit_log_database, only sent (pull counts still go up).
import { hostname } from 'node:os'
import type { Logger } from '../../lib/logger.js'
import { FACILITY_USER, formatRfc5424, parseSyslogEndpoint, Severity, SyslogSender, type SyslogCounts } from '../../lib/syslog.js'
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
  /** Written to the database even with skip_audit_log_database (a change of the forwarding itself leaves a trace). */
  keepInDatabase?: boolean
}

type Pending = AuditEntry & { projectName?: string; repository?: string; keepInDatabase?: boolean }

/** Where entries go besides the database, as the run-time settings say now. */
export interface AuditForwarding {
  /** Harbor's audit_log_forward_endpoint; '' for none. */
  endpoint: string
  /** Harbor's skip_audit_log_database. */
  skipDatabase: boolean
}

/** The SD-ID of an entry's fields: RFC 5424 asks `name@<enterprise number>`; 32473 is the number set aside for such use (RFC 5612). */
export const AUDIT_SD_ID = 'audit@32473'

/**
 * An entry as one RFC 5424 message: APP-NAME `audit` (the tag Harbor's forwarder uses), MSGID the
 * operation, the fields as structured data, and a text like Harbor's (`action:..., resource:...`).
 * Failures are warnings, the rest informational; facility user.
 */
export function auditMessage(e: AuditEntry, host = hostname()): string {
  return formatRfc5424({
    facility: FACILITY_USER,
    severity: e.result === 'failure' ? Severity.warning : Severity.info,
    time: e.opTime,
    hostname: host,
    appName: 'audit',
    procId: String(process.pid),
    msgId: e.operation,
    data: {
      id: AUDIT_SD_ID,
      params: { operator: e.username, operation: e.operation, resource_type: e.resourceType, resource: e.resource, result: e.result, client_ip: e.clientIp, project_id: e.projectId, op_time: e.opTime },
    },
    message: `action:${e.operation}, resource:${e.resource}, resource_type:${e.resourceType}, operator:${e.username}, result:${e.result}`,
  })
}

/**
 * The entry with control characters in its strings written out as \\u escapes: a failed login
 * records the name it was tried with, and PostgreSQL refuses NUL (a whole batch would be lost).
 */
function clean<T extends object>(e: T): T {
  let out: Record<string, unknown> | undefined
  for (const k in e) {
    const v = e[k]
    // Tested first: nearly every entry has no control character, and is kept as it is (every pull makes one).
    if (typeof v === 'string' && CONTROL.test(v)) {
      out ??= { ...e } as Record<string, unknown>
      out[k] = v.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    }
  }
  return (out ?? e) as T
}
const CONTROL = /[\x00-\x1f\x7f]/
const CONTROLS = /[\x00-\x1f\x7f]/g

const FLUSH_MS = 200
const MAX_BUFFER = 10_000

export class AuditLog {
  private buffer: Pending[] = []
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private readonly stores: Stores
  private sender: { endpoint: string; sender: SyslogSender } | undefined
  private readonly host = hostname()

  constructor(
    db: Db,
    private readonly log: Logger,
    /** The forwarding settings, read at each batch (so every node follows a change). */
    private readonly forwarding: () => Promise<AuditForwarding> = async () => ({ endpoint: '', skipDatabase: false }),
  ) {
    this.stores = storesOver(db.kysely)
  }

  /** The sender to `endpoint` (a new one when it changed), or null for none. */
  private senderFor(endpoint: string): SyslogSender | null {
    if (this.sender?.endpoint === endpoint) return this.sender.sender
    void this.sender?.sender.close()
    this.sender = undefined
    let parsed
    try {
      parsed = parseSyslogEndpoint(endpoint)
    } catch (err) {
      // Checked when set; a stored value that no longer parses is reported, not thrown.
      this.log.warn({ endpoint, err: (err as Error).message }, 'audit forwarding endpoint invalid; entries are not forwarded')
      return null
    }
    if (parsed === null) return null
    this.sender = { endpoint, sender: new SyslogSender({ endpoint: parsed, log: this.log }) }
    return this.sender.sender
  }

  /** What the forwarding has sent and dropped so far (null when it is off). */
  forwardingStats(): SyslogCounts | null {
    return this.sender?.sender.stats() ?? null
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
    if (batch.length === 0) return this.writing
    this.writing = this.writing.then(async () => {
      const stores = this.stores
      const ids = new Map<string, number | null>()
      let forwarding: AuditForwarding = { endpoint: this.sender?.endpoint ?? '', skipDatabase: false }
      try {
        forwarding = await this.forwarding()
      } catch (err) {
        this.log.warn({ err }, 'reading the audit forwarding settings failed; entries go to the database (and the last endpoint)')
      }
      const sender = this.senderFor(forwarding.endpoint)
      // Without a sender (none set, or an invalid one) entries are never lost: they go to the database.
      const skipDatabase = forwarding.skipDatabase && sender !== null
      for (let i = 0; i < batch.length; i += 500) {
        try {
          const entries: AuditEntry[] = []
          const pulls = new Map<string, number>()
          for (const { projectName, repository, keepInDatabase, ...entry } of batch.slice(i, i + 500)) {
            if (repository !== undefined && entry.operation === 'pull' && entry.result === 'success') pulls.set(repository, (pulls.get(repository) ?? 0) + 1)
            if (projectName !== undefined && entry.projectId === null) {
              if (!ids.has(projectName)) ids.set(projectName, (await stores.projects.get(projectName))?.id ?? null)
              entry.projectId = ids.get(projectName)!
            }
            sender?.send(auditMessage(entry, this.host))
            if (!skipDatabase || keepInDatabase === true) entries.push(entry)
          }
          if (entries.length > 0) await stores.audit.insert(entries)
          for (const [repository, n] of pulls) await stores.catalog.addPulls(repository, n)
        } catch (err) {
          this.log.error({ err, entries: batch.length }, 'writing audit entries failed')
        }
      }
    })
    return this.writing
  }

  /** Writes what is buffered and closes the forwarding connection. */
  async close(): Promise<void> {
    await this.flush()
    await this.sender?.sender.close()
    this.sender = undefined
  }

  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<AuditRecord>> {
    await this.flush()
    return this.stores.audit.list(q, projectIds)
  }
}
