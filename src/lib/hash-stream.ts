// Hashing while streaming: a pass-through Transform that feeds every chunk to a Hasher.
import { Transform, type TransformCallback } from 'node:stream'
import type { Hasher } from './hasher.js'


/** Passes bytes through unchanged, counting and hashing them; waits when the hasher is behind. */
export class HashingStream extends Transform {
  bytes = 0
  constructor(readonly hash: Hasher) {
    super({ highWaterMark: 1 << 20 })
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    this.push(chunk)
    const wait = this.hash.update(chunk)
    if (wait === undefined) done()
    else wait.then(() => done(), done)
  }
}
