// Reading a blob's bytes from a given offset, for transfers that send a blob in pieces and
// resume a piece that failed: one open stream read piece by piece, reopened only when a piece
// does not start where the stream stands.
import { Readable, Transform, type TransformCallback } from 'node:stream'

/**
 * Reads a source in consecutive pieces from one open stream; a piece that does not start where
 * the stream stands (after a failure, or a retry) reopens the source at its offset.
 */
export class SourceReader {
  private stream: Readable | null = null
  private iterator: AsyncIterator<Buffer> | null = null
  private leftover: Buffer | null = null
  private position = -1

  constructor(private readonly open: (offset: number) => Promise<Readable>) {}

  async piece(offset: number, length: number): Promise<Readable> {
    if (this.stream === null || this.position !== offset) {
      this.close()
      this.stream = await this.open(offset)
      this.iterator = this.stream[Symbol.asyncIterator]()
      this.position = offset
    }
    return Readable.from(this.read(length), { objectMode: false })
  }

  private async *read(length: number): AsyncGenerator<Buffer> {
    let left = length
    try {
      while (left > 0) {
        let chunk = this.leftover
        this.leftover = null
        if (chunk === null) {
          const next = await this.iterator!.next()
          if (next.done === true) throw new Error(`the source ended at byte ${this.position}, before the blob did`)
          chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
        }
        if (chunk.length > left) {
          this.leftover = chunk.subarray(left)
          chunk = chunk.subarray(0, left)
        }
        left -= chunk.length
        this.position += chunk.length
        yield chunk
      }
    } catch (err) {
      this.close()
      throw err
    }
  }

  close(): void {
    this.stream?.destroy()
    this.stream = null
    this.iterator = null
    this.leftover = null
    this.position = -1
  }
}

/** Drops the first `n` bytes (a server that ignored a Range request). */
export class Skip extends Transform {
  constructor(private left: number) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.left >= chunk.length) {
      this.left -= chunk.length
      return done()
    }
    done(null, chunk.subarray(this.left))
    this.left = 0
  }
}
