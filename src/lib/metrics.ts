// Every Prometheus metric Berth exposes, defined in one place (prom-client). Harbor's names,
// labels and types where Harbor (core, exporter, job service) or the distribution registry has
// one, so that Harbor's dashboards and alerts work; Berth's own under `berth_`. Two registries:
// `perProcess` (requests, storage, jobs run here, process metrics: with --workers N each worker
// reports them under its `worker` label) and `shared` (what the node or the whole cluster looks
// like: health, projects, queues; identical in every worker, so the primary keeps one copy).
// Nothing here is created at import time; this module is loaded only when metrics are enabled.
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client'

/** The cluster-wide numbers the exporter gauges show, computed from the database once per interval. */
export interface ClusterSnapshot {
  /** When it was computed (ms since the epoch). */
  at: number
  projects: { name: string; public: boolean; repositories: number; members: number; quotaUsed: number; quotaHard: number; pulls: number }[]
  /** Due jobs waiting per type, and how long the oldest has waited (seconds). */
  queues: { type: string; size: number; latencySeconds: number }[]
  /** Cron schedules (periodic jobs, scheduled replication, GC, retention, scans). */
  scheduled: number
  /** Replication tasks by status, in replication's words (Pending, InProgress, Succeed, Failed, Stopped). */
  replicationTasks: Record<string, number>
}

/** Where the gauges read from at scrape time; each is optional, so a test can give only some. */
export interface MetricSources {
  /** The cluster snapshot (shared across nodes), or null when none could be had. */
  snapshot?(): Promise<ClusterSnapshot | null>
  /** This node's components, as /api/v2.0/health reports them. */
  health?(): Promise<{ name: string; status: string }[]>
  systemInfo?(): Promise<{ authMode: string; version: string; selfRegistration: boolean }>
  /** True while Redis is configured but unreachable (the node runs on its own state). */
  redisFallback?(): boolean
  /** Jobs running in this process by type, and this process's worker pool. */
  runningJobs?(): { pool: string; byType: Map<string, number> }
  /** The job types registered, so that an empty queue shows as 0 rather than not at all. */
  jobTypes?(): string[]
}

/** The handlers of the /v2/ API, as the distribution registry names them (label `handler`). */
export type RegistryHandler = 'base' | 'catalog' | 'tags' | 'manifest' | 'blob' | 'blob_upload' | 'blob_upload_chunk' | 'referrers'

/** distribution's request-duration buckets (docker/go-metrics). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60]
/** Harbor's summary objectives. */
const PERCENTILES = [0.5, 0.9, 0.99]

/** A summary as Harbor's: the median, 90th and 99th percentiles over the last 10 minutes. */
function harborSummary<L extends string>(name: string, help: string, labelNames: readonly L[], registry: Registry): Summary<L> {
  return new Summary({ name, help, labelNames, percentiles: PERCENTILES, maxAgeSeconds: 600, ageBuckets: 5, registers: [registry] })
}
/** A scrape's reads of the sources are shared by every gauge of that scrape. */
const SCRAPE_REUSE_MS = 1_000

export class Metrics {
  readonly perProcess = new Registry()
  readonly shared = new Registry()

  // --- core (Harbor's harbor_core_*): every HTTP request -----------------------------------
  readonly coreRequests = new Counter({ name: 'harbor_core_http_request_total', help: 'The total number of requests', labelNames: ['method', 'code', 'operation'], registers: [this.perProcess] })
  readonly coreDuration = harborSummary('harbor_core_http_request_duration_seconds', 'The time duration of the requests', ['method', 'operation'], this.perProcess)
  readonly coreInflight = new Gauge({ name: 'harbor_core_http_inflight_requests', help: 'The total number of requests in flight', registers: [this.perProcess] })

  // --- registry (distribution's registry_*): /v2/ -------------------------------------------
  readonly registryRequests = new Counter({ name: 'registry_http_requests_total', help: 'Total number of HTTP requests made.', labelNames: ['code', 'handler', 'method'], registers: [this.perProcess] })
  readonly registryDuration = new Histogram({
    name: 'registry_http_request_duration_seconds',
    help: 'The HTTP request latencies in seconds.',
    labelNames: ['handler', 'method'],
    buckets: HTTP_BUCKETS,
    registers: [this.perProcess],
  })
  readonly storageAction = new Histogram({ name: 'registry_storage_action_seconds', help: 'The number of seconds that the storage action takes', labelNames: ['driver', 'action'], registers: [this.perProcess] })

  // --- job service (Harbor's harbor_jobservice_* and the exporter's harbor_task_*) ---------
  readonly jobsDone = new Counter({ name: 'harbor_jobservice_task_total', help: 'The number of processed tasks', labelNames: ['type', 'status'], registers: [this.perProcess] })
  readonly jobTime = harborSummary('harbor_jobservice_task_process_time_seconds', 'The time duration of the task processing time', ['type', 'status'], this.perProcess)
  readonly taskConcurrency: Gauge<'type' | 'pool'>

