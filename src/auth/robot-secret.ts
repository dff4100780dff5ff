// Robot secrets at rest. A generated secret (192 random bits) is kept as an HMAC keyed with a key
// every node shares: fast to check, and a leaked table alone cannot be checked offline. A secret a
// user chose may be guessable, so it is kept like a password (scrypt). Hashes written before
// keyed hashing (bare SHA-256, 64 hex digits) still verify, so an upgrade signs no robot out.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { hashPassword, verifyPassword, type Passwords } from './password.js'

/** The prefix of a keyed hash: "hmac-sha256$<base64url>". */
const KEYED = 'hmac-sha256$'
/** A hash from before keyed hashing: bare SHA-256 of the secret, hex. */
const LEGACY = /^[0-9a-f]{64}$/

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b)
}

export class RobotSecrets {
  /** `key`: at least 32 bytes, the same on every node (a shared secret sealed with secret_key). */
  /** `passwords`: when given, scrypt work for chosen secrets runs in its bounded capacity. */
  constructor(
    private readonly key: Buffer,
    private readonly passwords?: Passwords,
  ) {
    if (key.length < 32) throw new Error('the robot secret key must be at least 32 bytes')
  }

  private keyed(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret).digest()
  }

  /** A new random secret and its keyed hash. */
  generate(): { secret: string; hash: string } {
    const secret = randomBytes(24).toString('base64url')
    return { secret, hash: KEYED + this.keyed(secret).toString('base64url') }
  }

  /** The hash of a secret a user chose (the caller has checked it against the password policy). */
  chosen(secret: string, lane = 'local'): Promise<string> {
    return this.passwords?.hash(secret, lane) ?? hashPassword(secret)
  }

  /** Whether `secret` matches `stored`, whichever of the three formats it is in. */
  async verify(secret: string, stored: string, lane = 'local'): Promise<boolean> {
    if (stored.startsWith(KEYED)) return same(this.keyed(secret), Buffer.from(stored.slice(KEYED.length), 'base64url'))
    if (stored.startsWith('scrypt$')) return this.passwords?.verify(secret, stored, lane) ?? verifyPassword(secret, stored)
    if (LEGACY.test(stored)) return same(createHash('sha256').update(secret).digest(), Buffer.from(stored, 'hex'))
    return false
  }
}
