// Composition of the use cases from configuration: database (migrated), secrets, identity,
// storage and the services. The HTTP server and the admin CLI both start from here.
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { createLogger, type Logger } from '../lib/logger.js'
import { openDb, migrate } from '../metadata/db.js'
import type { Db } from '../metadata/schema.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import { FilesystemDriver } from '../storage/drivers/filesystem.js'
import type { StorageDriver } from '../storage/driver.js'
import { TimedDriver } from '../storage/timed-driver.js'
import type { Metrics } from '../lib/metrics.js'
import { StatsStore } from '../metadata/stats-store.js'
import { ClusterStats } from '../services/system/cluster-stats.js'
import { TracedDriver } from '../storage/traced-driver.js'
import { BlobStore } from '../storage/blob-store.js'
import { RegistryContext } from '../services/registry/registry-context.js'
import { BlobService } from '../services/registry/blob-service.js'
import { ManifestService } from '../services/registry/manifest-service.js'
import { AuditLog } from '../services/audit/audit-log.js'
import { UserService } from '../services/identity/user-service.js'
import { ProjectService } from '../services/identity/project-service.js'
import { RobotService } from '../services/identity/robot-service.js'
import { ContentService } from '../services/registry/content-service.js'
import { LabelService } from '../services/registry/label-service.js'
import { ImmutabilityService } from '../services/immutability/immutability-service.js'
import { RetentionService } from '../services/retention/retention-service.js'
import { PullPolicy, SignatureGate } from '../services/registry/pull-policy.js'
import { TrustedKeyService } from '../services/registry/trusted-key-service.js'
import { TrustedKeyStore } from '../metadata/trusted-key-store.js'
import { readCapped } from '../lib/streams.js'
import { parseReference } from '../oci/names.js'
import { SettingsService, type RuntimeSettings } from '../services/system/settings-service.js'
import { HARBOR_API_LEVEL, SystemService, VERSION } from '../services/system/system-service.js'
import { QuotaService } from '../services/quota/quota-service.js'
import { MemoryState, type SharedState } from '../cache/shared-state.js'
import { JobService } from '../jobs/job-service.js'
import { Executions } from '../jobs/executions.js'
import { WebhookService } from '../services/webhook/webhook-service.js'
import { SystemJobs, type SystemJobApi } from '../services/system/system-jobs.js'
import { auditPurge } from '../services/audit/audit-purge.js'
import { EventDispatcher } from '../events/dispatcher.js'
import { PullRecorder } from '../services/registry/pull-recorder.js'
import { uploadPurgeJob } from '../services/registry/blob-service.js'
import { sessionPurgeJob } from '../services/identity/session-purge.js'
import { garbageCollection, type GcHooks } from '../services/gc/garbage-collection.js'
import { ReplicationService } from '../services/replication/replication-service.js'
import { LocalRegistry } from '../services/replication/local-registry.js'
import { VulnerabilityStore } from '../metadata/vulnerability-store.js'
import { VulnerabilityPolicy } from '../services/scan/vulnerability-policy.js'
import { SecurityHub } from '../services/scan/security-hub.js'
import { CveExport } from '../services/scan/cve-export.js'
import { CveExportStore } from '../metadata/cve-export-store.js'
import { VulnerabilityGate } from '../services/registry/vulnerability-gate.js'
import { isScanCredential } from '../auth/scan-credential.js'
import { OutboundGuard } from '../remote/outbound-guard.js'
import { registryClient } from '../remote/registry-client.js'
import { ProxyCache } from '../services/proxy-cache/proxy-cache.js'
import { LockStore } from '../metadata/lock-store.js'
import { SecretBox } from '../auth/secret-box.js'
import { checkSecretKey, resolveSecretKey } from '../auth/secret-key.js'
import { ensureAdmin } from '../auth/admin-user.js'
import { TokenService } from '../auth/token-service.js'
import { sharedSecret } from '../auth/shared-secrets.js'
import { Sessions } from '../auth/sessions.js'
import { RobotSecrets } from '../auth/robot-secret.js'
import { LoginGuard } from '../auth/login-guard.js'
import { Passwords } from '../auth/password.js'
import { Authenticator } from '../auth/authenticator.js'
import { AccessController } from '../auth/access.js'
import type { Directory } from '../auth/identity.js'
import type { Security } from '../http/security.js'
import { resolvedPaths, type Config } from './config.js'
import { ScannerRegistry } from '../services/scan/scanner-registry.js'
import { ScanService } from '../services/scan/scan-service.js'
import { ScanAllService } from '../services/scan/scan-all.js'
import { SbomAccessories } from '../services/scan/sbom-accessory.js'

