// Failed-login lockout: per user name and per address, timed, and blind to whether a name exists.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LoginGuard } from './login-guard.js'
import { MemoryState } from '../cache/shared-state.js'

describe('login guard', () => {
  const clock = () => {
    let t = 1_000_000
    return { now: () => t, advance: (ms: number) => (t += ms) }
  }

  it('locks a user name after maxFailures within the window, for lockoutMs', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 3, lockoutMs: 60_000 })
    await g.failed('Alice', '10.0.0.1')
    await g.failed('alice', '10.0.0.2')
    assert.equal(await g.retryAfterMs('alice', '10.0.0.3'), 0)
    await g.failed('ALICE', '10.0.0.3')
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 60_000)
    assert.equal(await g.retryAfterMs('bob', '10.0.0.9'), 0)
    c.advance(59_000)
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 1_000)
    c.advance(1_000)
    assert.equal(await g.retryAfterMs('alice', '10.0.0.9'), 0)
  })

  it('failures older than the window do not count, and a success resets the name', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 2, lockoutMs: 10_000 })
    await g.failed('a', 'x')
    c.advance(10_001)
    await g.failed('a', 'y')
    assert.equal(await g.retryAfterMs('a', 'z'), 0)
    await g.succeeded('a')
    await g.failed('a', 'w')
    assert.equal(await g.retryAfterMs('a', 'z'), 0)
  })

  it('an address failing across many names is locked at addressFactor x maxFailures', async () => {
    const c = clock()
    const g = new LoginGuard({ counters: new MemoryState(c.now).counters, maxFailures: 2, lockoutMs: 10_000, addressFactor: 3 })
    for (let i = 0; i < 5; i++) await g.failed(`user${i}`, '192.0.2.1')
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.1'), 0)
    await g.failed('user5', '192.0.2.1')
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.1'), 10_000)
    assert.equal(await g.retryAfterMs('fresh', '192.0.2.2'), 0)
  })
})
