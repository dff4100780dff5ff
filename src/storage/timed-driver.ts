// A storage driver that times every call of the driver it wraps (the decorator behind
// registry_storage_action_seconds). Actions keep the distribution registry's names where it has
// one (Stat, Reader, Writer, List, Move, Delete, RedirectURL), so its dashboards read them; a
// write's durable commit and a batched delete are timed as Commit and DeleteMany. Reads and
// writes are timed until the stream is open, as distribution does, not while bytes flow.
import type { FileInfo, FileWriter, IoOptions, StorageDriver } from './driver.js'

/** Called once per driver call with its duration, failed calls included. */
export type StorageObserver = (driver: string, action: string, seconds: number) => void

export class TimedDriver implements StorageDriver {
  readonly name: string
  readonly deleteMany?: (paths: readonly string[], o?: IoOptions) => Promise<void>
  readonly redirectUrl?: (path: string, method: 'GET' | 'HEAD') => Promise<string | null>
  readonly internalRedirect?: StorageDriver['internalRedirect']

  constructor(
    private readonly inner: StorageDriver,
    private readonly observe: StorageObserver,
  ) {
    this.name = inner.name
    // Optional capabilities stay absent when the driver lacks them (callers test for them).
    if (inner.deleteMany !== undefined) this.deleteMany = (paths, o) => this.timed('DeleteMany', () => inner.deleteMany!(paths, o))
    if (inner.redirectUrl !== undefined) this.redirectUrl = (path, method) => this.timed('RedirectURL', () => inner.redirectUrl!(path, method))
    // Only a path computed in memory: nothing to time.
    if (inner.internalRedirect !== undefined) this.internalRedirect = (path) => inner.internalRedirect!(path)
  }

  private async timed<T>(action: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint()
    try {
      return await fn()
    } finally {
      this.observe(this.name, action, Number(process.hrtime.bigint() - start) / 1e9)
    }
  }

  stat(path: string, o?: IoOptions): Promise<FileInfo | null> {
    return this.timed('Stat', () => this.inner.stat(path, o))
  }

  read(path: string, o?: IoOptions & { offset?: number; length?: number }) {
    return this.timed('Reader', () => this.inner.read(path, o))
  }

  async write(path: string, o?: IoOptions & { offset?: number }): Promise<FileWriter> {
    const w = await this.timed('Writer', () => this.inner.write(path, o))
    return {
      stream: w.stream,
      startSize: w.startSize,
      commit: () => this.timed('Commit', () => w.commit()),
      cancel: () => w.cancel(),
    }
  }

  async *list(prefix: string, o?: IoOptions): AsyncIterable<string> {
    // A listing is timed from its start to its last name (or to where the caller stopped).
    const start = process.hrtime.bigint()
    try {
      yield* this.inner.list(prefix, o)
    } finally {
      this.observe(this.name, 'List', Number(process.hrtime.bigint() - start) / 1e9)
    }
  }

  move(from: string, to: string, o?: IoOptions): Promise<void> {
    return this.timed('Move', () => this.inner.move(from, to, o))
  }

  delete(path: string, o?: IoOptions): Promise<void> {
    return this.timed('Delete', () => this.inner.delete(path, o))
  }
}
