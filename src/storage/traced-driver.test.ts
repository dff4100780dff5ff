// The tracing decorator is a storage driver like any other: it passes the conformance suite (over
// the filesystem driver, every call made inside a recording span), and each action left a span.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { context, trace, type Context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { storageDriverConformance } from '../../test/storage/driver-conformance.js'
import { FilesystemDriver } from './drivers/filesystem.js'
import { TracedDriver } from './traced-driver.js'
import type { FileWriter, StorageDriver } from './driver.js'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const manager = new AsyncLocalStorageContextManager().enable()
context.setGlobalContextManager(manager)
trace.setGlobalTracerProvider(provider)
const parent = provider.getTracer('test').startSpan('request')
const inRequest: Context = trace.setSpan(context.active(), parent)

/** `d` with every call (and every step of a listing, a write's commit) made inside the request's span. */
function inSpan(d: StorageDriver): StorageDriver {
  return new Proxy(d, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop === 'list') {
        return (...args: unknown[]) => {
          const it = context.with(inRequest, () => (value as (...a: unknown[]) => AsyncIterable<string>).apply(target, args)[Symbol.asyncIterator]())
          return { [Symbol.asyncIterator]: () => ({ next: () => context.with(inRequest, () => it.next()), return: () => context.with(inRequest, async () => (await it.return?.()) ?? { done: true, value: undefined }) }) }
        }
      }
      if (prop === 'write') {
        return async (...args: unknown[]) => {
          const w = await context.with(inRequest, () => (value as (...a: unknown[]) => Promise<FileWriter>).apply(target, args))
          return { stream: w.stream, startSize: w.startSize, commit: () => context.with(inRequest, () => w.commit()), cancel: () => context.with(inRequest, () => w.cancel()) }
        }
      }
      return (...args: unknown[]) => context.with(inRequest, () => (value as (...a: unknown[]) => unknown).apply(target, args))
    },
  })
}

storageDriverConformance('traced (over filesystem)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-traced-'))
  return { driver: inSpan(new TracedDriver(new FilesystemDriver(root))), cleanup: () => rm(root, { recursive: true, force: true }) }
})

describe('traced driver spans', () => {
  after(async () => {
    await provider.shutdown()
    trace.disable()
    context.disable()
  })

  it('each action made a span under the request, with the driver and the path', () => {
    const spans = exporter.getFinishedSpans()
    const names = new Set(spans.map((s) => s.name))
    for (const action of ['stat', 'read', 'write', 'commit', 'cancel', 'list', 'move', 'delete']) assert.ok(names.has(`storage ${action}`), `storage ${action} in ${[...names].join(', ')}`)
    for (const s of spans) {
      assert.equal(s.parentSpanContext?.spanId, parent.spanContext().spanId, s.name)
      assert.equal(s.attributes['berth.storage.driver'], 'filesystem')
      assert.equal(typeof s.attributes['berth.storage.path'], 'string')
    }
    assert.ok(spans.some((s) => s.name === 'storage list' && typeof s.attributes['berth.storage.count'] === 'number'))
    assert.ok(spans.some((s) => s.status.code === 2), 'a failed action (a read of a missing file) is marked failed')
  })

  it('hands the X-Accel-Redirect path of the driver through', () => {
    assert.equal(new TracedDriver(new FilesystemDriver('/srv/none', { accelRedirectPrefix: '/_blobs/' })).internalRedirect?.('a/b'), '/_blobs/a/b')
    assert.equal(new TracedDriver(new FilesystemDriver('/srv/none')).internalRedirect?.('a/b'), null)
  })

  it('outside a trace, no span is made', async () => {
    const before = exporter.getFinishedSpans().length
    const root = await mkdtemp(join(tmpdir(), 'berth-traced-'))
    try {
      const d = new TracedDriver(new FilesystemDriver(root))
      assert.equal(await d.stat('nothing'), null)
      for await (const _ of d.list('nothing')) assert.fail('empty')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
    assert.equal(exporter.getFinishedSpans().length, before)
  })
})