/** Harbor's job service words for how a job attempt ended (pending: it will be retried). */
const JOB_STATUS: Record<string, string> = { success: 'Success', error: 'Error', stopped: 'Stopped', pending: 'Retry' }

/** Storage drivers by name; config picks one. Heavy SDKs load only when chosen. */
const STORAGE_DRIVERS: Record<Config['storage']['driver'], (config: Config, root: string) => Promise<StorageDriver>> = {
  filesystem: async (config, root) => new FilesystemDriver(root, { accelRedirectPrefix: config.storage.accel_redirect_prefix }),
  s3: async (config) => {
    const { S3Driver } = await import('../storage/drivers/s3.js')
    const s3 = config.s3
    return new S3Driver({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      prefix: s3.prefix,
      accessKey: s3.access_key,
      secretKey: s3.secret_key,
      forcePathStyle: s3.force_path_style,
      redirect: s3.redirect,
    })
  },
}

/** The configured storage driver (for commands that move bytes without the whole registry). */
export async function openStorageDriver(config: Config): Promise<StorageDriver> {
  return await STORAGE_DRIVERS[config.storage.driver](config, resolvedPaths(config).storageRoot)
}

export interface Services {
  config: Config
  db: Db
  stores: Stores
  log: Logger
  audit: AuditLog
  security: Security
  blobService: BlobService
  manifestService: ManifestService
  users: UserService
  projects: ProjectService
  robots: RobotService
  content: ContentService
  labels: LabelService
  /** Tag immutability rules, and the check every tag move or removal passes. */
  immutability: ImmutabilityService
  /** Tag retention policies and their runs. */
  retention: RetentionService
  /** What a manifest pull must satisfy (content trust: cosign and notation signatures). */
  pullPolicy: PullPolicy
  /** Projects' trusted cosign keys. */
  trustedKeys: TrustedKeyService
  settings: SettingsService
  system: SystemService
  quotas: QuotaService
  /** Counters and messages shared between nodes (Redis), or this process's own. */
  shared: SharedState
  /** Durable jobs; the server starts its workers. */
  jobs: JobService
  /** Runs of background work and their tasks (garbage collection, purges, retention, webhooks). */
  executions: Executions
  /** Harbor's audit-log purge (/system/purgeaudit). */
  purgeAudit: SystemJobApi
  /** The event bus: subscribe here to react to pushes, pulls and deletes. */
  events: EventDispatcher
  /** Pulls of manifests, written in batches. */
  pulls: PullRecorder
  /** Harbor's garbage collection (/system/gc). */
  gc: SystemJobApi
  replication: ReplicationService
  /** Proxy-cache projects: pulls through to their upstream registries. */
  proxyCache: ProxyCache
  /** Projects' webhook policies and their deliveries. */
  webhooks: WebhookService
  /** The system CVE allowlist and the allowlist in force per project. */
  vulnerabilityPolicy: VulnerabilityPolicy
  /** The security hub and the CVE query. */
  securityHub: SecurityHub
  /** Harbor's CVE export (/export/cve). */
  cveExport: CveExport
  /** This registry's id on replication paths. */
  instanceId: string
  /** Scanner registrations and a project's scanner. */
  scanners: ScannerRegistry
  /** Vulnerability scans and SBOM generation. */
  scans: ScanService
  /** Scan-all, now or on a schedule. */
  scanAll: ScanAllService
  directory?: Directory
  /** The Prometheus metrics, when metrics.enabled. */
  metrics?: Metrics
  /** Flushes the audit log (and closes its forwarding) and closes the database. */
  close(): Promise<void>
}

