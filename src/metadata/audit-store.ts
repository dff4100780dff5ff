// The audit log: who did what to which resource, from where, and whether it worked.
import type { Kysely, Selectable } from 'kysely'
import type { AuditLogTable, Database } from './schema.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface AuditEntry {
  projectId: number | null
  username: string
  operation: string
  resourceType: string
  resource: string
  result: 'success' | 'failure'
  clientIp: string
  opTime: string
}

export interface AuditRecord extends AuditEntry {
  id: number
}

export const AUDIT_FIELDS: Fields = {
  username: { column: 'username' },
  operation: { column: 'operation' },
  resource_type: { column: 'resource_type' },
  resource: { column: 'resource' },
  result: { column: 'result' },
  client_ip: { column: 'client_ip' },
  project_id: { column: 'project_id', type: 'int' },
  op_time: { column: 'op_time', type: 'time' },
  id: { column: 'id', type: 'int' },
}

function toRecord(r: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    username: r.username,
    operation: r.operation,
    resourceType: r.resource_type,
    resource: r.resource,
    result: r.result,
    clientIp: r.client_ip,
    opTime: r.op_time,
  }
}

export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.db
      .insertInto('audit_logs')
      .values(
        entries.map((e) => ({
          project_id: e.projectId,
          username: e.username,
          operation: e.operation,
          resource_type: e.resourceType,
          resource: e.resource,
          result: e.result,
          client_ip: e.clientIp,
          op_time: e.opTime,
        })),
      )
      .execute()
  }

  /** Entries matching `q`, newest first; `projectIds` limits them to those projects' entries. */
  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<AuditRecord>> {
    let base = this.db.selectFrom('audit_logs').selectAll()
    if (projectIds !== undefined) base = base.where('project_id', 'in', projectIds.length > 0 ? projectIds : [-1])
    const page = await listPage(base, q, AUDIT_FIELDS, { column: 'id', desc: true })
    return { items: page.items.map(toRecord), total: page.total }
  }
}
