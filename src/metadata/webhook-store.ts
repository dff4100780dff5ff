// Webhook policies (migration 015). Targets keep their auth header and signing secret sealed: the
// store hands them back as stored and never opens them; the webhook service does.
import type { Kysely, Selectable } from 'kysely'
import type { Database, WebhookPolicyTable } from './schema.js'
import { containing, listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface StoredTarget {
  type: 'http' | 'slack'
  address: string
  /** Sealed with secret_key; '' when there is none. */
  authHeader: string
  /** Sealed with secret_key; '' when there is none. */
  signingSecret: string
  skipCertVerify: boolean
  payloadFormat: 'Default' | 'CloudEvents'
}

export interface WebhookPolicy {
  id: number
  projectId: number
  name: string
  description: string
  targets: StoredTarget[]
  eventTypes: string[]
  creator: string
  enabled: boolean
  createdAt: string
  updatedAt: string
}

export type WebhookPolicyFields = Omit<WebhookPolicy, 'id' | 'projectId' | 'creator' | 'createdAt' | 'updatedAt'>

const FIELDS: Fields = {
  id: { column: 'id', type: 'int' },
  name: { column: 'name' },
  enabled: { column: 'enabled', type: 'bool' },
  creation_time: { column: 'created_at', type: 'time' },
  update_time: { column: 'updated_at', type: 'time' },
}

function policyOf(r: Selectable<WebhookPolicyTable>): WebhookPolicy {
  return {
    id: Number(r.id),
    projectId: Number(r.project_id),
    name: r.name,
    description: r.description,
    targets: JSON.parse(r.targets) as StoredTarget[],
    eventTypes: JSON.parse(r.event_types) as string[],
    creator: r.creator,
    enabled: Number(r.enabled) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a policy; null when the project has one by that name. */
  async create(projectId: number, creator: string, f: WebhookPolicyFields): Promise<number | null> {
    const at = new Date().toISOString()
    const r = await this.db
      .insertInto('webhook_policies')
      .values({
        project_id: projectId,
        name: f.name,
        description: f.description,
        targets: JSON.stringify(f.targets),
        event_types: JSON.stringify(f.eventTypes),
        creator,
        enabled: f.enabled ? 1 : 0,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  /** A policy of the project; null for another project's or none. */
  async get(projectId: number, id: number): Promise<WebhookPolicy | null> {
    const r = await this.db.selectFrom('webhook_policies').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst()
    return r === undefined ? null : policyOf(r)
  }

  async list(projectId: number, q: ListQuery): Promise<Listed<WebhookPolicy>> {
    const page = await listPage(this.db.selectFrom('webhook_policies').selectAll().where('project_id', '=', projectId), q, FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(policyOf), total: page.total }
  }

  /** The project's enabled policies that want `eventType` (at most `limit`). */
  async subscribed(projectId: number, eventType: string, limit = 100): Promise<WebhookPolicy[]> {
    const rows = await this.db
      .selectFrom('webhook_policies')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('enabled', '=', 1)
      // event_types is a JSON array of plain upper-case names: a quoted name matches exactly one.
      .where(containing('event_types', `"${eventType}"`))
      .orderBy('id')
      .limit(limit)
      .execute()
    return rows.map(policyOf)
  }

  /** Replaces a policy's fields; false when the name is taken in the project, or no such policy. */
  async update(projectId: number, id: number, f: WebhookPolicyFields): Promise<'ok' | 'missing' | 'name-taken'> {
    const taken = await this.db.selectFrom('webhook_policies').select('id').where('project_id', '=', projectId).where('name', '=', f.name).where('id', '!=', id).executeTakeFirst()
    if (taken !== undefined) return 'name-taken'
    const r = await this.db
      .updateTable('webhook_policies')
      .set({ name: f.name, description: f.description, targets: JSON.stringify(f.targets), event_types: JSON.stringify(f.eventTypes), enabled: f.enabled ? 1 : 0, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1 ? 'ok' : 'missing'
  }

  async delete(projectId: number, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('webhook_policies').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst()
    return Number(r.numDeletedRows) === 1
  }

  /** Every event type some enabled policy wants, across all projects. */
  async typesInUse(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('webhook_policies').select('event_types').distinct().where('enabled', '=', 1).execute()
    return new Set(rows.flatMap((r) => JSON.parse(r.event_types) as string[]))
  }

  async countIn(projectId: number): Promise<number> {
    const r = await this.db.selectFrom('webhook_policies').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /** Deletes every policy of a project (the project is being deleted). */
  async deleteAllOf(projectId: number): Promise<void> {
    await this.db.deleteFrom('webhook_policies').where('project_id', '=', projectId).execute()
  }

  /** For each event type, when the policy last triggered (its newest delivery task). */
  async lastTriggers(policyIds: readonly number[]): Promise<{ policyId: number; eventType: string; at: string }[]> {
    if (policyIds.length === 0) return []
    const rows = await this.db
      .selectFrom('tasks as t')
      .innerJoin('executions as e', 'e.id', 't.execution_id')
      .select(['e.vendor_id', 't.kind', (eb) => eb.fn.max('t.creation_time').as('at')])
      .where('e.vendor_type', '=', 'WEBHOOK')
      .where('e.vendor_id', 'in', policyIds)
      .groupBy(['e.vendor_id', 't.kind'])
      .execute()
    return rows.map((r) => ({ policyId: Number(r.vendor_id), eventType: r.kind, at: String(r.at) }))
  }
}
