// Runs the storage driver conformance suite on the S3 driver, against a fake S3 (s3rver, see
// test/support/s3-server.ts): one server for the file, a fresh key prefix per test.
import { after } from 'node:test'
import { randomUUID } from 'node:crypto'
import { driverFor, startS3 } from '../support/s3-server.js'
import { storageDriverConformance } from './driver-conformance.js'

const s3 = await startS3()
after(() => s3.stop())

storageDriverConformance('s3', async () => {
  const driver = driverFor(s3, { prefix: `conformance/${randomUUID()}` })
  return { driver, cleanup: async () => driver.destroy() }
})
