// Online garbage collection as a system job (/system/gc): optionally deletes untagged artifacts,
// then marks the blobs nothing references and that no push used within the time window, and
// sweeps them in batches (records first, then bytes, then the rows), with no read-only window.
// Why no interleaving with a push loses data is argued in docs/lifecycle.md (Garbage collection).
import { BerthError, isBerthError } from '../../lib/errors.js'
import type { Db } from '../../metadata/schema.js'
import { DELETING } from '../../metadata/blob-link-store.js'
import { GcStore, type BlobRow } from '../../metadata/gc-store.js'
import type { BlobStore } from '../../storage/blob-store.js'
import type { IoOptions } from '../../storage/driver.js'
import type { Digest } from '../../oci/digest.js'
import { parseReference, parseRepoName, type Reference, type RepoName } from '../../oci/names.js'
import type { TaskContext } from '../../jobs/executions.js'
import type { WriteOptions } from '../registry/manifest-service.js'
import type { SystemJobKind } from '../system/system-jobs.js'

export interface GcParameters extends Record<string, unknown> {
  delete_untagged: boolean
  dry_run: boolean
  /** Batches swept at once (Harbor's 1 to 5). */
  workers: number
}

/** Harbor's names of a run's results, in its job_parameters. */
export interface GcResults extends Record<string, unknown> {
  freed_space: number
  purged_blobs: number
  purged_manifests: number
  purged_uploads: number
}

/** Pauses between phases, for tests that race pushes against a collection. */
export interface GcHooks {
  /** `signal`: the run's, aborted when it is stopped. */
  afterMark?(signal: AbortSignal): Promise<void>
  beforeCondemn?(digests: string[]): Promise<void>
}

export interface GcOptions {
  db: Db
  blobs: BlobStore
  /** Deletes an artifact as the API does (events, later quotas). */
  manifests: { delete(repository: RepoName, ref: Reference, o?: WriteOptions): Promise<void> }
  uploads: { purgeIdleUploads(cutoff: Date, o?: IoOptions): Promise<number>; countIdle(cutoff: Date): Promise<number> }
  /** Blobs and untagged artifacts a push used within this many minutes are never collected. */
  timeWindowMinutes: number
  /** Upload sessions idle this long are purged. */
  uploadTtlHours: number
  hooks?: GcHooks
  /** Told of the bytes a run (not a dry run) removed from storage, when it ends. */
  freed?: (bytes: number) => void
}

/** Blobs decided, deleted and dropped per batch (S3 takes 1000 keys per DeleteObjects). */
const BATCH = 1000
/** Digests named in the log per kind; the rest are counted. */
const SAMPLE = 20
/** Untagged deletions repeat until none is left: an index first, then its children. */
const MAX_UNTAGGED_PASSES = 8
const KNOWN = new Set(['delete_untagged', 'dry_run', 'workers', 'freed_space', 'purged_blobs', 'purged_manifests', 'purged_uploads'])

export function gcParameters(raw: Record<string, unknown>): GcParameters {
  const unknown = Object.keys(raw).filter((k) => !KNOWN.has(k))
  if (unknown.length > 0) throw new BerthError('BAD_REQUEST', `unknown garbage collection parameter ${JSON.stringify(unknown[0]!.slice(0, 64))}; known: delete_untagged, dry_run, workers`)
  const bool = (key: 'delete_untagged' | 'dry_run') => {
    const v = raw[key] ?? false
    if (typeof v !== 'boolean') throw new BerthError('BAD_REQUEST', `parameters.${key} must be true or false`)
    return v
  }
  const workers = raw.workers ?? 1
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 5) {
    throw new BerthError('BAD_REQUEST', 'parameters.workers must be an integer from 1 to 5')
  }
  return { delete_untagged: bool('delete_untagged'), dry_run: bool('dry_run'), workers }
}

/** Counts and the first digests of what a run removed (or would remove). */
class Tally {
  count = 0
  bytes = 0
  readonly sample: string[] = []
  add(rows: readonly BlobRow[]): void {
    for (const r of rows) {
      this.count++
      this.bytes += r.size
      if (this.sample.length < SAMPLE) this.sample.push(r.digest)
    }
  }
  describe(what: string): string {
    const more = this.count > this.sample.length ? `, and ${this.count - this.sample.length} more` : ''
    return `${this.count} ${what} (${this.bytes} bytes)${this.count > 0 ? `: ${this.sample.join(', ')}${more}` : ''}`
  }
}

export function garbageCollection(o: GcOptions): SystemJobKind<GcParameters> {
  const store = new GcStore(o.db)
  return {
    vendorType: 'GARBAGE_COLLECTION',
    jobType: 'GARBAGE_COLLECTION',
    resource: 'garbage-collection',
    auditName: 'garbage collection',
    maxAttempts: 1,
    parameters: gcParameters,
    run: (p, ctx) => new Collection(o, store, p, ctx).run(),
  }
}

