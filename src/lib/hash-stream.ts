// Hashing while streaming: a pass-through Transform that feeds every chunk to a hash.
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

export type HashAlgorithm = 'sha256' | 'sha512'

/** Passes bytes through unchanged, counting and hashing them. */
export class HashingStream extends Transform {
  bytes = 0
  constructor(readonly hash: Hash) {
    super({ highWaterMark: 1 << 20 })
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    done(null, chunk)
  }
}

export function newHash(algorithm: HashAlgorithm): Hash {
  return createHash(algorithm)
}
