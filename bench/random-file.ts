// A file of random bytes for the transfer benchmarks, and its digest, written a MiB at a time.
import { createHash, randomFillSync } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

const MiB = 1024 * 1024

/** Writes `bytes` random bytes to `path`; resolves with their sha256 digest. */
export async function randomFile(path: string, bytes: number): Promise<string> {
  const out = createWriteStream(path)
  const hash = createHash('sha256')
  const chunk = Buffer.alloc(MiB)
  for (let left = bytes; left > 0; left -= MiB) {
    const piece = randomFillSync(chunk).subarray(0, Math.min(MiB, left))
    hash.update(piece)
    if (!out.write(Buffer.from(piece))) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return `sha256:${hash.digest('hex')}`
}
