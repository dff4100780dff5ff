// Bandwidth limits for transfers with another registry: a token bucket shared by every transfer
// of one registry (or one proxy-cache project), and the stream that waits on it.
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

/** Rate limit shared by every transfer of one registry: `rate` bytes a second, bursts up to one second's worth. */
export class TokenBucket {
  private tokens: number
  private last = performance.now()

  constructor(readonly rate: number) {
    this.tokens = rate
  }

  /** Waits until `n` (at most `rate`) bytes may pass. */
  async take(n: number): Promise<void> {
    for (;;) {
      const t = performance.now()
      this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) * this.rate) / 1000)
      this.last = t
      if (this.tokens >= n) {
        this.tokens -= n
        return
      }
      await sleep(Math.ceil(((n - this.tokens) * 1000) / this.rate))
    }
  }
}

export class Throttle extends Transform {
  private readonly step: number

  constructor(private readonly bucket: TokenBucket) {
    super()
    this.step = Math.max(1, Math.min(bucket.rate, 64 * 1024))
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    void (async () => {
      for (let i = 0; i < chunk.length && !this.destroyed; i += this.step) {
        const piece = chunk.subarray(i, i + this.step)
        await this.bucket.take(piece.length)
        this.push(piece)
      }
    })().then(() => done(), done)
  }
}

/** `stream` limited by `bucket`; `stream` itself when there is no limit. */
export function throttled(stream: Readable, bucket: TokenBucket | null): Readable {
  return bucket === null ? stream : pipeline(stream, new Throttle(bucket), () => {})
}
