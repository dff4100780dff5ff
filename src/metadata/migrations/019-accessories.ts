// Migration 019: accessories and trusted keys.
// `accessories`: which artifact describes which (Harbor's artifact_accessory): a signature, an SBOM
// or another referrer, with Harbor's type. The subject is named by digest in the same repository,
// so a subject that arrives after its signature (or is pushed again) finds it. Rows come from an
// OCI 1.1 `subject` or from cosign's `sha256-<hex>.sig` tag; both are back-filled here, and the
// tagged signatures leave the listing as referrers already do.
// `project_trusted_keys`: public keys a project trusts for cosign signatures (Berth's own).
// Additive only: an older version ignores both tables.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('accessories')
    .addColumn('id', id as 'integer', pk)
    .addColumn('artifact_id', ref as 'integer', (c) => c.notNull().unique().references('artifacts.id').onDelete('cascade'))
    .addColumn('repository_id', ref as 'integer', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('subject_digest', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('accessories_subject').on('accessories').columns(['repository_id', 'subject_digest']).execute()

  await sql`insert into accessories (artifact_id, repository_id, subject_digest, type, created_at)
    select id, repository_id, subject_digest,
      case when artifact_type = 'application/vnd.dev.cosign.artifact.sig.v1+json' or artifact_type like 'application/vnd.dev.sigstore.bundle%' then 'signature.cosign'
           when artifact_type = 'application/vnd.cncf.notary.signature' then 'signature.notation'
           else 'subject.accessory' end,
      created_at
    from artifacts where subject_digest is not null`.execute(db)
  // cosign's tag convention: sha256-<64 hex>.sig names the signatures of sha256:<64 hex>.
  await sql`insert into accessories (artifact_id, repository_id, subject_digest, type, created_at)
    select t.artifact_id, t.repository_id, 'sha256:' || substr(t.name, 8, 64), 'signature.cosign', t.created_at
    from tags t
    where t.name like 'sha256-%.sig' and length(t.name) = 75
      and not exists (select 1 from accessories x where x.artifact_id = t.artifact_id)`.execute(db)
  await sql`update artifacts set listed = 0 where listed = 1 and exists (select 1 from accessories x where x.artifact_id = artifacts.id)`.execute(db)
  await sql`update repositories set artifact_count = (select count(*) from artifacts a where a.repository_id = repositories.id and a.listed = 1)`.execute(db)

  await db.schema
    .createTable('project_trusted_keys')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa', 'ed25519'
    .addColumn('algorithm', 'text', (c) => c.notNull())
    // The public key as SPKI PEM, normalised (re-exported) when it was stored.
    .addColumn('public_key', 'text', (c) => c.notNull())
    // sha256 of the key's DER SubjectPublicKeyInfo, hex: one key once per project.
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('creator', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('project_trusted_keys_name', ['project_id', 'name'])
    .addUniqueConstraint('project_trusted_keys_fingerprint', ['project_id', 'fingerprint'])
    .execute()
}