  // --- Berth's own ---------------------------------------------------------------------------
  readonly gcFreed = new Counter({ name: 'berth_gc_freed_bytes_total', help: 'Bytes of blobs garbage collection removed from storage (runs on this process)', registers: [this.perProcess] })
  readonly proxyCache = new Counter({ name: 'berth_proxy_cache_requests_total', help: 'Pulls through proxy-cache projects: served from the cache (hit) or fetched from the upstream (miss)', labelNames: ['kind', 'result'], registers: [this.perProcess] })
  readonly loginRefused = new Counter({ name: 'berth_login_refused_total', help: 'Logins refused by the throttle before any password check: locked_out (too many failures) or in_flight (too many checks at once)', labelNames: ['reason'], registers: [this.perProcess] })
  readonly loginLockouts = new Counter({ name: 'berth_login_lockouts_total', help: 'Lockouts started after too many failed logins, by what was locked (user name or client address)', labelNames: ['scope'], registers: [this.perProcess] })
  readonly snapshotComputations = new Counter({ name: 'berth_metrics_snapshot_computations_total', help: 'Times this process computed the cluster-wide gauges from the database', registers: [this.perProcess] })

  // --- node and cluster (shared registry) ----------------------------------------------------
  private readonly health: Gauge
  private readonly up: Gauge<'component'>
  private readonly systemInfo: Gauge<'auth_mode' | 'harbor_version' | 'self_registration'>
  private readonly redisFallback: Gauge
  private readonly projectTotal: Gauge<'public'>
  private readonly projectRepos: Gauge<'project_name' | 'public'>
  private readonly projectMembers: Gauge<'project_name'>
  private readonly quotaUsage: Gauge<'project_name'>
  private readonly quota: Gauge<'project_name'>
  private readonly pulled: Gauge<'project_name'>
  private readonly queueSize: Gauge<'type'>
  private readonly queueLatency: Gauge<'type'>
  private readonly scheduled: Gauge
  private readonly replicationTasks: Gauge<'status'>
  private readonly snapshotAge: Gauge

  private sources: MetricSources = {}
  private nodeRead: { at: number; done: Promise<void> } | null = null
  private clusterRead: { at: number; done: Promise<void> } | null = null
  private snapshotAt: number | null = null
  private appliedAt: number | null = null
  private all: Registry | null = null

