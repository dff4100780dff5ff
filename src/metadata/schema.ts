// The metadata tables as Kysely sees them. Times are ISO-8601 UTC strings on both dialects.
import type { Generated, Kysely } from 'kysely'

export interface ProjectTable {
  id: Generated<number>
  name: string
  public: number
  created_at: string
  updated_at: string
}

export interface RepositoryTable {
  id: Generated<number>
  project_id: number
  name: string
  created_at: string
  updated_at: string
}

/** Every piece of content in storage: layers, configs and manifests. */
export interface BlobTable {
  digest: string
  size: number
  created_at: string
}

/** Which repository may serve which blob (distribution's "links"). */
export interface RepositoryBlobTable {
  repository_id: number
  digest: string
  created_at: string
}

export interface ArtifactTable {
  id: Generated<number>
  repository_id: number
  digest: string
  media_type: string
  artifact_type: string | null
  size: number
  subject_digest: string | null
  annotations: string | null
  created_at: string
}

/** What a manifest points at: its blobs ('blob') and, for an index, its children ('manifest'). */
export interface ArtifactReferenceTable {
  artifact_id: number
  digest: string
  kind: 'blob' | 'manifest'
}

export interface TagTable {
  id: Generated<number>
  repository_id: number
  artifact_id: number
  name: string
  created_at: string
  updated_at: string
}

export interface UploadTable {
  id: string
  repository: string
  /** Bytes acknowledged to the client: the upload's offset. */
  size: Generated<number>
  created_at: string
  updated_at: string
}

export interface UserTable {
  id: Generated<number>
  username: string
  email: string | null
  realname: Generated<string>
  comment: Generated<string>
  password_hash: string
  sysadmin: Generated<number>
  created_at: string
  updated_at: string
}

/** Secrets sealed with secret_key (see auth/secret-box.ts), created once and read by every node. */
export interface SecretTable {
  name: string
  sealed: string
  created_at: string
}

export interface Database {
  projects: ProjectTable
  repositories: RepositoryTable
  blobs: BlobTable
  repository_blobs: RepositoryBlobTable
  artifacts: ArtifactTable
  artifact_references: ArtifactReferenceTable
  tags: TagTable
  uploads: UploadTable
  users: UserTable
  secrets: SecretTable
}

export type Dialect = 'sqlite' | 'postgres'

/** The database handle every store takes: Kysely plus which dialect is underneath. */
export interface Db {
  readonly kysely: Kysely<Database>
  readonly dialect: Dialect
  close(): Promise<void>
}