class Collection {
  private readonly started = Date.now()
  private readonly cutoff: string
  private readonly mark: string
  private readonly blobs = new Tally()

  constructor(
    private readonly o: GcOptions,
    private readonly store: GcStore,
    private readonly p: GcParameters,
    private readonly ctx: TaskContext,
  ) {
    this.cutoff = new Date(this.started - o.timeWindowMinutes * 60_000).toISOString()
    this.mark = `run-${ctx.executionId}`
  }

  private check(): void {
    if (this.ctx.signal.aborted) throw this.ctx.signal.reason
  }

  async run(): Promise<void> {
    const { ctx, p } = this
    await ctx.log(`garbage collection: delete_untagged=${p.delete_untagged} dry_run=${p.dry_run} workers=${p.workers}; blobs used since ${this.cutoff} (time window ${this.o.timeWindowMinutes} minutes) stay`)
    const manifests = p.delete_untagged ? (p.dry_run ? await this.untaggedWouldGo() : await this.deleteUntagged()) : 0
    this.check()
    // What a run that ended early left: its candidates go back, its half-removed blobs are finished.
    const leftover = await this.pages(DELETING)
    if (!p.dry_run) {
      await this.store.unmarkStale(this.mark)
      if (leftover.length > 0) await this.remove(leftover)
    } else {
      this.blobs.add(leftover)
    }
    for (let after = ''; ; ) {
      this.check()
      const page = await this.store.unreferenced(this.cutoff, after, BATCH)
      if (page.length === 0) break
      after = page[page.length - 1]!.digest
      if (p.dry_run) this.blobs.add(page)
      else await this.store.mark(page.map((r) => r.digest), this.mark)
    }
    await this.o.hooks?.afterMark?.(this.ctx.signal)
    if (!p.dry_run) await this.sweep()
    await this.orphans()
    const idleSince = new Date(this.started - this.o.uploadTtlHours * 3_600_000)
    const uploads = p.dry_run ? await this.o.uploads.countIdle(idleSince) : await this.purgeUploads(idleSince)
    const results: GcResults = { freed_space: this.blobs.bytes, purged_blobs: this.blobs.count, purged_manifests: manifests, purged_uploads: uploads }
    await ctx.setExecutionAttrs(results)
    if (!p.dry_run) this.o.freed?.(this.blobs.bytes)
    const verb = p.dry_run ? 'would be' : 'were'
    await ctx.log(`${this.blobs.describe(`blobs ${verb} removed`)}`)
    await ctx.log(`${manifests} untagged artifacts ${verb} deleted; ${uploads} idle upload sessions ${verb} purged`)
  }

  /** Every blob carrying `mark`, in digest order. */
  private async pages(mark: string): Promise<BlobRow[]> {
    const out: BlobRow[] = []
    for (let after = ''; ; ) {
      const page = await this.store.marked(mark, after, BATCH)
      if (page.length === 0) return out
      out.push(...page)
      after = page[page.length - 1]!.digest
    }
  }

