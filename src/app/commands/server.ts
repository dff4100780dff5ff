// berth serve and berth migrate: run the registry, or apply database migrations and exit.
import type { Config } from '../config.js'
import { configOf, UsageError, type Command, type Invocation } from './common.js'

/**
 * Answers the probes while the node starts (migrations can take long): /livez 200, so that a
 * liveness probe never kills a migrating node (harbor-helm #846), everything else 503.
 */
export async function startupProbes(config: Config): Promise<import('node:http').Server> {
  const { createServer } = await import('node:http')
  const server = createServer((req, res) => {
    const live = req.url === '/livez'
    // Connection: close, so that no kept-alive connection outlives this stand-in server.
    res.writeHead(live ? 200 : 503, { 'content-type': 'application/json', connection: 'close', ...(live ? {} : { 'retry-after': '5' }) })
    res.end(JSON.stringify({ status: 'starting' }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: config.http.host, port: config.http.port }, () => resolve())
  })
  return server
}

async function serve(config: Config, workers: number): Promise<void> {
  const cluster = (await import('node:cluster')).default
  if (workers > 1 && cluster.isPrimary) return supervise(workers, config)
  const [{ createLogger }, { createBerth }, { resolvedPaths }] = await Promise.all([import('../../lib/logger.js'), import('../server.js'), import('../config.js')])
  const log = createLogger(config.log.level)
  // A worker's metrics go to the primary, which alone listens on metrics.port and labels them by worker.
  let metrics
  if (config.metrics.enabled && cluster.isWorker) {
    const { Metrics } = await import('../../lib/metrics.js')
    metrics = new Metrics({ worker: String(cluster.worker!.id), onError: (err, what) => log.warn({ err, what }, 'reading metrics failed') })
    metrics.answerPrimary()
  }
  const probes = await startupProbes(config)
  let berth
  try {
    berth = await createBerth(config, { log, ...(metrics !== undefined ? { metrics, metricsListener: false } : {}) })
  } finally {
    // close() alone would wait for every open connection (a client's keep-alive) to end.
    const closed = new Promise((r) => probes.close(r))
    probes.closeAllConnections()
    await closed
  }
  const address = await berth.app.listen({ host: config.http.host, port: config.http.port })
  log.info({ address, metrics: berth.metricsListener?.address, dataDir: resolvedPaths(config).dataDir, database: berth.db.dialect, worker: cluster.isWorker ? cluster.worker?.id : undefined }, 'listening')
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    // Drain: /readyz answers 503 for the grace period so the load balancer moves away; then
    // stop accepting, let in-flight requests finish, flush the audit log and close the pool.
    log.info({ signal, graceSeconds: config.http.shutdown_grace_seconds }, 'shutting down')
    berth.drain()
    setTimeout(() => {
      berth
        .close()
        .then(() => {
          log.flush()
          process.exit(0)
        })
        .catch((err) => {
          log.error({ err }, 'shutdown failed')
          process.exit(1)
        })
    }, config.http.shutdown_grace_seconds * 1000)
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

/**
 * The primary of --workers N: forks the workers (they share the port), replaces any that dies, and
 * passes SIGTERM on. With metrics on it alone listens on metrics.port and answers with the metrics
 * of every worker (prom-client's cluster aggregation over IPC).
 */
async function supervise(workers: number, config: Config): Promise<void> {
  const cluster = (await import('node:cluster')).default
  let closeMetrics = async () => {}
  if (config.metrics.enabled) {
    const [{ workersMetrics }, { openMetricsListener }] = await Promise.all([import('../../lib/metrics.js'), import('../metrics-listener.js')])
    const listener = await openMetricsListener(config, workersMetrics(), (err) => process.stderr.write(`berth: collecting the workers' metrics failed: ${(err as Error).message}\n`))
    closeMetrics = () => listener.close()
  }
  let stopping = false
  for (let i = 0; i < workers; i++) cluster.fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void closeMetrics().finally(() => process.exit(0))
      return
    }
    process.stderr.write(`berth: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`)
    cluster.fork()
  })
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal)
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

async function migrateCommand(inv: Invocation): Promise<void> {
  const config = await configOf(inv)
  const [{ openDb, migrate }, { resolvedPaths }] = await Promise.all([import('../../metadata/db.js'), import('../config.js')])
  const db = await openDb(resolvedPaths(config).databaseUrl)
  try {
    const applied = await migrate(db)
    inv.out(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
  } finally {
    await db.close()
  }
}

export const serveCommands: Command[] = [
  {
    name: 'serve',
    summary: 'run the registry (default command)',
    usage: 'serve [--config FILE] [--workers N]',
    details: `Runs the registry until SIGTERM or SIGINT. Logs are JSON lines on stdout.
--workers N runs N processes sharing the port (node:cluster), to use every core; a worker
that dies is replaced. Default 1.`,
    options: { workers: { type: 'string' } },
    args: [],
    run: async (inv) => {
      const raw = inv.values.workers
      const workers = raw === undefined ? 1 : Number(raw)
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be a whole number from 1 to 64')
      return serve(await configOf(inv), workers)
    },
  },
  {
    name: 'migrate',
    summary: 'apply database migrations and exit',
    usage: 'migrate [--config FILE]',
    details: `Applies the database migrations that are missing (every command applies them too).`,
    options: {},
    args: [],
    run: migrateCommand,
  },
]
