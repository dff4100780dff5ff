// Runs the storage driver conformance suite on the filesystem driver.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storageDriverConformance } from '../../../test/storage/driver-conformance.js'
import { FilesystemDriver } from './filesystem.js'

storageDriverConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-fs-'))
  return { driver: new FilesystemDriver(root), cleanup: () => rm(root, { recursive: true, force: true }) }
})
