// Runs the storage driver conformance suite on the S3 driver, against a fake S3 (s3rver, see
// test/support/s3-server.ts): one server for the file, a fresh key prefix per test.
import { after } from 'node:test'
import { randomUUID } from 'node:crypto'
import { S3Driver } from '../../src/storage/drivers/s3.js'
import { startS3 } from '../support/s3-server.js'
import { storageDriverConformance } from './driver-conformance.js'

const s3 = await startS3()
after(() => s3.stop())

storageDriverConformance('s3', async () => {
  const driver = new S3Driver({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: `conformance/${randomUUID()}`,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    forcePathStyle: true,
  })
  return { driver, cleanup: async () => driver.destroy() }
})