export interface ServicesOptions {
  log?: Logger
  /** Shows the generated admin password; by default printed once on stderr. */
  showOnce?: (password: string) => void
  /** Pauses inside garbage collection (tests only). */
  gcHooks?: GcHooks
  /** Where the web console's built files are (tests only; by default dist/web). */
  consoleDir?: string
  /** The metrics to record into when metrics.enabled (a worker's, labelled); by default new ones. */
  metrics?: Metrics
}

/** Where clients pull from, as resource URLs show it: external_url's host, else the listening address. */
function registryHost(config: Config): string {
  if (config.external_url !== '') return new URL(config.external_url).host
  return `${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${config.http.port}`
}

/** Prints the generated admin password once, outside the structured log. */
function showOnce(password: string): void {
  process.stderr.write(`\nberth: created user "admin" with the generated password: ${password}\nberth: it is shown only this once; change it after logging in.\n\n`)
}

export async function openServices(config: Config, o: ServicesOptions = {}): Promise<Services> {
  const log = o.log ?? createLogger(config.log.level)
  const paths = resolvedPaths(config)
  // prom-client is loaded only when metrics are on.
  const metrics = config.metrics.enabled ? (o.metrics ?? new (await import('../lib/metrics.js')).Metrics({ onError: (err, what) => log.warn({ err, what }, 'reading metrics failed') })) : undefined
  const db = await openDb(paths.databaseUrl, { poolSize: config.database.pool_size, trace: config.tracing.enabled })
  const stores = storesOver(db.kysely)
  let tokens: TokenService
  let csrfKey: Buffer
  let box: SecretBox
  let instanceId: string
  let robotSecrets: RobotSecrets
  const passwords = new Passwords({
    concurrency: config.auth.hash_concurrency > 0 ? config.auth.hash_concurrency : Math.max(1, Math.floor(availableParallelism() / 2)),
    maxQueued: config.auth.hash_queue,
  })
  try {
    const applied = await migrate(db)
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated')
    box = new SecretBox(await resolveSecretKey(config.secret_key, paths.dataDir))
    await checkSecretKey(stores, box)
    const generated = await ensureAdmin(stores, config.admin.password)
    if (generated !== null) (o.showOnce ?? showOnce)(generated)
    // After the admin: `library` belongs to them, as in Harbor (owner_id is never null).
    await stores.projects.ensure('library', true, await stores.users.firstAdminId())
    tokens = await TokenService.open(stores, box, config.auth.token_ttl_minutes * 60)
    csrfKey = await sharedSecret(stores, box, 'csrf-key', () => randomBytes(32))
    // The key of generated robot secrets' hashes: every node must compute the same one.
    robotSecrets = new RobotSecrets(await sharedSecret(stores, box, 'robot-secret-key', () => randomBytes(32)), passwords)
    // This registry's name on replication paths, the same on every node.
    instanceId = (await sharedSecret(stores, box, 'instance-id', () => randomBytes(16))).toString('hex')
  } catch (err) {
    await db.close()
    throw err
  }
  // Read at each batch of entries; `settings` exists by the time the first batch is written.
  const audit: AuditLog = new AuditLog(db, log, async () => {
    const s: RuntimeSettings = await settings.current()
    return { endpoint: s.audit_log_forward_endpoint, skipDatabase: s.skip_audit_log_database }
  })
  const shared: SharedState =
    config.redis.url === '' ? new MemoryState() : new (await import('../cache/redis-state.js')).RedisState({ url: config.redis.url, prefix: config.redis.prefix, log, trace: config.tracing.enabled })
  const settings: SettingsService = new SettingsService({ stores, auth: config.auth, audit, bus: shared.bus })
  let directory: Directory | undefined
  if (config.auth.mode === 'ldap_auth') {
    const { LdapDirectory } = await import('../auth/ldap-directory.js')
    directory = new LdapDirectory(config.auth.ldap, log)
  }
  const access = new AccessController(stores)
  const authenticator = new Authenticator({
    passwords,
    stores,
    mode: config.auth.mode,
    ...(directory !== undefined ? { directory } : {}),
    guard: new LoginGuard({
      counters: shared.counters,
      maxFailures: config.auth.max_failed_logins,
      lockoutMs: config.auth.lockout_minutes * 60_000,
      ...(metrics !== undefined ? { refused: (reason) => metrics.loginRefused.inc({ reason }), lockedOut: (scope) => metrics.loginLockouts.inc({ scope }) } : {}),
    }),
    robotSecrets,
    onLogin: (e) => audit.record({ username: e.username, operation: 'login', resourceType: e.kind, resource: e.username, result: e.ok ? 'success' : 'failure', clientIp: e.address }),
  })
  const security: Security = {
    authenticator,
    tokens,
    sessions: new Sessions({
      stores,
      csrfKey,
      ttlMs: config.auth.session_ttl_minutes * 60_000,
      maxAgeMs: config.auth.session_max_hours * 3_600_000,
      adminGroupDn: config.auth.ldap.group_admin_dn,
    }),
    access,
    stores,
    audit,
    externalUrl: config.external_url,
    tokenTtlSeconds: async () => (await settings.current()).token_expiration * 60,
  }
  const jobs = new JobService({
    db,
    log,
    bus: shared.bus,
    concurrency: config.jobs.workers,
    leaseMs: config.jobs.lease_seconds * 1000,
    readOnly: () => settings.readOnly(),
    ...(metrics !== undefined
      ? {
          observe: (type: string, state: string, seconds: number) => {
            const status = JOB_STATUS[state] ?? state
            metrics.jobsDone.inc({ type, status })
            metrics.jobTime.observe({ type, status }, seconds)
          },
        }
      : {}),
  })
  const executions = new Executions({ db, jobs })
  const purgeAudit = new SystemJobs(auditPurge({ audit: stores.audit, flush: () => audit.flush() }), { executions, jobs, audit })
  const events = new EventDispatcher(jobs)
  const outbox = events
  const quotas = new QuotaService({ db, stores, outbox, audit, defaultLimit: async () => (await settings.current()).storage_per_project, warningPercent: config.quota.warning_percent })
  // Another node rotated the token-signing key: sign with the new one from now on.
  shared.bus.subscribe('token-keys-changed', () => void tokens.reload().catch((err) => log.warn({ err }, 'reloading token keys failed')))
  // A change to a password, role, member or robot clears every node's verified-credential cache.
  shared.bus.subscribe('credentials-changed', () => {
    authenticator.forget()
    log.info({}, 'credentials changed; verified-credential cache cleared')
  })
  const changed = async () => {
    authenticator.forget()
    await shared.bus.publish('credentials-changed', '')
  }
  const projects = new ProjectService({
    stores,
    access,
    audit,
    ...(directory !== undefined ? { directory } : {}),
    changed,
    creationRestriction: async () => (await settings.current()).project_creation_restriction,
    storageLimit: (caller, requested) => quotas.limitFor(caller, requested),
    proxyCache: { check: (id) => proxyCache.check(id), created: (caller, project) => proxyCache.created(caller, project) },
  })
  const immutability = new ImmutabilityService({ stores, projects, audit, bus: shared.bus, log })
  let driver = await STORAGE_DRIVERS[config.storage.driver](config, paths.storageRoot)
  // Every storage call is timed (registry_storage_action_seconds) and traced in this one place.
  if (metrics !== undefined) driver = new TimedDriver(driver, (name, action, seconds) => metrics.storageAction.observe({ driver: name, action }, seconds))
  if (config.tracing.enabled) driver = new TracedDriver(driver)
  const ctx = new RegistryContext({ db, blobs: new BlobStore(driver), log, shared, outbox, quota: quotas, immutability })
  const manifestService = new ManifestService(ctx)
  const blobService = new BlobService(ctx, { maxOpenUploads: config.registry.max_open_uploads })
  const signatures = () => {
    const keys = new TrustedKeyStore(db.kysely)
    const gate = new SignatureGate({
      db: db.kysely,
      keys,
      manifest: async (repository, digest) => (await manifestService.get(repository, parseReference(digest))).body,
      blob: async (repository, digest, max) => {
        const stream = await blobService.open(repository, digest)
        try {
          return await readCapped(stream, max, 'BAD_REQUEST')
        } finally {
          stream.destroy()
        }
      },
    })
    const vulnerable = new VulnerabilityGate({ vulnerabilities, allowlist: (id, reuse) => vulnerabilityPolicy.effectiveAllowlist(id, reuse) })
    // A scanner's own pull credential reads what the gates refuse to others, as Harbor lets its scanner.
    const exempt = (_pull: unknown, context: { principal: string }) => isScanCredential(context.principal)
    return { pullPolicy: new PullPolicy({ db: db.kysely, gates: [gate, vulnerable], exempt }), trustedKeys: new TrustedKeyService({ keys, projects, audit }) }
  }
  jobs.periodic(uploadPurgeJob(blobService, config.registry.upload_ttl_hours * 3600_000, config.jobs.housekeeping_cron))
  jobs.periodic(sessionPurgeJob(stores, config.jobs.housekeeping_cron))
  const pulls = new PullRecorder({ db, events, log, flushMs: config.events.pull_flush_seconds * 1000 })
  const gc = new SystemJobs(
    garbageCollection({
      db,
      blobs: ctx.deps.blobs,
      manifests: manifestService,
      uploads: { purgeIdleUploads: (cutoff, io) => blobService.purgeIdleUploads(cutoff, io), countIdle: async (cutoff) => (await stores.uploads.listIdle(cutoff.toISOString(), 1_000_000)).length },
      timeWindowMinutes: config.gc.time_window_minutes,
      uploadTtlHours: config.registry.upload_ttl_hours,
      ...(o.gcHooks !== undefined ? { hooks: o.gcHooks } : {}),
      ...(metrics !== undefined ? { freed: (bytes: number) => metrics.gcFreed.inc(bytes) } : {}),
    }),
    { executions, jobs, audit },
  )
  const list = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== '')
  // Every request Berth makes to an address a user gave (registries, webhooks) goes through it.
  const guard = new OutboundGuard({ allow: list(config.replication.outbound_allow), deny: list(config.replication.outbound_deny), allowMetadata: config.replication.outbound_allow_metadata })
  const replication = new ReplicationService({
    db,
    stores,
    jobs,
    events,
    box,
    local: new LocalRegistry({ manifests: manifestService, blobs: blobService, stores, ensureProject: async (name) => void (await stores.projects.ensure(name, false, null, await quotas.defaultLimit())) }),
    instanceId,
    guard,
    log,
    reconcileSeconds: config.replication.reconcile_seconds,
    executionTimeoutMinutes: config.replication.execution_timeout_minutes,
    taskAttempts: config.replication.task_attempts,
    chunkBytes: config.replication.chunk_mib << 20,
    listLimits: { maxPages: config.replication.remote_max_pages, maxItems: config.replication.remote_max_items, maxBytes: config.replication.remote_max_list_bytes },
    readOnly: () => settings.readOnly(),
  })
  const webhooks = new WebhookService({
    stores,
    projects,
    executions,
    events,
    box,
    guard,
    audit,
    log,
    registryHost: registryHost(config),
    userAgent: `berth/${VERSION}`,
    maxAttempts: config.webhook.max_attempts,
  })
  await webhooks.refreshInterest()
  const scanners = new ScannerRegistry({ db, box, guard, projects, audit, requestTimeoutMs: config.scanning.request_timeout_seconds * 1000, maxReportBytes: config.scanning.max_report_mib << 20 })
  const scans = new ScanService({
    db,
    stores,
    projects,
    scanners,
    executions,
    events,
    tokens,
    manifests: manifestService,
    outbox,
    audit,
    log,
    registryUrl: () => config.scanning.registry_url || config.external_url,
    timeoutMs: config.scanning.timeout * 1000,
    refreshMinMs: config.scanning.refresh_min_seconds * 1000,
    refreshMaxMs: config.scanning.refresh_max_seconds * 1000,
    sbom: new SbomAccessories({ manifests: manifestService, blobs: blobService }),
  })
  const vulnerabilities = new VulnerabilityStore(db.kysely)
  const vulnerabilityPolicy = new VulnerabilityPolicy({ settings: stores.settings, vulnerabilities, audit })
  const securityHub = new SecurityHub({ vulnerabilities, projects, access })
  const cveExport = new CveExport({ executions, projects, vulnerabilities, store: new CveExportStore(db.kysely), driver: ctx.deps.blobs.driver })
  jobs.periodic(cveExport.cleanupJob(config.jobs.housekeeping_cron))
  const retention = new RetentionService({ db, stores, projects, audit, executions, jobs, manifests: manifestService, immutability, outbox, log })
  const proxyCache: ProxyCache = new ProxyCache({
    ctx,
    manifests: manifestService,
    // One fetch across the nodes: through Redis when they share one, else through the database.
    locks: config.redis.url === '' ? new LockStore(db.kysely) : shared.locks,
    registries: stores.registries,
    client: (registry, speedKiB) => registryClient(registry, { unseal: (sealed) => box.open(sealed), guard, speedKiB, userAgent: `berth/${VERSION}` }),
    checkUrl: (url) => guard.checkUrl(url),
    createRetention: (caller, input) => retention.create(caller, input),
    log,
    serveCachedWhenDown: config.proxy_cache.serve_cached_when_down,
    upstreamTimeoutMs: config.proxy_cache.upstream_timeout_seconds * 1000,
    fetchWaitMs: config.proxy_cache.fetch_wait_seconds * 1000,
    readOnly: () => settings.readOnly(),
    ...(metrics !== undefined ? { counted: (kind: 'manifest' | 'blob', result: 'hit' | 'miss') => metrics.proxyCache.inc({ kind, result }) } : {}),
  })
  const system = new SystemService({ db, stores, blobs: ctx.deps.blobs, access, projects, settings, authMode: config.auth.mode, storageDriver: config.storage.driver, log, shared: config.redis.url === '' ? undefined : shared, instanceId })
  if (metrics !== undefined) {
    const cluster = new ClusterStats({
      stats: new StatsStore(db.kysely),
      cache: shared.cache,
      locks: shared.locks,
      intervalMs: config.metrics.cache_seconds * 1000,
      log,
      computed: () => metrics.snapshotComputations.inc(),
    })
    metrics.setSources({
      snapshot: () => cluster.get(),
      health: () => system.health(),
      systemInfo: async () => ({ authMode: config.auth.mode, version: `${HARBOR_API_LEVEL}-berth`, selfRegistration: (await settings.current()).self_registration }),
      redisFallback: () => config.redis.url !== '' && shared.status() !== 'up',
      runningJobs: () => ({ pool: jobs.poolId, byType: jobs.runningByType() }),
      jobTypes: () => jobs.registeredTypes,
    })
  }
  return {
    config,
    db,
    stores,
    log,
    audit,
    webhooks,
    security,
    blobService,
    replication,
    proxyCache,
    instanceId,
    scanners,
    scans,
    scanAll: new ScanAllService({ scans, scanners: scanners.store, executions, jobs, audit }),
    manifestService,
    users: new UserService({ db, stores, audit, selfRegistration: async () => (await settings.current()).self_registration, ldap: config.auth.mode === 'ldap_auth', passwords, logins: authenticator, changed }),
    projects,
    robots: new RobotService({ stores, access, projects, audit, secrets: robotSecrets, changed }),
    content: new ContentService({ db, stores, access, projects, manifests: manifestService, blobs: blobService, audit, outbox, immutability }),
    immutability,
    retention,
    ...signatures(),
    vulnerabilityPolicy,
    securityHub,
    cveExport,
    labels: new LabelService({ stores, projects, audit }),
    settings,
    quotas,
    system,
    ...(metrics !== undefined ? { metrics } : {}),
    shared,
    jobs,
    executions,
    purgeAudit,
    events,
    pulls,
    gc,
    ...(directory !== undefined ? { directory } : {}),
    close: async () => {
      await pulls.close()
      await jobs.close()
      await audit.close()
      await shared.close()
      await db.close()
    },
  }
}
