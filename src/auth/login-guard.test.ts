// Login attempt accounting: per user name and per address, timed, blind to whether a name exists,
// and holding when attempts arrive at once (attempts in flight count).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LoginGuard } from './login-guard.js'
import { MemoryState } from '../cache/shared-state.js'
import { BerthError } from '../lib/errors.js'

const clock = () => {
  let t = 1_000_000
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

/** One failed password check of `name` from `address`. */
async function fail(g: LoginGuard, name: string, address: string): Promise<void> {
  await (await g.begin(name, address)).failed()
}

function isTooMany(err: unknown): boolean {
  return err instanceof BerthError && err.code === 'TOOMANYREQUESTS'
}

describe('login guard', () => {
  it('locks a user name after maxFailures within the window, for lockoutMs', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 3, lockoutMs: 60_000 })
    await fail(g, 'Alice', '10.0.0.1')
    await fail(g, 'alice', '10.0.0.2')
    assert.equal(await g.retryAfterMs('alice', '10.0.0.3'), 0)
    await fail(g, 'ALICE', '10.0.0.3')
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 60_000)
    await assert.rejects(g.begin('alice', '10.0.0.9'), (err: BerthError) => isTooMany(err) && (err.detail as { retryAfterSeconds: number }).retryAfterSeconds === 60)
    assert.equal(await g.retryAfterMs('bob', '10.0.0.9'), 0)
    c.advance(59_000)
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 1_000)
    c.advance(1_000)
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 0)
  })

  it('failures older than the window do not count, and a success resets the name', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 2, lockoutMs: 10_000 })
    await fail(g, 'a', 'x')
    c.advance(10_001)
    await fail(g, 'a', 'y')
    assert.equal(await g.retryAfterMs('a', 'z'), 0)
    await (await g.begin('a', 'z')).succeeded()
    await fail(g, 'a', 'w')
    assert.equal(await g.retryAfterMs('a', 'z'), 0)
  })

  it('an address failing across many names is locked at addressFactor x maxFailures', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 2, lockoutMs: 10_000, addressFactor: 3 })
    for (let i = 0; i < 5; i++) await fail(g, `user${i}`, '192.0.2.1')
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.1'), 0)
    await fail(g, 'user5', '192.0.2.1')
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.1'), 10_000)
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.2'), 0)
  })

  it('attempts in flight count: of 25 begun at once, 5 get a check and 20 are refused', async () => {
    // A still clock: the lockout left is exactly the lockout (a real clock may tick in between).
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 5, lockoutMs: 60_000 })
    const outcomes = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => g.begin('victim', `10.0.1.${i}`)))
    const granted = outcomes.filter((o) => o.status === 'fulfilled')
    assert.equal(granted.length, 5)
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' || isTooMany(o.reason)))
    // While the five are in flight nobody else gets a check; when they fail, the name is locked.
    await assert.rejects(g.begin('victim', '10.0.2.1'), isTooMany)
    for (const o of granted) await (o as PromiseFulfilledResult<Awaited<ReturnType<LoginGuard['begin']>>>).value.failed()
    assert.equal(await g.retryAfterMs('victim', '10.0.2.1'), 60_000)
  })

  it('a success or an abandoned check gives its place back; a refused one holds none', async () => {
    const g = new LoginGuard({ counters: new MemoryState().counters, maxFailures: 2, lockoutMs: 60_000, addressFactor: 1 })
    const first = await g.begin('u', 'addr')
    const second = await g.begin('v', 'addr')
    await assert.rejects(g.begin('w', 'addr'), isTooMany)
    await first.abandoned()
    await second.succeeded()
    // Both places are free again, and nothing was locked by the refusal.
    const again = [await g.begin('x', 'addr'), await g.begin('y', 'addr')]
    assert.equal(await g.retryAfterMs('z', 'addr'), 0)
    for (const a of again) await a.succeeded()
  })
})
