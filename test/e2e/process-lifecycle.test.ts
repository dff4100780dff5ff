// A Berth process's life: probes while starting, --workers sharing the port and replaced when
// one dies, and the drain on SIGTERM (readiness 503 first, then a clean exit).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { startBerth, freePort, type BerthProcess } from '../support/berth-process.js'
import { startupProbes } from '../../src/app/commands/server.js'
import type { Config } from '../../src/app/config.js'

/** PIDs of the direct children of a process. */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0)
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('process lifecycle', { timeout: 90_000 }, () => {
  const started: BerthProcess[] = []
  after(async () => {
    for (const b of started) await b.stop()
  })

  it('while starting, /livez answers 200 and everything else 503', async () => {
    const port = await freePort()
    const probes = await startupProbes({ http: { host: '127.0.0.1', port } } as Config)
    try {
      const live = await fetch(`http://127.0.0.1:${port}/livez`)
      assert.equal(live.status, 200)
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      assert.equal(ready.status, 503)
      assert.equal(ready.headers.get('retry-after'), '5')
      assert.equal((await fetch(`http://127.0.0.1:${port}/v2/`)).status, 503)
    } finally {
      await new Promise((r) => probes.close(r))
    }
  })

  it('--workers 2: two workers share the port, and one that dies is replaced', async () => {
    const b = await startBerth({ args: ['--workers', '2'] })
    started.push(b)
    const workers = await until('two workers', () => {
      const c = childrenOf(b.pid)
      return c.length === 2 ? c : undefined
    })
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${b.url}/v2/`, { headers: { authorization: b.authorization } })).status, 200)
    process.kill(workers[0]!, 'SIGKILL')
    const replaced = await until('a replacement worker', () => {
      const c = childrenOf(b.pid)
      return c.length === 2 && !c.includes(workers[0]!) ? c : undefined
    })
    assert.ok(replaced.includes(workers[1]!))
    // A connection the primary handed to the dying worker may fail; wait for answers again.
    await until('service after the replacement', async () => ((await fetch(`${b.url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined))
    assert.equal((await fetch(`${b.url}/v2/`, { headers: { authorization: b.authorization } })).status, 200)
  })

  it('SIGTERM drains: /readyz is 503 during the grace period, then the process exits 0', async () => {
    const b = await startBerth({ env: { BERTH_HTTP_SHUTDOWN_GRACE_SECONDS: '1.5' } })
    started.push(b)
    assert.equal((await fetch(`${b.url}/readyz`)).status, 200)
    process.kill(b.pid, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    const ready = await fetch(`${b.url}/readyz`)
    assert.equal(ready.status, 503)
    assert.deepEqual(await ready.json(), { status: 'draining' })
    // In-flight and new requests are still served during the grace period.
    assert.equal((await fetch(`${b.url}/v2/`, { headers: { authorization: b.authorization } })).status, 200)
    await until('exit', () => {
      try {
        process.kill(b.pid, 0)
        return undefined
      } catch {
        return true
      }
    })
    assert.match(b.logs(), /"msg":"shutting down"/)
  })
})
