// Password hashing (scrypt, memory-hard), constant-time verification, and Harbor's password policy.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { FairLimiter } from '../lib/fair-limiter.js'
import { BerthError } from '../lib/errors.js'

const scrypt = (password: string, salt: Buffer, length: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))))

/** Cost parameters: N=2^15, r=8 uses 32 MiB and ~100 ms per hash on the bench machine. */
const PARAMS = { N: 1 << 15, r: 8, p: 1 }
const KEY_LENGTH = 32
const maxmem = 64 << 20

/** Hashes a password as "scrypt$N$r$p$<salt b64>$<hash b64>". */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem })
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** Whether `password` matches `stored`; the comparison takes the same time whatever differs. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  const salt = Buffer.from(parts[4]!, 'base64')
  const expected = Buffer.from(parts[5]!, 'base64')
  if (![N, r, p].every(Number.isSafeInteger) || expected.length === 0) return false
  const actual = await scrypt(password, salt, expected.length, { N, r, p, maxmem })
  return timingSafeEqual(actual, expected)
}

export interface PasswordsOptions {
  /** Hashes that may run at once (each takes a libuv thread, a core and 32 MiB while it runs). */
  concurrency: number
  /** Hashes that may wait; past that a request is refused with TOOMANYREQUESTS (429, Retry-After). */
  maxQueued: number
}

/**
 * Password hashing with a capacity of its own. scrypt runs on libuv's four-thread pool, which
 * file reads share: unbounded, a flood of wrong logins would queue every blob read behind
 * password hashes and hold 32 MiB per hash. Here at most `concurrency` hashes run, waiting ones
 * queue per lane (the client address) and take turns, and a full queue is refused at once.
 */
export class Passwords {
  private readonly limiter: FairLimiter
  private decoy: Promise<string> | undefined

  constructor(o: PasswordsOptions) {
    this.limiter = new FairLimiter({
      concurrency: o.concurrency,
      maxQueued: o.maxQueued,
      refused: () => new BerthError('TOOMANYREQUESTS', 'too many password checks waiting; try again later', { retryAfterSeconds: 1 }),
    })
  }

  hash(password: string, lane: string): Promise<string> {
    return this.limiter.run(lane, () => hashPassword(password))
  }

  verify(password: string, stored: string, lane: string): Promise<boolean> {
    return this.limiter.run(lane, () => verifyPassword(password, stored))
  }

  /** The same work as checking a password, against a hash no password matches (for names that do not exist). */
  async decoyCheck(password: string, lane: string): Promise<void> {
    this.decoy ??= hashPassword(randomBytes(16).toString('hex'))
    await this.verify(password, await this.decoy, lane)
  }

  stats(): { running: number; queued: number } {
    return this.limiter.stats()
  }
}

/**
 * Harbor's password policy: 8 to 128 characters with at least one upper-case letter, one
 * lower-case letter and one digit. Returns what is wrong, or null.
 */
export function passwordProblem(password: string): string | null {
  if (password.length < 8 || password.length > 128) return 'must be 8 to 128 characters long'
  if (!/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password)) {
    return 'must contain at least one upper-case letter, one lower-case letter and one digit'
  }
  return null
}

/** A random password that satisfies the policy (for the generated first admin password). */
export function generatePassword(): string {
  for (;;) {
    const candidate = randomBytes(18).toString('base64url')
    if (passwordProblem(candidate) === null) return candidate
  }
}
