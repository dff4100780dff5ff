// Content digests ("sha256:<hex>"): parsing, validation and computing.
import { createHash } from 'node:crypto'
import { BerthError } from '../lib/errors.js'
import type { HashAlgorithm } from '../lib/hasher.js'

/** A validated digest string, e.g. "sha256:9f86d0...". */
export type Digest = string & { readonly __digest: unique symbol }

const HEX_LENGTH: Record<HashAlgorithm, number> = { sha256: 64, sha512: 128 }
const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/

export function isDigest(value: string): value is Digest {
  const m = DIGEST.exec(value)
  return m !== null && m[2]!.length === HEX_LENGTH[m[1] as HashAlgorithm]
}

/** Parses a digest or throws DIGEST_INVALID (a 400 on the wire). */
export function parseDigest(value: string | undefined, what = 'digest'): Digest {
  if (value === undefined || value === '') throw new BerthError('DIGEST_INVALID', `${what} is required`)
  if (!isDigest(value)) {
    const alg = value.split(':')[0]
    if (/^[a-z0-9]+([+._-][a-z0-9]+)*$/.test(alg ?? '') && value.includes(':') && !(alg! in HEX_LENGTH)) {
      throw new BerthError('UNSUPPORTED', `digest algorithm ${JSON.stringify(alg)} is not supported (use sha256 or sha512)`)
    }
    throw new BerthError('DIGEST_INVALID', `invalid ${what}`, { [what]: value.slice(0, 200) })
  }
  return value
}

export function digestAlgorithm(d: Digest): HashAlgorithm {
  return d.slice(0, d.indexOf(':')) as HashAlgorithm
}

export function digestOf(bytes: Uint8Array, algorithm: HashAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest
}
