// The timing decorator is a storage driver like any other (the conformance suite runs through it),
// and it reports each call under distribution's action names, failed calls included.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { storageDriverConformance } from '../../test/storage/driver-conformance.js'
import { FilesystemDriver } from './drivers/filesystem.js'
import { TimedDriver } from './timed-driver.js'

storageDriverConformance('filesystem, timed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-timed-'))
  return { driver: new TimedDriver(new FilesystemDriver(root), () => {}), cleanup: () => rm(root, { recursive: true, force: true }) }
})

describe('TimedDriver', () => {
  it('hands the X-Accel-Redirect path of the driver through', () => {
    assert.equal(new TimedDriver(new FilesystemDriver('/srv/none', { accelRedirectPrefix: '/_blobs/' }), () => {}).internalRedirect?.('a/b'), '/_blobs/a/b')
    assert.equal(new TimedDriver(new FilesystemDriver('/srv/none'), () => {}).internalRedirect?.('a/b'), null)
  })

  it('reports every action with the driver name, and keeps optional capabilities absent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-timed-'))
    const seen: string[] = []
    const d = new TimedDriver(new FilesystemDriver(root), (driver, action, seconds) => {
      assert.ok(seconds >= 0)
      seen.push(`${driver}:${action}`)
    })
    try {
      assert.equal(d.name, 'filesystem')
      assert.equal(d.redirectUrl, undefined)
      const w = await d.write('a/b')
      w.stream.end(Buffer.from('hello'))
      await new Promise((r) => w.stream.once('finish', r))
      await w.commit()
      await d.move('a/b', 'a/c')
      assert.equal((await d.stat('a/c'))?.size, 5)
      const r = await d.read('a/c')
      r.resume()
      for await (const _ of d.list('a')) void _
      await d.delete('a/c')
      await assert.rejects(d.read('a/missing'))
      assert.deepEqual(seen, ['filesystem:Writer', 'filesystem:Commit', 'filesystem:Move', 'filesystem:Stat', 'filesystem:Reader', 'filesystem:List', 'filesystem:Delete', 'filesystem:Reader'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
