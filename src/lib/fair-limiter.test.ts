// The fair limiter: bounded concurrency, lanes served in turn, a bounded queue that refuses at once
// and makes the longest lane give way to a shorter one.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FairLimiter } from './fair-limiter.js'
import { BerthError } from './errors.js'

/** A task that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void
  const done = new Promise<void>((r) => (open = r))
  return { task: () => (log.push(name), done), open }
}

const refused = () => new BerthError('TOOMANYREQUESTS', 'full')
const tick = () => new Promise((r) => setImmediate(r))

describe('fair limiter', () => {
  it('runs at most `concurrency` tasks at once', async () => {
    const l = new FairLimiter({ concurrency: 2, maxQueued: 10, refused })
    let running = 0
    let peak = 0
    const task = async () => {
      peak = Math.max(peak, ++running)
      await tick()
      running--
    }
    await Promise.all(Array.from({ length: 12 }, (_, i) => l.run(`lane${i % 3}`, task)))
    assert.equal(peak, 2)
    assert.deepEqual(l.stats(), { running: 0, queued: 0, lanes: 0 })
  })

  it("serves lanes in turn: a quiet lane's task waits one turn of the flood, not the whole flood", async () => {
    const l = new FairLimiter({ concurrency: 1, maxQueued: 100, refused })
    const log: string[] = []
    const gates = Array.from({ length: 6 }, (_, i) => gate(log, `flood${i}`))
    const flood = gates.map((g) => l.run('flood', g.task))
    const quiet = gate(log, 'quiet')
    const q = l.run('quiet', quiet.task)
    for (const g of gates.slice(0, 2)) {
      g.open()
      await tick()
      await tick()
    }
    // The flood's lane was first in the round, so it had one turn; then the quiet lane's.
    assert.deepEqual(log, ['flood0', 'flood1', 'quiet'])
    quiet.open()
    for (const g of gates) g.open()
    await Promise.all([...flood, q])
  })

  it('a full queue refuses at once, and the longest lane gives way to a shorter one', async () => {
    const l = new FairLimiter({ concurrency: 1, maxQueued: 3, refused })
    const log: string[] = []
    const running = gate(log, 'running')
    const r = l.run('flood', running.task)
    const gates = [0, 1, 2].map((i) => gate(log, `f${i}`))
    const waiting = gates.map((g) => l.run('flood', g.task).then(() => 'ran', (e: BerthError) => e.code))
    // The flood's own next task is refused: its lane is the longest.
    assert.equal(await l.run('flood', async () => 'ran').catch((e: BerthError) => e.code), 'TOOMANYREQUESTS')
    // A quiet lane's task takes the place of the flood's newest waiting one.
    const quiet = l.run('quiet', async () => (log.push('quiet'), 'ran'))
    assert.equal(await waiting[2], 'TOOMANYREQUESTS')
    assert.deepEqual(l.stats(), { running: 1, queued: 3, lanes: 2 })
    running.open()
    for (const g of gates) g.open()
    await r
    assert.equal(await quiet, 'ran')
    assert.deepEqual(await Promise.all(waiting.slice(0, 2)), ['ran', 'ran'])
    // After the running task: the flood's oldest, then the quiet lane's turn, then the flood again.
    assert.deepEqual(log, ['running', 'f0', 'quiet', 'f1'])
  })
})
