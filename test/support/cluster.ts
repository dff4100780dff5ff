// A Berth cluster on one machine: N `berth serve` processes sharing one PostgreSQL database and one
// storage folder, behind HAProxy, each with its own node-local data dir, for the cluster suites.
import { REDIS_URL, testPrefix } from './redis.js'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { E2E_ADMIN_PASSWORD, freePort, startBerth, type BerthProcess } from './berth-process.js'
import { createTestDatabase, type TestDatabase } from './databases.js'
import { startHaproxy, type Haproxy } from './haproxy.js'

export type Cluster = {
  /** The load balancer's URL: what clients use and what every node hands out (external_url). */
  url: string
  /** 127.0.0.1:PORT of the load balancer, for docker:// references. */
  host: string
  /** The nodes, by index; restartNode replaces an entry. */
  nodes: BerthProcess[]
  lb: Haproxy
  database: TestDatabase
  /** The folder every node stores blobs and uploads in (storage.root). */
  storageRoot: string
  /** The secret key every node shares. */
  secretKey: string
  /** The admin's `user:password` and Basic Authorization header (any node, or the LB). */
  creds: string
  authorization: string
  /** Node i's data dir (node-local; a new one after restartNode with emptyDisk). */
  dataDirOf(i: number): string
  /** The node's environment (what an operator sets on each machine). */
  envOf(i: number): Record<string, string>
  /** kill -9 of node i (leaves it dead; haproxy's checks take it out of the rotation). */
  kill(i: number): void
  /**
   * Stops node i (SIGTERM; or nothing if it is dead already) and starts it again, with its data dir
   * or (emptyDisk) a new empty one, points haproxy at its new port and waits until haproxy says UP.
   */
  restartNode(i: number, o?: RestartOptions): Promise<BerthProcess>
  /** How long the last restartNode took: stopping the old process, starting the new one until it answered, until haproxy said UP. */
  lastRestart: { stopMs: number; startMs: number; upMs: number } | undefined
  /** The output of every node and of haproxy, labelled, the newest `lines` lines of each. */
  logs(lines?: number): string
  /** Stops haproxy and every node, drops the database, removes the folders it created. Idempotent. */
  stop(): Promise<void>
}

export type RestartOptions = {
  /** Start on a new, empty data dir (a replaced machine) instead of the node's own. */
  emptyDisk?: boolean
  /**
   * Take the node out of the rotation first (haproxy `drain`: no new requests) and wait until its
   * requests in flight are done; put it back (`ready`) once it runs again. Without it the node is
   * just stopped, and only haproxy's health checks notice.
   */
  drain?: boolean
}

export type ClusterOptions = {
  /** Shared storage folder to use (kept on stop); default: a new temp dir (removed on stop). */
  storageRoot?: string
  /** Extra environment for every node. */
  env?: Record<string, string>
}

/**
 * Starts a fresh PostgreSQL database, a shared storage folder, `n` nodes (all at once, as a
 * deployment would: they race for migrations and first-start setup) and HAProxy over them.
 */
