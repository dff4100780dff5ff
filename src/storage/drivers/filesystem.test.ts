// Runs the storage driver conformance suite on the filesystem driver, and checks the paths it hands nginx.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { storageDriverConformance } from '../../../test/storage/driver-conformance.js'
import { blobPath } from '../layout.js'
import type { Digest } from '../../oci/digest.js'
import { FilesystemDriver } from './filesystem.js'

storageDriverConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-fs-'))
  return { driver: new FilesystemDriver(root), cleanup: () => rm(root, { recursive: true, force: true }) }
})

describe('filesystem driver: internal redirects for nginx (X-Accel-Redirect)', () => {
  const digest = `sha256:${'ab'.repeat(32)}` as Digest

  it('are off without a prefix', () => {
    assert.equal(new FilesystemDriver('/srv/berth').internalRedirect(blobPath(digest)), null)
    assert.equal(new FilesystemDriver('/srv/berth', { accelRedirectPrefix: '' }).internalRedirect(blobPath(digest)), null)
  })

  it('name a blob by the prefix and its path under the root, never the root itself', () => {
    const driver = new FilesystemDriver('/srv/berth', { accelRedirectPrefix: '/_berth_blobs/' })
    assert.equal(driver.internalRedirect(blobPath(digest)), `/_berth_blobs/blobs/sha256/ab/${'ab'.repeat(32)}`)
  })

  it('refuse a path that could climb out of the root or is not a plain path', () => {
    const driver = new FilesystemDriver('/srv/berth', { accelRedirectPrefix: '/_berth_blobs/' })
    for (const bad of ['../etc/passwd', 'blobs/../../etc/passwd', '/etc/passwd', 'blobs//x', 'blobs/sha256/ab/x?y', 'blobs/%2e%2e/x', '']) {
      assert.throws(() => driver.internalRedirect(bad), /invalid storage path/, bad)
    }
  })
})
