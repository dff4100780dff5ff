// Failed-login accounting: a user name that fails too often is locked out for a while, and a
// client address that fails very often is refused the same way. Both are counted whether or
// not the user exists, so a lockout says nothing about which names are real. The counts live
// in the shared state (Redis with several nodes), so every node enforces the same lockout.
import type { Counters } from '../cache/shared-state.js'

export interface LoginGuardOptions {
  counters: Counters
  maxFailures: number
  lockoutMs: number
  /** An address may fail this many times more often than one user name (a NAT hides many users). */
  addressFactor?: number
}

export class LoginGuard {
  constructor(private readonly o: LoginGuardOptions) {}

  private keys(username: string, address: string): [string, string] {
    return [`login:u:${username.toLowerCase()}`, `login:a:${address}`]
  }

  /** Milliseconds until the user name or the address may try again; 0 when they may now. */
  async retryAfterMs(username: string, address: string): Promise<number> {
    const waits = await Promise.all(this.keys(username, address).map((k) => this.o.counters.blockedFor(k)))
    return Math.max(...waits)
  }

  async failed(username: string, address: string): Promise<void> {
    const [user, addr] = this.keys(username, address)
    const limits: [string, number][] = [
      [user, this.o.maxFailures],
      [addr, this.o.maxFailures * (this.o.addressFactor ?? 10)],
    ]
    for (const [key, limit] of limits) {
      if ((await this.o.counters.hit(key, this.o.lockoutMs)) >= limit) await this.o.counters.block(key, this.o.lockoutMs)
    }
  }

  async succeeded(username: string): Promise<void> {
    await this.o.counters.reset(this.keys(username, '')[0])
  }
}
