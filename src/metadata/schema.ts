// The metadata tables as Kysely sees them. Times are ISO-8601 UTC strings on both dialects.
import type { Generated, Kysely } from 'kysely'

export interface ProjectTable {
  id: Generated<number>
  name: string
  public: number
  owner_id: number | null
  /** Deleted projects stay as renamed rows (`name#id`) so that their id is never reused. */
  deleted: Generated<number>
  created_at: string
  updated_at: string
  /** The registry a proxy-cache project caches (Harbor's registry_id); null for an ordinary project. */
  registry_id: Generated<number | null>
}

/** Short locks in the database, for nodes that share no Redis (see lock-store.ts). */
export interface LockTable {
  name: string
  token: string
  until: string
}

/** Harbor's project metadata other than `public` (which is `projects.public`): one row per key. */
export interface ProjectMetadataTable {
  project_id: number
  name: string
  /** As Harbor keeps it: a string ("true", "high", "-1"). */
  value: string
  created_at: string
  updated_at: string
}

export interface ProjectCveAllowlistTable {
  project_id: number
  /** Unix seconds; null: never expires. */
  expires_at: number | null
  /** JSON: string[] of CVE ids. */
  items: string
  created_at: string
  updated_at: string
}

export interface RepositoryTable {
  id: Generated<number>
  project_id: number
  name: string
  description: Generated<string>
  pull_count: Generated<number>
  /** Listed artifacts (what the artifact listing shows), kept in step by the artifact store. */
  artifact_count: Generated<number>
  created_at: string
  updated_at: string
}

/** Every piece of content in storage: layers, configs and manifests. */
export interface BlobTable {
  digest: string
  size: number
  created_at: string
  /** When a push last used the blob (upload, link, mount, HEAD); null: created_at. */
  touched_at: string | null
  /** Garbage collection's state: null, the id of the run that marked it a candidate, or 'deleting'. */
  gc_mark: string | null
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
  /** 0 when a listing shows it under another artifact (a referrer, a child of an index). */
  listed: Generated<number>
  /** Manifest plus config and layers (an index: plus its children's totals); null for rows written before migration 011. */
  total_size: number | null
  created_at: string
  /** When a client last pulled the manifest (migration 013); null when never. */
  pull_time: string | null
}

/** What a manifest points at: its blobs ('blob') and, for an index, its children ('manifest'). */
export interface ArtifactReferenceTable {
  artifact_id: number
  digest: string
  kind: 'blob' | 'manifest'
}

/** An artifact that describes another in its repository (migration 019): a signature, an SBOM... */
export interface AccessoryTable {
  id: Generated<number>
  artifact_id: number
  repository_id: number
  subject_digest: string
  /** Harbor's type: signature.cosign, signature.notation, sbom.harbor, subject.accessory. */
  type: string
  created_at: string
}

/** A public key a project trusts for cosign signatures (migration 019). */
export interface ProjectTrustedKeyTable {
  id: Generated<number>
  project_id: number
  name: string
  description: Generated<string>
  algorithm: string
  public_key: string
  fingerprint: string
  creator: Generated<string>
  created_at: string
}

export interface TagTable {
  id: Generated<number>
  repository_id: number
  artifact_id: number
  name: string
  created_at: string
  updated_at: string
  /** When a client last pulled the manifest by this tag (migration 013); null when never. */
  pull_time: string | null
}

export interface UploadTable {
  id: string
  repository: string
  /** Bytes acknowledged to the client: the upload's offset. */
  size: Generated<number>
  created_at: string
  updated_at: string
  /** The user or robot name that opened the session; null for sessions opened on no one's behalf. */
  owner: string | null
}

export interface UserTable {
  id: Generated<number>
  username: string
  email: string | null
  realname: Generated<string>
  comment: Generated<string>
  password_hash: string
  sysadmin: Generated<number>
  /** Set for users that came from LDAP; their password lives there. */
  ldap_dn: string | null
  /** Deleted users stay as renamed rows (`name#id`) so that their id is never reused. */
  deleted: Generated<number>
  created_at: string
  updated_at: string
}

/** Secrets sealed with secret_key (see auth/secret-box.ts), created once and read by every node. */
export interface SecretTable {
  name: string
  sealed: string
  created_at: string
}

/** LDAP groups known to Berth (made project members). */
export interface UserGroupTable {
  id: Generated<number>
  name: string
  ldap_dn: string
  created_at: string
}

export interface ProjectMemberTable {
  id: Generated<number>
  project_id: number
  entity_type: 'u' | 'g'
  entity_id: number
  role_id: number
  created_at: string
  updated_at: string
}

export interface RobotTable {
  id: Generated<number>
  name: string
  description: Generated<string>
  level: 'system' | 'project'
  project_id: number | null
  secret_hash: string
  /** JSON: RobotPermission[] */
  permissions: string
  disabled: Generated<number>
  /** Days; -1 for never. */
  duration: number
  expires_at: string | null
  created_at: string
  updated_at: string
}

