// The storage driver conformance suite: every StorageDriver runs it (see filesystem.test.ts).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { StorageDriver } from '../../src/storage/driver.js'

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function put(driver: StorageDriver, path: string, bytes: Buffer, offset?: number): Promise<number> {
  const w = await driver.write(path, offset === undefined ? {} : { offset })
  await pipeline(Readable.from([bytes]), w.stream)
  return w.commit()
}

export function storageDriverConformance(name: string, make: () => Promise<{ driver: StorageDriver; cleanup(): Promise<void> }>): void {
  describe(`storage driver conformance: ${name}`, () => {
    const withDriver = (fn: (d: StorageDriver) => Promise<void>) => async () => {
      const { driver, cleanup } = await make()
      try {
        await fn(driver)
      } finally {
        await cleanup()
      }
    }

    it('write, stat, read whole and by range', withDriver(async (d) => {
      const bytes = Buffer.from('0123456789abcdef')
      assert.equal(await put(d, 'a/b/file', bytes), 16)
      assert.equal((await d.stat('a/b/file'))?.size, 16)
      assert.deepEqual(await readAll(await d.read('a/b/file')), bytes)
      assert.equal((await readAll(await d.read('a/b/file', { offset: 4, length: 3 }))).toString(), '456')
      assert.equal((await readAll(await d.read('a/b/file', { offset: 10 }))).toString(), 'abcdef')
    }))

    it('stat of a missing path is null; read of it rejects', withDriver(async (d) => {
      assert.equal(await d.stat('missing/file'), null)
      await assert.rejects(d.read('missing/file'))
    }))

    it('a write continues at an offset; cancel cuts back to it', withDriver(async (d) => {
      await put(d, 'up/data', Buffer.from('abc'))
      assert.equal(await put(d, 'up/data', Buffer.from('def'), 3), 6)
      const w = await d.write('up/data', { offset: 6 })
      assert.equal(w.startSize, 6)
      await new Promise<void>((res) => w.stream.write(Buffer.from('ghi'), () => res()))
      await w.cancel()
      assert.equal((await d.stat('up/data'))?.size, 6)
      assert.equal((await readAll(await d.read('up/data'))).toString(), 'abcdef')
    }))

    it('continuing at an offset discards bytes beyond it; an offset past the end is refused', withDriver(async (d) => {
      await put(d, 'up/data', Buffer.from('abcdef'))
      assert.equal(await put(d, 'up/data', Buffer.from('XY'), 2), 4)
      assert.equal((await readAll(await d.read('up/data'))).toString(), 'abXY')
      await assert.rejects(d.write('up/data', { offset: 10 }))
      await assert.rejects(d.write('missing/data', { offset: 0 }))
    }))

    it('cancel of a new write leaves no file', withDriver(async (d) => {
      const w = await d.write('new/file')
      await new Promise<void>((res) => w.stream.write(Buffer.from('x'), () => res()))
      await w.cancel()
      assert.equal(await d.stat('new/file'), null)
    }))

    it('move publishes atomically and replaces the target', withDriver(async (d) => {
      await put(d, 'tmp/one', Buffer.from('one'))
      await put(d, 'final/x', Buffer.from('old'))
      await d.move('tmp/one', 'final/x')
      assert.equal(await d.stat('tmp/one'), null)
      assert.equal((await readAll(await d.read('final/x'))).toString(), 'one')
    }))

    it('list yields files under a prefix; delete removes a prefix and is idempotent', withDriver(async (d) => {
      await put(d, 'p/1', Buffer.from('1'))
      await put(d, 'p/q/2', Buffer.from('2'))
      await put(d, 'other/3', Buffer.from('3'))
      const listed: string[] = []
      for await (const p of d.list('p')) listed.push(p)
      assert.deepEqual(listed.sort(), ['p/1', 'p/q/2'])
      await d.delete('p')
      await d.delete('p')
      assert.equal(await d.stat('p/1'), null)
      assert.equal((await d.stat('other/3'))?.size, 1)
      const none: string[] = []
      for await (const p of d.list('nothing')) none.push(p)
      assert.deepEqual(none, [])
    }))

    it('deleteMany removes the published files named, across batches, and ignores missing ones', withDriver(async (d) => {
      if (d.deleteMany === undefined) return
      // 1203 paths named (two batches of S3's 1000), a few of them stored, around the boundary.
      const paths = Array.from({ length: 1203 }, (_, i) => `many/${String(i).padStart(4, '0')}`)
      // Published by a move, as blobs are.
      const publish = async (path: string, bytes: Buffer) => {
        await put(d, `staging/${path}`, bytes)
        await d.move(`staging/${path}`, path)
      }
      for (const i of [0, 1, 998, 999, 1000, 1001, 1202]) await publish(paths[i]!, Buffer.from('x'))
      await publish('many/keep', Buffer.from('k'))
      await d.deleteMany([...paths, 'missing/1'])
      const left: string[] = []
      for await (const p of d.list('many')) left.push(p)
      assert.deepEqual(left, ['many/keep'], 'every file named went, in both batches; the one not named stayed')
      await d.deleteMany([])
      await assert.rejects(d.deleteMany(['../escape']), /invalid storage path/)
      const aborted = new AbortController()
      aborted.abort(new Error('stopped'))
      await assert.rejects(d.deleteMany(['many/keep'], { signal: aborted.signal }), /stopped/)
      assert.equal((await d.stat('many/keep'))?.size, 1, 'an aborted deleteMany deletes nothing more')
    }))

    it('refuses paths that could leave the root', withDriver(async (d) => {
      for (const bad of ['../x', 'a/../../x', '/abs', 'a//b', '', 'a/./b', '.hidden', 'a\\b']) {
        await assert.rejects(d.stat(bad), /invalid storage path/, bad)
        await assert.rejects(d.write(bad), /invalid storage path/, bad)
      }
    }))
  })
}
