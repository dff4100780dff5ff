// Login attempt accounting: a user name, and a client address, each get at most a fixed number of
// password checks per window, however many requests arrive at once. An attempt is reserved before
// the (slow) password check runs, so attempts in flight count: 25 parallel guesses at a name with a
// limit of 5 get 5 checks and 20 refusals. Failures keep their reservation, and a name or address
// whose failures reach the limit is locked out for a while; a success gives its reservation back.
// Names are counted whether or not they exist, so a lockout says nothing about which names are
// real. The counts live in the shared state (Redis with several nodes), so every node enforces
// the same limits.
import { BerthError } from '../lib/errors.js'
import type { Counters } from '../cache/shared-state.js'

export interface LoginGuardOptions {
  counters: Counters
  maxFailures: number
  lockoutMs: number
  /** An address may fail this many times more often than one user name (a NAT hides many users). */
  addressFactor?: number
  /** Told of each login refused before its password check: the name or address is locked out, or too many checks are in flight. */
  refused?: (reason: 'locked_out' | 'in_flight') => void
  /** Told of each lockout that starts, of a user name or of a client address. */
  lockedOut?: (scope: 'user' | 'address') => void
}

/** One reserved password check; exactly one of its methods is called when the check is done. */
export interface LoginAttempt {
  /** Wrong credentials: the attempt stays counted, and a name or address at its limit is locked out. */
  failed(): Promise<void>
  /** Right credentials: the name's failures are forgotten, and the address gets its attempt back. */
  succeeded(): Promise<void>
  /** The check could not be made (a directory outage, a full hashing queue): the attempt is given back. */
  abandoned(): Promise<void>
}

/** Seconds a caller refused because other attempts are still in flight is asked to wait. */
const IN_FLIGHT_RETRY_SECONDS = 1

export function tooManyLogins(retryAfterSeconds: number, message = 'too many failed logins; try again later'): BerthError {
  return new BerthError('TOOMANYREQUESTS', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) })
}

export class LoginGuard {
  constructor(private readonly o: LoginGuardOptions) {}

  private keys(username: string, address: string): { key: string; limit: number }[] {
    return [
      { key: `login:u:${username.toLowerCase()}`, limit: this.o.maxFailures },
      { key: `login:a:${address}`, limit: this.o.maxFailures * (this.o.addressFactor ?? 10) },
    ]
  }

  /** Milliseconds until the user name or the address may try again; 0 when they may now. */
  async retryAfterMs(username: string, address: string): Promise<number> {
    const waits = await Promise.all(this.keys(username, address).map((k) => this.o.counters.blockedFor(k.key)))
    return Math.max(...waits)
  }

  /** Refuses (TOOMANYREQUESTS) a name or address that is locked out. Counts nothing. */
  async check(username: string, address: string): Promise<void> {
    const wait = await this.retryAfterMs(username, address)
    if (wait > 0) {
      this.o.refused?.('locked_out')
      throw tooManyLogins(wait / 1000)
    }
  }

  /**
   * Reserves one password check for the name and for the address, before the check runs.
   * TOOMANYREQUESTS when either is locked out, or when its reservations (failures in the window
   * plus checks in flight) would pass its limit; a refused reservation holds nothing.
   */
  async begin(username: string, address: string): Promise<LoginAttempt> {
    await this.check(username, address)
    const [user, addr] = this.keys(username, address)
    const counts = await Promise.all([user!, addr!].map((k) => this.o.counters.hit(k.key, this.o.lockoutMs)))
    const over = [user!, addr!].some((k, i) => counts[i]! > k.limit)
    if (over) {
      await Promise.all([user!, addr!].map((k) => this.o.counters.undo(k.key)))
      // Failures that filled the window lock the name or address; what is left is in flight.
      await this.check(username, address)
      this.o.refused?.('in_flight')
      throw tooManyLogins(IN_FLIGHT_RETRY_SECONDS, 'too many login attempts in progress; try again later')
    }
    let settled = false
    const once = async (fn: () => Promise<void>) => {
      if (settled) return
      settled = true
      await fn()
    }
    return {
      failed: () =>
        once(async () => {
          for (const [i, k] of [user!, addr!].entries()) {
            if (counts[i]! < k.limit) continue
            await this.o.counters.block(k.key, this.o.lockoutMs)
            this.o.lockedOut?.(i === 0 ? 'user' : 'address')
          }
        }),
      succeeded: () => once(async () => void (await Promise.all([this.o.counters.reset(user!.key), this.o.counters.undo(addr!.key)]))),
      abandoned: () => once(async () => void (await Promise.all([user!, addr!].map((k) => this.o.counters.undo(k.key))))),
    }
  }
}