export async function startCluster(n: number, o: ClusterOptions = {}): Promise<Cluster> {
  const work = mkdtempSync(join(tmpdir(), 'berth-cluster-'))
  const storageRoot = o.storageRoot ?? join(work, 'storage')
  mkdirSync(storageRoot, { recursive: true })
  const secretKey = randomBytes(32).toString('base64')
  const redisPrefix = testPrefix()
  const nodes: BerthProcess[] = []
  const dataDirs: string[] = []
  let database: TestDatabase | undefined
  let lb: Haproxy | undefined
  let dirCount = 0
  /** Output of nodes that were restarted, so that logs() still shows what they said. */
  const retired: { label: string; logs: () => string }[] = []
  const newDataDir = (i: number) => {
    const d = join(work, `node${i}-data-${dirCount++}`)
    mkdirSync(d)
    return d
  }

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await lb?.stop()
    await Promise.all(nodes.map((node) => node.stop()))
    await database?.drop()
    rmSync(work, { recursive: true, force: true })
  }

  try {
    database = await createTestDatabase('postgres')
    // The LB's port must be known before the nodes start: it is their external_url.
    const lbPort = await freePort()
    const url = `http://127.0.0.1:${lbPort}`
    const envOf = (i: number): Record<string, string> => ({
      BERTH_DATABASE_URL: database!.url,
      BERTH_STORAGE_ROOT: storageRoot,
      BERTH_SECRET_KEY: secretKey,
      BERTH_EXTERNAL_URL: url,
      BERTH_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
      BERTH_DATA_DIR: dataDirs[i]!,
      // On SIGTERM /readyz answers 503 this long before the listener closes: longer than haproxy
      // needs to see 2 failed checks 500 ms apart (startBerth sets 0 for single-server suites).
      BERTH_HTTP_SHUTDOWN_GRACE_SECONDS: '2',
      // HAProxy's X-Forwarded-For is believed (it connects from 127.0.0.1).
      BERTH_HTTP_TRUST_PROXY: '127.0.0.1',
      // The shared Redis, with a key prefix of this cluster's own.
      BERTH_REDIS_URL: REDIS_URL,
      BERTH_REDIS_PREFIX: redisPrefix,
      ...o.env,
    })
    for (let i = 0; i < n; i++) dataDirs.push(newDataDir(i))
    const started = await Promise.allSettled(dataDirs.map((dataDir, i) => startBerth({ env: envOf(i), dataDir, readyTimeoutMs: 30_000 })))
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed !== undefined) {
      throw new Error(`${String((failed.reason as Error).message ?? failed.reason)}\n--- the database's sessions at that moment ---\n${await databaseSessions(database.url)}`)
    }
    lb = await startHaproxy(
      nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      { port: lbPort },
    )
    const first = nodes[0]!
    const cluster: Cluster = {
      url,
      host: `127.0.0.1:${lbPort}`,
      nodes,
      lb,
      database,
      storageRoot,
      secretKey,
      creds: first.creds,
      authorization: first.authorization,
      envOf,
      dataDirOf: (i) => dataDirs[i]!,
      lastRestart: undefined,
      kill: (i) => {
        const node = nodes[i]
        if (node === undefined) throw new Error(`no node ${i}`)
        process.kill(node.pid, 'SIGKILL')
      },
      restartNode: async (i, ro = {}) => {
        const old = nodes[i]
        if (old === undefined) throw new Error(`no node ${i}`)
        const t0 = Date.now()
        if (ro.drain === true) {
          await lb!.setState(i, 'drain')
          await lb!.waitFor(`node${i} drained`, (s) => s[i]?.current === 0)
        }
        await old.stop()
        retired.push({ label: `node${i} before restart (pid ${old.pid}, ${old.url})`, logs: old.logs })
        if (ro.emptyDisk === true) dataDirs[i] = newDataDir(i)
        const t1 = Date.now()
        let node: BerthProcess
        try {
          node = await startBerth({ env: envOf(i), dataDir: dataDirs[i]!, readyTimeoutMs: 30_000 })
        } catch (e) {
          // When a node does not come up, show what the database was doing (a lock wait shows there).
          throw new Error(`${(e as Error).message}\n--- the database's sessions at that moment ---\n${await databaseSessions(database!.url)}`)
        }
        const t2 = Date.now()
        nodes[i] = node
        await lb!.setServer(i, { host: '127.0.0.1', port: node.port })
        if (ro.drain === true) await lb!.setState(i, 'ready')
        await lb!.waitFor(`node${i} UP`, (s) => s[i]?.status === 'UP')
        cluster.lastRestart = { stopMs: t1 - t0, startMs: t2 - t1, upMs: Date.now() - t2 }
        return node
      },
      logs: (lines = 80) => {
        const tail = (s: string) => s.split('\n').slice(-lines).join('\n')
        return [
          ...retired.map((r) => `--- ${r.label} ---\n${tail(r.logs())}`),
          ...nodes.map((node, i) => `--- node${i} (pid ${node.pid}, ${node.url}) ---\n${tail(node.logs())}`),
          `--- haproxy (pid ${lb!.pid}) ---\n${tail(lb!.logs())}`,
        ].join('\n')
      },
      stop,
    }
    return cluster
  } catch (e) {
    await stop()
    throw e
  }
}

/** What every session of the cluster's database is doing, and the locks waited for (for failure reports). */
export async function databaseSessions(url: string): Promise<string> {
  const name = new URL(url).pathname.slice(1)
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const sessions = await client.query(
      `select pid, client_port, state, wait_event_type, wait_event, extract(epoch from now() - state_change)::int as state_age_s,
              left(query, 200) as query, pg_blocking_pids(pid) as blocked_by
         from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() order by pid`,
      [name],
    )
    const locks = await client.query(
      `select l.pid, l.locktype, l.mode, l.granted, l.relation::regclass::text as relation, l.objid
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where a.datname = $1 and (not l.granted or l.locktype = 'advisory')`,
      [name],
    )
    return [...sessions.rows, ...locks.rows.map((r) => ({ lock: r }))].map((r) => JSON.stringify(r)).join('\n') || '(no sessions)'
  } catch (e) {
    return `(could not ask the database: ${String(e)})`
  } finally {
    await client.end().catch(() => undefined)
  }
}
