// Remote registries replication talks to. The secret is stored sealed; this store never sees it in clear.
import type { Kysely, Selectable } from 'kysely'
import type { Database, RegistryTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { containing } from './list-query.js'

export interface RegistryRow {
  id: number
  name: string
  type: string
  url: string
  description: string
  credentialType: string
  accessKey: string
  /** Sealed; '' when there is none. */
  sealedSecret: string
  insecure: boolean
  instanceId: string | null
  createdAt: string
  updatedAt: string
}

export type RegistryFields = Pick<RegistryRow, 'name' | 'type' | 'url' | 'description' | 'credentialType' | 'accessKey' | 'sealedSecret' | 'insecure'>

function rowOf(r: Selectable<RegistryTable>): RegistryRow {
  return {
    id: Number(r.id),
    name: r.name,
    type: r.type,
    url: r.url,
    description: r.description,
    credentialType: r.credential_type,
    accessKey: r.access_key,
    sealedSecret: r.access_secret,
    insecure: Number(r.insecure) === 1,
    instanceId: r.instance_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function columns(f: Partial<RegistryFields>) {
  return {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.type !== undefined ? { type: f.type } : {}),
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.credentialType !== undefined ? { credential_type: f.credentialType } : {}),
    ...(f.accessKey !== undefined ? { access_key: f.accessKey } : {}),
    ...(f.sealedSecret !== undefined ? { access_secret: f.sealedSecret } : {}),
    ...(f.insecure !== undefined ? { insecure: f.insecure ? 1 : 0 } : {}),
  }
}

export class RegistryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(f: RegistryFields): Promise<number> {
    const at = nowIso()
    const r = await this.db
      .insertInto('registries')
      .values({ ...columns(f), name: f.name, type: f.type, url: f.url, created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(r.id)
  }

  async get(id: number): Promise<RegistryRow | null> {
    const r = await this.db.selectFrom('registries').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : rowOf(r)
  }

  async getByName(name: string): Promise<RegistryRow | null> {
    const r = await this.db.selectFrom('registries').selectAll().where('name', '=', name).executeTakeFirst()
    return r === undefined ? null : rowOf(r)
  }

  /** Registries by id, optionally those whose name contains `name`. */
  async list(name?: string): Promise<RegistryRow[]> {
    const rows = await this.db
      .selectFrom('registries')
      .selectAll()
      .$if(name !== undefined && name !== '', (q) => q.where(containing('name', name!)))
      .orderBy('id')
      .execute()
    return rows.map(rowOf)
  }

  /** One page of `list`, and how many registries it pages through. */
  async page(name: string | undefined, offset: number, limit: number): Promise<{ items: RegistryRow[]; total: number }> {
    const matching = this.db.selectFrom('registries').$if(name !== undefined && name !== '', (q) => q.where(containing('name', name!)))
    const [rows, count] = await Promise.all([
      matching.selectAll().orderBy('id').limit(limit).offset(offset).execute(),
      matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(rowOf), total: Number(count.n) }
  }

  async update(id: number, f: Partial<RegistryFields>): Promise<void> {
    await this.db
      .updateTable('registries')
      .set({ ...columns(f), instance_id: null, updated_at: nowIso() })
      .where('id', '=', id)
      .execute()
  }

  async setInstanceId(id: number, instanceId: string): Promise<void> {
    await this.db.updateTable('registries').set({ instance_id: instanceId }).where('id', '=', id).execute()
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('registries').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) === 1
  }
}
