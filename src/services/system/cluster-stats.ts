// The cluster-wide numbers behind the exporter gauges, computed from the database at most once
// per interval across all nodes: the result is kept in the shared cache (Redis) with the time it
// was computed; a node that finds it stale takes a short lock and recomputes it, and the others
// read what it wrote. On one node (or while Redis is away) the same happens in process. A scrape
// never waits on the database when a fresh result exists anywhere.
import type { Logger } from '../../lib/logger.js'
import type { ClusterSnapshot } from '../../lib/metrics.js'
import type { Locks, SharedCache } from '../../cache/shared-state.js'
import type { StatsStore } from '../../metadata/stats-store.js'

export interface ClusterStatsOptions {
  stats: Pick<StatsStore, 'projects' | 'queues' | 'schedules' | 'replicationTasks'>
  cache: SharedCache
  locks: Locks
  /** A result younger than this is used as it is. */
  intervalMs: number
  log: Logger
  /** Called each time this node computes the numbers from the database. */
  computed?: () => void
  now?: () => number
}

const KEY = 'metrics:cluster-snapshot'
/** Longest a computation may hold the lock (it lapses by itself if the node dies). */
const LOCK_MS = 60_000
/** How long a node waits for another node's computation before it answers with what it has. */
const WAIT_MS = 5_000
const POLL_MS = 50

export class ClusterStats {
  private local: ClusterSnapshot | null = null
  private pending: Promise<ClusterSnapshot | null> | null = null

  constructor(private readonly o: ClusterStatsOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)()
  }

  private fresh(s: ClusterSnapshot | null): s is ClusterSnapshot {
    return s !== null && this.now() - s.at < this.o.intervalMs
  }

  /** The newest result: fresh when one exists or can be made; else the last one known (or null). */
  async get(): Promise<ClusterSnapshot | null> {
    if (this.fresh(this.local)) return this.local
    this.pending ??= this.refresh()
      .catch((err) => {
        this.o.log.warn({ err }, 'computing the cluster metrics failed')
        return this.local
      })
      .finally(() => {
        this.pending = null
      })
    return this.pending
  }

  private async readShared(): Promise<ClusterSnapshot | null> {
    const raw = await this.o.cache.get(KEY).catch(() => null)
    if (raw === null) return null
    try {
      return JSON.parse(raw.toString('utf8')) as ClusterSnapshot
    } catch {
      return null
    }
  }

  private keep(s: ClusterSnapshot): ClusterSnapshot {
    if (this.local === null || s.at >= this.local.at) this.local = s
    return this.local
  }

  private async refresh(): Promise<ClusterSnapshot | null> {
    const shared = await this.readShared()
    if (this.fresh(shared)) return this.keep(shared)
    const lease = await this.o.locks.acquire(KEY, LOCK_MS)
    if (lease === null) {
      // Another node computes it now: wait for its result, a while.
      for (const end = this.now() + WAIT_MS; this.now() < end; ) {
        await new Promise((r) => setTimeout(r, POLL_MS))
        const s = await this.readShared()
        if (this.fresh(s)) return this.keep(s)
      }
      return shared !== null ? this.keep(shared) : this.local
    }
    try {
      // It may have been written between the first read and the lock.
      const again = await this.readShared()
      if (this.fresh(again)) return this.keep(again)
      const s = await this.compute()
      // Kept a few intervals, so that a node finds a stale result to show while one is recomputed.
      await this.o.cache.set(KEY, Buffer.from(JSON.stringify(s)), this.o.intervalMs * 4).catch(() => {})
      return this.keep(s)
    } finally {
      await lease.release().catch(() => {})
    }
  }

  private async compute(): Promise<ClusterSnapshot> {
    const start = new Date(this.now())
    const [projects, queues, scheduled, replicationTasks] = await Promise.all([this.o.stats.projects(), this.o.stats.queues(start), this.o.stats.schedules(), this.o.stats.replicationTasks()])
    this.o.computed?.()
    return { at: start.getTime(), projects, queues, scheduled, replicationTasks }
  }
}