  /** `worker`: this process's worker id under `serve --workers N` (a label on the per-process metrics). */
  constructor(o: { worker?: string; onError?: (err: unknown, what: string) => void } = {}) {
    if (o.worker !== undefined) this.perProcess.setDefaultLabels({ worker: o.worker })
    collectDefaultMetrics({ register: this.perProcess })
    const self = this
    const onError = o.onError ?? (() => {})
    // Each gauge of a scrape waits for the same read of the sources (one per SCRAPE_REUSE_MS).
    const node = async () => {
      const now = Date.now()
      if (this.nodeRead === null || now - this.nodeRead.at > SCRAPE_REUSE_MS) this.nodeRead = { at: now, done: this.readNode().catch((err) => onError(err, 'node')) }
      await this.nodeRead.done
    }
    const cluster = async () => {
      const now = Date.now()
      if (this.clusterRead === null || now - this.clusterRead.at > SCRAPE_REUSE_MS) this.clusterRead = { at: now, done: this.readCluster().catch((err) => onError(err, 'cluster')) }
      await this.clusterRead.done
    }
    const shared = [this.shared]
    this.taskConcurrency = new Gauge({
      name: 'harbor_task_concurrency',
      help: 'Jobs running at once in a worker pool, by job type',
      labelNames: ['type', 'pool'],
      registers: [this.perProcess],
      collect() {
        this.reset()
        const running = self.sources.runningJobs?.()
        if (running === undefined) return
        for (const type of self.sources.jobTypes?.() ?? []) this.set({ type, pool: running.pool }, 0)
        for (const [type, n] of running.byType) this.set({ type, pool: running.pool }, n)
      },
    })
    this.health = new Gauge({ name: 'harbor_health', help: 'Running status of Harbor (1: every component healthy)', registers: shared, aggregator: 'min', collect: node })
    this.up = new Gauge({ name: 'harbor_up', help: 'Running status of harbor component', labelNames: ['component'], registers: shared, aggregator: 'min', collect: node })
    this.systemInfo = new Gauge({ name: 'harbor_system_info', help: 'Information of Harbor system', labelNames: ['auth_mode', 'harbor_version', 'self_registration'], registers: shared, aggregator: 'first', collect: node })
    this.redisFallback = new Gauge({ name: 'berth_redis_fallback', help: '1 while Redis is configured but unreachable and the node works on its own state; else 0', registers: shared, aggregator: 'max', collect: node })
    const clusterGauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers: shared, aggregator: 'first', collect: cluster })
    this.projectTotal = clusterGauge('harbor_project_total', 'Total projects number', ['public'])
    this.projectRepos = clusterGauge('harbor_project_repo_total', 'Total project repos number', ['project_name', 'public'])
    this.projectMembers = clusterGauge('harbor_project_member_total', 'Total members number of a project', ['project_name'])
    this.quotaUsage = clusterGauge('harbor_project_quota_usage_byte', 'The used resource of a project', ['project_name'])
    this.quota = clusterGauge('harbor_project_quota_byte', 'The quota of a project (-1: unlimited)', ['project_name'])
    this.pulled = clusterGauge('harbor_artifact_pulled', 'The pull number of an artifact, summed per project', ['project_name'])
    this.queueSize = clusterGauge('harbor_task_queue_size', 'Total number of tasks', ['type'])
    this.queueLatency = clusterGauge('harbor_task_queue_latency', 'How long the oldest waiting task of the type has waited (seconds)', ['type'])
    this.scheduled = clusterGauge('harbor_task_scheduled_total', 'total number of scheduled job')
    this.replicationTasks = clusterGauge('berth_replication_tasks', 'Replication tasks by status, across the cluster', ['status'])
    this.snapshotAge = clusterGauge('berth_metrics_snapshot_age_seconds', 'Age of the cluster-wide gauges: seconds since they were computed from the database')
  }

  /** Sets where the gauges read from (the composition root calls it once the services exist). */
  setSources(sources: MetricSources): void {
    this.sources = sources
    this.nodeRead = null
    this.clusterRead = null
  }

  /** The text a scrape gets from this process alone. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.all ??= Registry.merge([this.perProcess, this.shared])
    return { contentType: this.all.contentType, body: await this.all.metrics() }
  }

  /** In a worker of `serve --workers N`: answers the primary's requests for this process's metrics. */
  answerPrimary(): void {
    new AggregatorRegistry()
    AggregatorRegistry.setRegistries([this.perProcess, this.shared])
  }

  private async readNode(): Promise<void> {
    const [health, info] = await Promise.all([this.sources.health?.(), this.sources.systemInfo?.()])
    this.health.reset()
    this.up.reset()
    if (health !== undefined) {
      this.health.set(health.every((c) => c.status === 'healthy') ? 1 : 0)
      for (const c of health) this.up.set({ component: c.name }, c.status === 'healthy' ? 1 : 0)
    }
    this.systemInfo.reset()
    if (info !== undefined) this.systemInfo.set({ auth_mode: info.authMode, harbor_version: info.version, self_registration: String(info.selfRegistration) }, 1)
    this.redisFallback.set(this.sources.redisFallback?.() === true ? 1 : 0)
  }

  private async readCluster(): Promise<void> {
    let s: ClusterSnapshot | null | undefined
    try {
      s = await this.sources.snapshot?.()
    } finally {
      // No snapshot (the database is away): the last values stay, and their age says how old they are.
      const at = s?.at ?? this.snapshotAt
      if (at !== null) {
        this.snapshotAt = at
        this.snapshotAge.set(Math.max(0, (Date.now() - at) / 1000))
      }
    }
    // The same result as last time (read from the shared cache again): the gauges hold it already.
    if (s === undefined || s === null || s.at === this.appliedAt) return
    this.appliedAt = s.at
    for (const g of [this.projectTotal, this.projectRepos, this.projectMembers, this.quotaUsage, this.quota, this.pulled, this.queueSize, this.queueLatency, this.replicationTasks] as Gauge<string>[]) g.reset()
    const publics = { true: 0, false: 0 }
    for (const p of s.projects) {
      const pub = String(p.public) as 'true' | 'false'
      publics[pub]++
      this.projectRepos.set({ project_name: p.name, public: pub }, p.repositories)
      this.projectMembers.set({ project_name: p.name }, p.members)
      this.quotaUsage.set({ project_name: p.name }, p.quotaUsed)
      this.quota.set({ project_name: p.name }, p.quotaHard)
      this.pulled.set({ project_name: p.name }, p.pulls)
    }
    this.projectTotal.set({ public: 'true' }, publics.true)
    this.projectTotal.set({ public: 'false' }, publics.false)
    const queues = new Map(s.queues.map((q) => [q.type, q]))
    for (const type of new Set([...(this.sources.jobTypes?.() ?? []), ...queues.keys()])) {
      const q = queues.get(type)
      this.queueSize.set({ type }, q?.size ?? 0)
      this.queueLatency.set({ type }, q?.latencySeconds ?? 0)
    }
    this.scheduled.set(s.scheduled)
    for (const [status, n] of Object.entries(s.replicationTasks)) this.replicationTasks.set({ status }, n)
  }
}

/**
 * In the primary of `serve --workers N`: the metrics of every worker in one text. Per-process
 * metrics keep each worker apart (label `worker`); the shared ones (identical in every worker)
 * appear once, by their aggregator.
 */
export function workersMetrics(): () => Promise<{ contentType: string; body: string }> {
  const registry = new AggregatorRegistry()
  return async () => ({ contentType: registry.contentType, body: await registry.clusterMetrics() })
}