  /**
   * The run's candidates, `workers` batches at a time; stoppable between batches. The lanes'
   * storage deletions overlap, their database work goes one batch at a time: on SQLite every
   * push shares the one connection, and waits behind at most one batch of ours.
   */
  private async sweep(): Promise<void> {
    let after = ''
    let queue = Promise.resolve<string[]>([])
    let db = Promise.resolve<unknown>(undefined)
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const done = db.then(fn)
      db = done.catch(() => {})
      return done
    }
    // One page at a time is read, in digest order; the lanes decide and remove them in parallel.
    const next = () =>
      (queue = queue.then(async () => {
        const page = await this.store.marked(this.mark, after, BATCH)
        if (page.length > 0) after = page[page.length - 1]!.digest
        return page.map((r) => r.digest)
      }))
    const lane = async () => {
      for (;;) {
        this.check()
        const digests = await next()
        if (digests.length === 0) return
        await this.o.hooks?.beforeCondemn?.(digests)
        const garbage = await serial(() => this.store.condemn(digests, this.mark, this.cutoff))
        if (garbage.length > 0) await this.remove(garbage, serial)
      }
    }
    await Promise.all(Array.from({ length: this.p.workers }, lane))
  }

  /** Bytes of condemned blobs, then their rows: a push waiting on one (see claimForPush) goes on once the row is gone. */
  private async remove(rows: BlobRow[], serial: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn()): Promise<void> {
    await this.o.blobs.deleteBlobs(rows.map((r) => r.digest as Digest), { signal: this.ctx.signal })
    await serial(() => this.store.drop(rows.map((r) => r.digest)))
    this.blobs.add(rows)
  }

  /**
   * Bytes in storage that no record names, stored before the window began: a push that wrote
   * them and never committed its record. Each is recorded as being removed first (so a push of
   * that digest waits, see claimForPush), then removed like the rest.
   */
  private async orphans(): Promise<void> {
    const before = Date.parse(this.cutoff)
    const found = new Tally()
    const check = async (digests: string[]) => {
      const rows: BlobRow[] = []
      for (const d of await this.store.unrecorded(digests)) {
        const stored = await this.o.blobs.storedAt(d as Digest)
        if (stored !== null && stored.modTime.getTime() < before) rows.push({ digest: d, size: stored.size })
      }
      if (rows.length === 0) return
      if (this.p.dry_run) {
        found.add(rows)
        this.blobs.add(rows)
      } else {
        const condemned = await this.store.condemnOrphans(rows)
        found.add(condemned)
        if (condemned.length > 0) await this.remove(condemned)
      }
    }
    let batch: string[] = []
    for await (const digest of this.o.blobs.list({ signal: this.ctx.signal })) {
      batch.push(digest)
      if (batch.length === BATCH) {
        this.check()
        await check(batch)
        batch = []
      }
    }
    await check(batch)
    if (found.count > 0) await this.ctx.log(`of which orphaned bytes (no record): ${found.describe(this.p.dry_run ? 'would be removed' : 'removed')}`)
  }

  private async purgeUploads(cutoff: Date): Promise<number> {
    let total = 0
    for (;;) {
      this.check()
      const n = await this.o.uploads.purgeIdleUploads(cutoff, { signal: this.ctx.signal })
      total += n
      if (n < 1000) return total
    }
  }

  /** Deletes untagged artifacts through the registry's own deletion (events and all), until none is left. */
  private async deleteUntagged(): Promise<number> {
    let total = 0
    const sample: string[] = []
    for (let pass = 0; pass < MAX_UNTAGGED_PASSES; pass++) {
      let deleted = 0
      for (let after = 0; ; ) {
        const page = await this.store.untagged(this.cutoff, after, 500)
        if (page.length === 0) break
        after = page[page.length - 1]!.id
        for (const a of page) {
          this.check()
          try {
            await this.o.manifests.delete(parseRepoName(a.repository), parseReference(a.digest), { untaggedOnly: true })
            deleted++
            if (sample.length < SAMPLE) sample.push(`${a.repository}@${a.digest}`)
          } catch (err) {
            // Tagged, made a child, or deleted meanwhile: it stays for now (or is gone already).
            if (!['PRECONDITION', 'DELETE_REFUSED', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN'].some((c) => isBerthError(err, c as never))) throw err
          }
        }
      }
      total += deleted
      if (deleted === 0) break
    }
    await this.ctx.log(`${total} untagged artifacts deleted${total > 0 ? `: ${sample.join(', ')}${total > sample.length ? ', ...' : ''}` : ''}`)
    return total
  }

  /**
   * A dry run's untagged deletion, simulated: which artifacts would go (an index before its
   * children, referrers with their subject) and which blobs only they reference. Counts those
   * blobs into the run's tally; returns how many artifacts would be deleted.
   */
  private async untaggedWouldGo(): Promise<number> {
    const untagged = await this.store.untaggedAll(this.cutoff)
    const holders = new Map<number, number[]>()
    for (const { id, holder } of await this.store.holders(untagged)) holders.set(id, [...(holders.get(id) ?? []), holder])
    const gone = new Set<number>()
    let explicit = 0
    for (let changed = true; changed; ) {
      changed = false
      const added: number[] = []
      for (const id of untagged) {
        if (gone.has(id) || !(holders.get(id) ?? []).every((h) => gone.has(h))) continue
        gone.add(id)
        added.push(id)
        explicit++
        changed = true
      }
      // Referrers go with their subject, tagged or not.
      for (let wave = added; wave.length > 0; ) {
        wave = (await this.store.referrersOf(wave)).filter((id) => !gone.has(id))
        for (const id of wave) gone.add(id)
      }
    }
    const ids = [...gone]
    const users = new Map<string, number[]>()
    for (const { digest, id } of await this.store.users(await this.store.digestsOf(ids))) users.set(digest, [...(users.get(digest) ?? []), id])
    const orphaned = [...users].filter(([, by]) => by.every((id) => gone.has(id))).map(([d]) => d)
    this.blobs.add(await this.store.collectable(orphaned, this.cutoff))
    await this.ctx.log(`${explicit} untagged artifacts would be deleted`)
    return explicit
  }
}
