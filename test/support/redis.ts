// Redis for tests: the machine's server at 127.0.0.1:6379 with a key prefix per test, or a
// private redis-server on a free loopback port that a test may stop and start again.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './berth-process.js'

export const REDIS_URL = process.env.BERTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A key prefix no other test uses. */
export function testPrefix(): string {
  return `berth-test:${randomBytes(6).toString('hex')}:`
}

function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host }, () => {
      s.end()
      resolve(true)
    })
    s.on('error', () => resolve(false))
    s.setTimeout(1000, () => {
      s.destroy()
      resolve(false)
    })
  })
}

/** For describe(): a loud skip when Redis is not reachable; under CI=true a failure instead. */
export async function redisSkip(): Promise<{ skip?: string }> {
  const u = new URL(REDIS_URL)
  if (await reachable(Number(u.port || 6379), u.hostname)) return {}
  const why = `Redis not reachable at ${REDIS_URL}`
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: the Redis suites must run)`)
  process.stderr.write(`\n*** SKIPPING Redis suites: ${why} ***\n\n`)
  return { skip: why }
}

export interface PrivateRedis {
  url: string
  port: number
  stop(): Promise<void>
  start(): Promise<void>
}

/**
 * A redis-server of the test's own on a free port, stoppable and restartable. Without
 * persistence by default; `persistent` keeps every write (fsynced) across a SIGKILL.
 */
export async function startPrivateRedis(o: { persistent?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = o.persistent === true ? mkdtempSync(join(tmpdir(), 'berth-redis-')) : undefined
  const persistence = dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' })
    const end = Date.now() + 10_000
    while (!(await reachable(port))) {
      if (Date.now() > end) throw new Error('redis-server did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const stop = async () => {
    if (child === undefined || child.exitCode !== null) return
    const c = child
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill('SIGKILL')
    })
  }
  process.once('exit', () => {
    child?.kill('SIGKILL')
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })
  await start()
  return { url: `redis://127.0.0.1:${port}`, port, start, stop }
}
