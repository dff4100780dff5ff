// Failed-login accounting: a user name that fails too often is locked out for a while, and a
// client address that fails very often is slowed the same way. Both are counted whether or not
// the user exists, so a lockout says nothing about which names are real.
// In process for now; the Redis-backed variant shares the counts between nodes.

export interface LoginGuardOptions {
  maxFailures: number
  lockoutMs: number
  /** An address may fail this many times more often than one user name (a NAT hides many users). */
  addressFactor?: number
  now?: () => number
}

interface Counter {
  failures: number[]
  lockedUntil: number
}

const MAX_KEYS = 100_000

export class LoginGuard {
  private readonly counters = new Map<string, Counter>()

  constructor(private readonly o: LoginGuardOptions) {}

  private get now(): number {
    return (this.o.now ?? Date.now)()
  }

  /** Milliseconds until the user name or the address may try again; 0 when they may now. */
  retryAfterMs(username: string, address: string): number {
    const now = this.now
    const wait = [this.counters.get(`u:${username.toLowerCase()}`), this.counters.get(`a:${address}`)].map((c) => (c === undefined ? 0 : Math.max(0, c.lockedUntil - now)))
    return Math.max(...wait)
  }

  failed(username: string, address: string): void {
    this.count(`u:${username.toLowerCase()}`, this.o.maxFailures)
    this.count(`a:${address}`, this.o.maxFailures * (this.o.addressFactor ?? 10))
  }

  succeeded(username: string): void {
    this.counters.delete(`u:${username.toLowerCase()}`)
  }

  private count(key: string, limit: number): void {
    const now = this.now
    const c = this.counters.get(key) ?? { failures: [], lockedUntil: 0 }
    c.failures = c.failures.filter((t) => t > now - this.o.lockoutMs)
    c.failures.push(now)
    if (c.failures.length >= limit) {
      c.lockedUntil = now + this.o.lockoutMs
      c.failures = []
    }
    this.counters.delete(key)
    this.counters.set(key, c)
    if (this.counters.size > MAX_KEYS) this.counters.delete(this.counters.keys().next().value!)
  }
}
