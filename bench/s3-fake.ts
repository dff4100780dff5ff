// The test S3 (s3rver) in a process of its own, for benchmarks: its file work then does not
// share the event loop with the server measured. Prints its endpoint as one JSON line; stops
// when its stdin closes.
import { startS3 } from '../test/support/s3-server.js'

const s3 = await startS3()
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, region: s3.region })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void s3.stop().then(() => process.exit(0)))
