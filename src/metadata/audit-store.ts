// The audit log: who did what to which resource, from where, and whether it worked.
import { CompiledQuery, type Insertable, type Kysely, type Selectable } from 'kysely'
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

const CHUNK = 64
const COLUMNS = ['project_id', 'username', 'operation', 'resource_type', 'resource', 'result', 'client_ip', 'op_time'] as const
/** The INSERT for `rows` rows in this database's dialect; parameters go row by row in COLUMNS order. */
function compileInsert(db: Kysely<Database>, rows: number): string {
  const row = Object.fromEntries(COLUMNS.map((c) => [c, ''])) as unknown as Insertable<AuditLogTable>
  return db.insertInto('audit_logs').values(Array.from({ length: rows }, () => row)).compile().sql
}

function rowOf(e: AuditEntry): unknown[] {
  return [e.projectId, e.username, e.operation, e.resourceType, e.resource, e.result, e.clientIp, e.opTime]
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
  private readonly compiled = new Map<number, string>()

  constructor(private readonly db: Kysely<Database>) {}

  private insertSql(rows: number): string {
    let text = this.compiled.get(rows)
    if (text === undefined) this.compiled.set(rows, (text = compileInsert(this.db, rows)))
    return text
  }

  /**
   * Writes entries in one transaction. Every pull is audited, so this is on a hot path: the
   * INSERT is compiled once for CHUNK rows and once for one row, and re-run with new
   * parameters (a statement per batch size would be compiled, and cached, anew each time).
   */
  async insert(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.db.transaction().execute(async (trx) => {
      let i = 0
      for (; i + CHUNK <= entries.length; i += CHUNK) await trx.executeQuery(CompiledQuery.raw(this.insertSql(CHUNK), entries.slice(i, i + CHUNK).flatMap(rowOf)))
      for (; i < entries.length; i++) await trx.executeQuery(CompiledQuery.raw(this.insertSql(1), rowOf(entries[i]!)))
    })
  }

  /** Entries matching `q`, newest first; `projectIds` limits them to those projects' entries. */
  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<AuditRecord>> {
    let base = this.db.selectFrom('audit_logs').selectAll()
    if (projectIds !== undefined) base = base.where('project_id', 'in', projectIds.length > 0 ? projectIds : [-1])
    const page = await listPage(base, q, AUDIT_FIELDS, { column: 'id', desc: true })
    return { items: page.items.map(toRecord), total: page.total }
  }

  /** How many entries older than `before` (of `operations`, or all) there are. */
  async countOlder(before: string, operations: readonly string[] | null): Promise<number> {
    const r = await this.db
      .selectFrom('audit_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('op_time', '<', before)
      .$if(operations !== null, (q) => q.where('operation', 'in', operations!.length > 0 ? operations! : ['']))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /**
   * Deletes up to `limit` entries older than `before` (of `operations`, or all), oldest first:
   * how many. A purge calls it until it returns less than `limit`, so no statement holds the
   * table for long.
   */
  async deleteOlder(before: string, operations: readonly string[] | null, limit: number): Promise<number> {
    const ids = this.db
      .selectFrom('audit_logs')
      .select('id')
      .where('op_time', '<', before)
      .$if(operations !== null, (q) => q.where('operation', 'in', operations!.length > 0 ? operations! : ['']))
      .orderBy('id')
      .limit(limit)
    const r = await this.db.deleteFrom('audit_logs').where('id', 'in', ids).executeTakeFirst()
    return Number(r.numDeletedRows)
  }
}