export interface SessionTable {
  id_hash: string
  user_id: number
  /** JSON: LDAP group DNs of the user at login. */
  groups: Generated<string>
  expires_at: string
  created_at: string
}

export interface AuditLogTable {
  id: Generated<number>
  project_id: number | null
  username: string
  operation: string
  resource_type: string
  resource: string
  result: 'success' | 'failure'
  client_ip: Generated<string>
  op_time: string
}

export interface LabelTable {
  id: Generated<number>
  name: string
  description: Generated<string>
  color: Generated<string>
  scope: 'g' | 'p'
  project_id: number | null
  created_at: string
  updated_at: string
}

export interface ArtifactLabelTable {
  artifact_id: number
  label_id: number
  created_at: string
}

export interface SettingTable {
  key: string
  /** JSON */
  value: string
  updated_at: string
}

/** A durable job: claimed by a worker for a lease it renews by heartbeat. */
export interface JobTable {
  id: Generated<number>
  type: string
  /** JSON */
  payload: string
  state: 'pending' | 'running' | 'success' | 'error' | 'stopped'
  attempts: Generated<number>
  max_attempts: number
  run_at: string
  lease_owner: string | null
  lease_until: string | null
  stop_requested: Generated<number>
  dedupe_key: string | null
  last_error: string | null
  created_at: string
  updated_at: string
  started_at: string | null
  finished_at: string | null
  /** The W3C traceparent of the span that enqueued the job (migration 022); null when untraced. */
  trace_parent: string | null
}

export interface JobLogTable {
  id: Generated<number>
  job_id: number
  at: string
  line: string
}

export interface JobQueueTable {
  type: string
  paused: number
  updated_at: string
}

export interface ScheduleTable {
  id: Generated<number>
  vendor_type: string
  vendor_id: number
  cron: string
  job_type: string
  /** JSON */
  payload: string
  next_at: string
  created_at: string
  updated_at: string
}

export interface WorkerPoolTable {
  id: string
  host: string
  pid: number
  concurrency: number
  started_at: string
  heartbeat_at: string
}

export interface RegistryTable {
  id: Generated<number>
  name: string
  type: string
  url: string
  description: Generated<string>
  credential_type: Generated<string>
  access_key: Generated<string>
  /** Sealed with secret_key; '' for none. */
  access_secret: Generated<string>
  insecure: Generated<number>
  instance_id: string | null
  created_at: string
  updated_at: string
}

export interface ReplicationPolicyTable {
  id: Generated<number>
  name: string
  description: Generated<string>
  src_registry_id: number | null
  dest_registry_id: number | null
  dest_namespace: Generated<string>
  dest_namespace_replace_count: Generated<number>
  trigger_type: string
  cron: Generated<string>
  /** JSON */
  filters: Generated<string>
  replicate_deletion: Generated<number>
  override: Generated<number>
  enabled: Generated<number>
  speed: Generated<number>
  copy_by_chunk: Generated<number>
  created_at: string
  updated_at: string
}

export interface ReplicationExecutionTable {
  id: Generated<number>
  policy_id: number
  status: string
  status_text: Generated<string>
  trigger: string
  start_time: string
  end_time: string | null
}

export interface ReplicationTaskTable {
  id: Generated<number>
  execution_id: number
  status: string
  operation: string
  resource_type: string
  src_resource: string
  dst_resource: string
  job_id: number | null
  start_time: string | null
  end_time: string | null
}

/** One run of background work (migration 010): vendor_type names what kind, vendor_id which policy. */
export interface ExecutionTable {
  id: Generated<number>
  vendor_type: string
  vendor_id: number
  status: string
  status_message: Generated<string>
  trigger: string
  extra_attrs: Generated<string>
  start_time: string
  end_time: string | null
  update_time: string
  /** 1: runs of this vendor may overlap (no one-at-a-time rule). */
  concurrent: Generated<number>
}

export interface TaskTable {
  id: Generated<number>
  execution_id: number
  status: string
  status_message: Generated<string>
  kind: Generated<string>
  subject: Generated<string>
  extra_attrs: Generated<string>
  job_id: number | null
  run_count: Generated<number>
  creation_time: string
  start_time: string | null
  end_time: string | null
  update_time: string
}

/** A project's webhook policy (migration 015); targets and event types as JSON, secrets sealed. */
export interface WebhookPolicyTable {
  id: Generated<number>
  project_id: number
  name: string
  description: Generated<string>
  targets: string
  event_types: string
  creator: Generated<string>
  enabled: Generated<number>
  created_at: string
  updated_at: string
}

