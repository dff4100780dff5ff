// Pulls, recorded in memory and written in batches: a manifest GET costs the request no database
// write. Each flush writes, in one transaction, the last pull time of the artifacts and tags
// pulled and one PULL_ARTIFACT event per distinct (repository, digest, tag, operator), the
// latter only when someone subscribes to them. A crash loses at most one flush window.
import type { Logger } from '../../lib/logger.js'
import { untraced } from '../../lib/tracing.js'
import type { Db } from '../../metadata/schema.js'
import { inTransaction } from '../../metadata/stores.js'
import type { EventType, Outbox } from '../../events/outbox.js'

export interface Pull {
  repository: string
  digest: string
  /** When the manifest was pulled by tag. */
  tag?: string
  /** The user or robot name, or 'anonymous'. */
  operator: string
}

export interface PullRecorderOptions {
  db: Db
  events: Outbox & { subscribed(type: EventType): boolean }
  log: Logger
  /** The longest a pull waits in memory before it is written. */
  flushMs: number
  /** Pulls that start a write at once, before the window ends. */
  maxBatch?: number
}

type Pending = Pull & { at: string }

export class PullRecorder {
  /** By repository, digest, tag and operator: the latest pull of each. */
  private pending = new Map<string, Pending>()
  private pulls = 0
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private closed = false

  constructor(private readonly o: PullRecorderOptions) {}

  record(p: Pull): void {
    if (this.closed) return
    this.pending.set(JSON.stringify([p.repository, p.digest, p.tag ?? null, p.operator]), { ...p, at: new Date().toISOString() })
    // A batch is many pulls: its writes and the jobs of its events belong to no one request's trace.
    if (++this.pulls >= (this.o.maxBatch ?? 500)) void untraced(() => this.flush())
    else if (this.timer === undefined) {
      this.timer = untraced(() => setTimeout(() => void this.flush(), this.o.flushMs))
      this.timer.unref()
    }
  }

  /** Writes what is pending; resolves when it is in the database (or its failure was logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = [...this.pending.values()]
    this.pending = new Map()
    this.pulls = 0
    if (batch.length > 0) {
      this.writing = this.writing.then(() => this.write(batch)).catch((err) => this.o.log.warn({ err, pulls: batch.length }, 'recording pulls failed'))
    }
    return this.writing
  }

  /** Writes what is pending and records no more (a node shutting down). */
  async close(): Promise<void> {
    await this.flush()
    this.closed = true
  }

  private async write(batch: Pending[]): Promise<void> {
    const events = this.o.events.subscribed('PULL_ARTIFACT')
    // The latest time per artifact (and tag) over every operator.
    const times = new Map<string, Pending>()
    for (const p of batch) {
      const key = JSON.stringify([p.repository, p.digest, p.tag ?? null])
      const seen = times.get(key)
      if (seen === undefined || seen.at < p.at) times.set(key, p)
    }
    await inTransaction(this.o.db, async (s, trx) => {
      for (const p of times.values()) await s.artifacts.setPulled(p.repository, p.digest, p.tag, p.at)
      if (!events) return
      for (const p of batch) {
        await this.o.events.record(trx, {
          type: 'PULL_ARTIFACT',
          repository: p.repository,
          digest: p.digest,
          ...(p.tag !== undefined ? { tag: p.tag } : {}),
          path: [],
          operator: p.operator,
          occurredAt: p.at,
        })
      }
    })
    if (events) this.o.events.committed()
  }
}
