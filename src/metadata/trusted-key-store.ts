// The public keys each project trusts for cosign signatures (migration 019).
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export interface TrustedKey {
  id: number
  projectId: number
  name: string
  description: string
  algorithm: string
  publicKey: string
  fingerprint: string
  creator: string
  createdAt: string
}

export type NewTrustedKey = Omit<TrustedKey, 'id' | 'createdAt'>

type Row = { id: number; project_id: number; name: string; description: string; algorithm: string; public_key: string; fingerprint: string; creator: string; created_at: string }

function toKey(r: Row): TrustedKey {
  return { id: Number(r.id), projectId: Number(r.project_id), name: r.name, description: r.description, algorithm: r.algorithm, publicKey: r.public_key, fingerprint: r.fingerprint, creator: r.creator, createdAt: r.created_at }
}

export class TrustedKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** A project's keys in id order (a project holds at most a few dozen). */
  async list(projectId: number): Promise<TrustedKey[]> {
    return (await this.db.selectFrom('project_trusted_keys').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(toKey)
  }

  async count(projectId: number): Promise<number> {
    const r = await this.db.selectFrom('project_trusted_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst()
    return Number(r?.n ?? 0)
  }

  /** The key `id` of the project; null when it is another project's or missing. */
  async get(projectId: number, id: number): Promise<TrustedKey | null> {
    const r = await this.db.selectFrom('project_trusted_keys').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toKey(r)
  }

  /** Which of the name and fingerprint the project already has ('name', 'fingerprint' or null). */
  async clash(projectId: number, name: string, fingerprint: string): Promise<'name' | 'fingerprint' | null> {
    const r = await this.db
      .selectFrom('project_trusted_keys')
      .select(['name', 'fingerprint'])
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('name', '=', name), eb('fingerprint', '=', fingerprint)]))
      .executeTakeFirst()
    return r === undefined ? null : r.name === name ? 'name' : 'fingerprint'
  }

  async create(k: NewTrustedKey): Promise<TrustedKey> {
    const created_at = nowIso()
    const row = await this.db
      .insertInto('project_trusted_keys')
      .values({ project_id: k.projectId, name: k.name, description: k.description, algorithm: k.algorithm, public_key: k.publicKey, fingerprint: k.fingerprint, creator: k.creator, created_at })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { ...k, id: Number(row.id), createdAt: created_at }
  }

  async delete(projectId: number, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('project_trusted_keys').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }
}
