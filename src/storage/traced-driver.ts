// A storage driver that makes a span of every action of the driver it wraps (stat, read, write,
// commit, cancel, list, move, delete), named `storage <action>` with the driver's name and the
// path. A read's span covers opening the stream, not the bytes that flow after; a write's span
// its opening, and its commit one of its own. Wrapped around the configured driver only when
// tracing is on; an action outside a traced request or job makes no span.
import type { Readable } from 'node:stream'
import { ATTR, SpanKind, inSpan, inTrace, startSpan, failSpan, contextWith, runIn } from '../lib/tracing.js'
import type { FileInfo, FileWriter, IoOptions, StorageDriver } from './driver.js'

export class TracedDriver implements StorageDriver {
  readonly deleteMany?: StorageDriver['deleteMany']
  readonly redirectUrl?: StorageDriver['redirectUrl']
  readonly internalRedirect?: StorageDriver['internalRedirect']

  constructor(private readonly inner: StorageDriver) {
    // Optional capabilities stay optional: callers look for them.
    const { deleteMany, redirectUrl, internalRedirect } = inner
    if (deleteMany !== undefined) this.deleteMany = (paths, o) => this.action('deleteMany', paths[0] ?? '', () => deleteMany.call(inner, paths, o), { [ATTR.STORAGE_COUNT]: paths.length })
    if (redirectUrl !== undefined) this.redirectUrl = (path, method) => this.action('redirectUrl', path, () => redirectUrl.call(inner, path, method))
    // Only a path computed in memory: no span.
    if (internalRedirect !== undefined) this.internalRedirect = (path) => internalRedirect.call(inner, path)
  }

  get name(): string {
    return this.inner.name
  }

  private action<T>(action: string, path: string, fn: () => Promise<T>, extra: Record<string, string | number> = {}): Promise<T> {
    if (!inTrace()) return fn()
    return inSpan(`storage ${action}`, { kind: SpanKind.CLIENT, attributes: { [ATTR.STORAGE_DRIVER]: this.inner.name, [ATTR.STORAGE_PATH]: path, ...extra } }, fn)
  }

  stat(path: string, o?: IoOptions): Promise<FileInfo | null> {
    return this.action('stat', path, () => this.inner.stat(path, o))
  }

  read(path: string, o?: IoOptions & { offset?: number; length?: number }): Promise<Readable> {
    return this.action('read', path, () => this.inner.read(path, o))
  }

  async write(path: string, o?: IoOptions & { offset?: number }): Promise<FileWriter> {
    const writer = await this.action('write', path, () => this.inner.write(path, o))
    return {
      stream: writer.stream,
      startSize: writer.startSize,
      commit: () => this.action('commit', path, () => writer.commit()),
      cancel: () => this.action('cancel', path, () => writer.cancel()),
    }
  }

  async *list(prefix: string, o?: IoOptions): AsyncIterable<string> {
    if (!inTrace()) return yield* this.inner.list(prefix, o)
    // The span lasts as long as the listing is read; the driver's own calls are its children.
    const span = startSpan('storage list', { kind: SpanKind.CLIENT, attributes: { [ATTR.STORAGE_DRIVER]: this.inner.name, [ATTR.STORAGE_PATH]: prefix } })
    const ctx = contextWith(span)
    const it = runIn(ctx, () => this.inner.list(prefix, o)[Symbol.asyncIterator]())
    let count = 0
    try {
      for (;;) {
        const next = await runIn(ctx, () => it.next())
        if (next.done === true) break
        count++
        yield next.value
      }
    } catch (err) {
      failSpan(span, err)
      throw err
    } finally {
      await it.return?.()
      span.setAttribute(ATTR.STORAGE_COUNT, count)
      span.end()
    }
  }

  move(from: string, to: string, o?: IoOptions): Promise<void> {
    return this.action('move', from, () => this.inner.move(from, to, o), { [ATTR.STORAGE_TARGET]: to })
  }

  delete(path: string, o?: IoOptions): Promise<void> {
    return this.action('delete', path, () => this.inner.delete(path, o))
  }
}
