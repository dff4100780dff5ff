// The storage driver contract: a small, path-based interface that every backend implements.
import type { Readable, Writable } from 'node:stream'

export type IoOptions = { signal?: AbortSignal }

export interface FileInfo {
  path: string
  size: number
  modTime: Date
}

/**
 * An open write. Bytes go to `stream`; `commit()` makes them durable (flush and fsync, or
 * complete the part) and returns the file's total size; `cancel()` undoes this write: a new
 * file is removed, a continued file is cut back to the offset the write began at.
 */
export interface FileWriter {
  readonly stream: Writable
  /** Where this write began: 0 for a new file, else the offset it continues at. */
  readonly startSize: number
  commit(): Promise<number>
  cancel(): Promise<void>
}

export interface StorageDriver {
  readonly name: string
  stat(path: string, o?: IoOptions): Promise<FileInfo | null>
  read(path: string, o?: IoOptions & { offset?: number; length?: number }): Promise<Readable>
  /**
   * Writes a new file, or with `offset` continues an existing one at that offset, discarding
   * whatever lies beyond it (bytes of a write that was never committed).
   */
  write(path: string, o?: IoOptions & { offset?: number }): Promise<FileWriter>
  list(prefix: string, o?: IoOptions): AsyncIterable<string>
  /** Atomically publishes `from` at `to` (replacing `to`), durably. */
  move(from: string, to: string, o?: IoOptions): Promise<void>
  /** Deletes a file or a whole prefix; missing paths are not an error. */
  delete(path: string, o?: IoOptions): Promise<void>
  /**
   * Deletes many files published by `move` (not prefixes, not writes never moved) at once: in batched requests where the backend has them
   * (S3 DeleteObjects), else a bounded number at a time. Missing files are not an error; an
   * aborted signal stops it between batches.
   */
  deleteMany?(paths: readonly string[], o?: IoOptions): Promise<void>
  redirectUrl?(path: string, method: 'GET' | 'HEAD'): Promise<string | null>
  /**
   * The URI at which a front proxy sends this file itself (nginx's X-Accel-Redirect to an internal
   * location aliased to the root), or null when that hand-off is off.
   */
  internalRedirect?(path: string): string | null
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/

/** Driver paths are '/'-joined segments of safe characters; nothing can climb out of the root. */
export function assertStoragePath(path: string): void {
  if (path.length === 0 || path.length > 1024) throw new Error(`invalid storage path length: ${path.length}`)
  for (const segment of path.split('/')) {
    if (!SEGMENT.test(segment) || segment === '..') throw new Error(`invalid storage path: ${JSON.stringify(path)}`)
  }
}
