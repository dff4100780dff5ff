// The metadata stores, built over one executor: the database itself or a transaction.
import type { Kysely } from 'kysely'
import type { Database, Db } from './schema.js'
import { ProjectStore } from './project-store.js'
import { RepositoryStore } from './repository-store.js'
import { BlobLinkStore } from './blob-link-store.js'
import { ArtifactStore } from './artifact-store.js'
import { UploadStore } from './upload-store.js'
import { UserStore } from './user-store.js'
import { SecretStore } from './secret-store.js'
import { MemberStore } from './member-store.js'
import { GroupStore } from './group-store.js'
import { RobotStore } from './robot-store.js'
import { SessionStore } from './session-store.js'
import { AuditStore } from './audit-store.js'
import { CatalogStore } from './catalog-store.js'
import { LabelStore } from './label-store.js'
import { SettingStore } from './setting-store.js'
import { RegistryStore } from './registry-store.js'
import { ArtifactPathStore, ReplicationExecutionStore, PolicyStore, ReplicationTaskStore } from './replication-store.js'
import { ExecutionStore, TaskStore } from './execution-store.js'
import { QuotaStore } from './quota-store.js'
import { ImmutableRuleStore } from './immutable-rule-store.js'
import { WebhookStore } from './webhook-store.js'
import { RetentionPolicyStore } from './retention-policy-store.js'

export interface Stores {
  projects: ProjectStore
  repositories: RepositoryStore
  blobLinks: BlobLinkStore
  artifacts: ArtifactStore
  uploads: UploadStore
  users: UserStore
  secrets: SecretStore
  members: MemberStore
  groups: GroupStore
  robots: RobotStore
  sessions: SessionStore
  audit: AuditStore
  catalog: CatalogStore
  labels: LabelStore
  settings: SettingStore
  registries: RegistryStore
  policies: PolicyStore
  /** Every kind of background work's runs and their tasks (vendor_type tells them apart). */
  executions: ExecutionStore
  tasks: TaskStore
  /** Replication's runs, in its own words. */
  replicationExecutions: ReplicationExecutionStore
  replicationTasks: ReplicationTaskStore
  webhooks: WebhookStore
  artifactPaths: ArtifactPathStore
  quotas: QuotaStore
  immutableRules: ImmutableRuleStore
  retentionPolicies: RetentionPolicyStore
}

export function storesOver(executor: Kysely<Database>): Stores {
  return {
    projects: new ProjectStore(executor),
    repositories: new RepositoryStore(executor),
    blobLinks: new BlobLinkStore(executor),
    artifacts: new ArtifactStore(executor),
    uploads: new UploadStore(executor),
    users: new UserStore(executor),
    secrets: new SecretStore(executor),
    members: new MemberStore(executor),
    groups: new GroupStore(executor),
    robots: new RobotStore(executor),
    sessions: new SessionStore(executor),
    audit: new AuditStore(executor),
    catalog: new CatalogStore(executor),
    labels: new LabelStore(executor),
    settings: new SettingStore(executor),
    registries: new RegistryStore(executor),
    policies: new PolicyStore(executor),
    executions: new ExecutionStore(executor),
    tasks: new TaskStore(executor),
    replicationExecutions: new ReplicationExecutionStore(executor),
    replicationTasks: new ReplicationTaskStore(executor),
    webhooks: new WebhookStore(executor),
    artifactPaths: new ArtifactPathStore(executor),
    quotas: new QuotaStore(executor),
    immutableRules: new ImmutableRuleStore(executor),
    retentionPolicies: new RetentionPolicyStore(executor),
  }
}

/** Runs `fn` in one transaction with stores bound to it. */
export function inTransaction<T>(db: Db, fn: (stores: Stores, trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute((trx) => fn(storesOver(trx), trx))
}

