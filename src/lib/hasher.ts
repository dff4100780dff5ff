// Running content hashes behind a small interface, so that where hashing runs (this thread
// today) can change without touching the blob store. update() may ask for backpressure.
import { createHash, type Hash } from 'node:crypto'

export type HashAlgorithm = 'sha256' | 'sha512'

/** A running hash. `update` may return a promise: wait for it before sending more (backpressure). */
export interface Hasher {
  readonly algorithm: HashAlgorithm
  update(chunk: Uint8Array): void | Promise<void>
  /** An independent hash with the same state. */
  copy(): Hasher
  /** Hex digest of everything so far; the hash stays usable. */
  digest(): Promise<string>
  /** Frees the hash; further use is an error. */
  dispose(): void
}

export type HasherFactory = (algorithm: HashAlgorithm) => Hasher

/** Hashing in this thread (node:crypto). */
export class LocalHasher implements Hasher {
  constructor(
    readonly algorithm: HashAlgorithm,
    private readonly hash: Hash = createHash(algorithm),
  ) {}
  update(chunk: Uint8Array): void {
    this.hash.update(chunk)
  }
  copy(): Hasher {
    return new LocalHasher(this.algorithm, this.hash.copy())
  }
  async digest(): Promise<string> {
    return this.hash.copy().digest('hex')
  }
  dispose(): void {}
}

export const localHashers: HasherFactory = (algorithm) => new LocalHasher(algorithm)