export interface ScannerTable {
  id: Generated<number>
  uuid: string
  name: string
  description: Generated<string>
  url: string
  /** '' (none), 'Basic', 'Bearer' or 'X-ScannerAdapter-API-Key'. */
  auth: Generated<string>
  /** Sealed with secret_key; null without auth. */
  access_credential: string | null
  skip_cert_verify: Generated<number>
  use_internal_addr: Generated<number>
  disabled: Generated<number>
  is_default: Generated<number>
  created_at: string
  updated_at: string
}

export interface ProjectScannerTable {
  project_id: number
  scanner_id: number
}

export interface ScanReportTable {
  id: Generated<number>
  uuid: string
  /** The manifest digest scanned; reports are shared by every repository holding it. */
  digest: string
  scanner_id: number
  /** The report type asked of the adapter (its MIME type). */
  mime_type: string
  /** Pending, Running, Success, Error, Stopped. */
  status: string
  /** None, Unknown, Low, Medium, High, Critical. */
  severity: Generated<string>
  /** JSON summary (counts by severity, fixable) or the SBOM's digest. */
  summary: string | null
  /** The adapter's report (JSON); null until Success. */
  report: string | null
  execution_id: number | null
  start_time: string
  end_time: string | null
}

export interface ScanVulnerabilityTable {
  id: Generated<number>
  report_id: number
  cve_id: string
  package: string
  package_version: Generated<string>
  fixed_version: Generated<string>
  severity: string
  /** 0 None/Negligible, 1 Unknown, 2 Low, 3 Medium, 4 High, 5 Critical. */
  severity_rank: number
  cvss_score_v3: number | null
  cvss_vector_v3: string | null
  description: Generated<string>
  /** JSON string[]. */
  links: Generated<string>
}

export interface ArtifactPathTable {
  repository_id: number
  digest: string
  path: string
  updated_at: string
}

/** Content a project's artifacts reference, once per project (quota usage counts each once). */
export interface ProjectBlobTable {
  project_id: number
  digest: string
  size: number
  /** Artifacts of the project referencing the digest, as their manifest or as a blob. */
  refs: number
}

/** A project's storage limit and usage, in bytes (hard -1: no limit). */
export interface QuotaUsageTable {
  project_id: number
  hard: Generated<number>
  used: Generated<number>
  created_at: string
  updated_at: string
}

/** A project's tag immutability rule (migration 012). */
export interface ImmutableRuleTable {
  id: Generated<number>
  project_id: number
  disabled: number
  priority: number
  /** JSON: Harbor's rule without id, priority and disabled (action, template, params, selectors). */
  rule: string
  created_at: string
  updated_at: string
}

/** A project's tag retention policy (migration 016): at most one per project. */
export interface RetentionPolicyTable {
  id: Generated<number>
  project_id: number
  /** JSON: Harbor's policy without id and scope (algorithm, rules, trigger). */
  policy: string
  created_at: string
  updated_at: string
}

export interface Database {
  projects: ProjectTable
  project_metadata: ProjectMetadataTable
  project_cve_allowlists: ProjectCveAllowlistTable
  repositories: RepositoryTable
  blobs: BlobTable
  repository_blobs: RepositoryBlobTable
  artifacts: ArtifactTable
  artifact_references: ArtifactReferenceTable
  tags: TagTable
  accessories: AccessoryTable
  project_trusted_keys: ProjectTrustedKeyTable
  uploads: UploadTable
  users: UserTable
  secrets: SecretTable
  user_groups: UserGroupTable
  project_members: ProjectMemberTable
  robots: RobotTable
  sessions: SessionTable
  audit_logs: AuditLogTable
  labels: LabelTable
  artifact_labels: ArtifactLabelTable
  settings: SettingTable
  jobs: JobTable
  job_logs: JobLogTable
  job_queues: JobQueueTable
  schedules: ScheduleTable
  worker_pools: WorkerPoolTable
  registries: RegistryTable
  locks: LockTable
  replication_policies: ReplicationPolicyTable
  replication_executions: ReplicationExecutionTable
  replication_tasks: ReplicationTaskTable
  artifact_paths: ArtifactPathTable
  executions: ExecutionTable
  tasks: TaskTable
  project_blobs: ProjectBlobTable
  quota_usage: QuotaUsageTable
  immutable_rules: ImmutableRuleTable
  webhook_policies: WebhookPolicyTable
  retention_policies: RetentionPolicyTable
  scanners: ScannerTable
  project_scanners: ProjectScannerTable
  scan_reports: ScanReportTable
  scan_vulnerabilities: ScanVulnerabilityTable
}

export type Dialect = 'sqlite' | 'postgres'

/** The database handle every store takes: Kysely plus which dialect is underneath. */
export interface Db {
  readonly kysely: Kysely<Database>
  readonly dialect: Dialect
  close(): Promise<void>
}
