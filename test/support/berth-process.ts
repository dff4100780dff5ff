// Starts a real Berth server as a child process on loopback for end-to-end suites, and guards on client tools.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { supervise } from './child-process.js'

export type BerthProcess = {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string
  port: number
  pid: number
  dataDir: string
  /** The admin's credentials (BERTH_ADMIN_PASSWORD of a fresh data dir). */
  username: string
  password: string
  /** `username:password`, as skopeo's --creds and podman's --creds take them. */
  creds: string
  /** The Authorization header value for the admin (Basic). */
  authorization: string
  /** Everything the server wrote to stdout and stderr so far (the newest 4 MiB). */
  logs(): string
  /** SIGTERM, then SIGKILL after 5 s; removes the data dir if startBerth created it. Idempotent. */
  stop(): Promise<void>
}

/** The admin password of every server startBerth starts on a fresh data dir. */
export const E2E_ADMIN_PASSWORD = 'E2e-Admin-Passw0rd'

export type StartOptions = {
  /** Extra environment for the server; wins over the defaults. */
  env?: Record<string, string>
  /** Extra arguments after `serve` (e.g. ['--workers', '2']). */
  args?: string[]
  /** Use this data dir (kept on stop) instead of a fresh temp dir (removed on stop). */
  dataDir?: string
  /** Listen on this port (a server that comes back where its peers know it); default a free one. */
  port?: number
  /** How long to wait for GET /v2/ (as admin) = 200; default 20 s. */
  readyTimeoutMs?: number
}

// dist/test/support/berth-process.js -> repository root
const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..')
const maxLogBytes = 4 * 1024 * 1024

/** Signals the server's whole process group (it may fork workers), falling back to the process alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

/**
 * The server entry point. BERTH_E2E_CLI may point at another build (a JS file run with node),
 * e.g. to run the suites against a released version.
 */
function cliPath(): string {
  return resolve(repoRoot, process.env.BERTH_E2E_CLI ?? 'dist/src/app/cli.js')
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      if (addr === null || typeof addr === 'string') {
        srv.close()
        reject(new Error('no port from listen(0)'))
        return
      }
      srv.close(() => resolvePort(addr.port))
    })
  })
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Starts `node dist/src/app/cli.js serve` on a free loopback port with its own data dir and waits
 * until GET /v2/ answers 200 to the admin. Retries (twice) when another process took the port in the meantime.
 */
export async function startBerth(opts: StartOptions = {}): Promise<BerthProcess> {
  const cli = cliPath()
  if (!existsSync(cli)) throw new Error(`Berth is not built: ${cli} is missing (run npm run build)`)
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(cli, opts.port ?? (await freePort()), opts)
    } catch (e) {
      if (attempt >= 3 || opts.port !== undefined || !String(e).includes('EADDRINUSE')) throw e
    }
  }
}

async function startOnce(cli: string, port: number, opts: StartOptions): Promise<BerthProcess> {
  const ownDataDir = opts.dataDir === undefined
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-e2e-'))
  const url = `http://127.0.0.1:${port}`
  const password = opts.env?.BERTH_ADMIN_PASSWORD ?? E2E_ADMIN_PASSWORD
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`

  // Settings from the developer's shell (BERTH_DATABASE_URL, BERTH_CONFIG...) must not leak in.
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BERTH_')) env[k] = v
  Object.assign(env, {
    BERTH_HTTP_HOST: '127.0.0.1',
    BERTH_HTTP_PORT: String(port),
    BERTH_DATA_DIR: dataDir,
    BERTH_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
    // Tests stop servers often; the drain period is for load balancers (set it where one is tested).
    BERTH_HTTP_SHUTDOWN_GRACE_SECONDS: '0',
    ...opts.env,
  })

  // detached: the server leads its own process group, so stop() reaches any workers it forks, and a
  // Ctrl-C in the terminal reaches only the test process, whose handler then stops the server.
  const child = spawn(process.execPath, [cli, 'serve', ...(opts.args ?? [])], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  // A test process that dies must not leave servers behind (supervise kills what is left).
  const proc = supervise(child, { maxLogBytes, signal: (sig) => signalGroup(child, sig) })
  const stop = async (): Promise<void> => {
    await proc.stop()
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true })
  }

  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000
  const deadline = Date.now() + readyTimeoutMs
  let lastProblem = 'no answer yet'
  for (;;) {
    const ended = proc.ended()
    if (ended !== null) {
      await stop()
      throw new Error(`Berth ${ended}\n--- server output ---\n${proc.logs()}`)
    }
    try {
      const res = await fetch(`${url}/v2/`, { headers: { authorization }, signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200) break
      lastProblem = `GET /v2/ answered ${res.status}`
    } catch (e) {
      lastProblem = String(e)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`Berth not ready after ${readyTimeoutMs} ms (${lastProblem})\n--- server output ---\n${proc.logs()}`)
    }
    await sleep(100)
  }

  if (child.pid === undefined) throw new Error('Berth child has no pid')
  return { url, port, pid: child.pid, dataDir, username: 'admin', password, creds: `admin:${password}`, authorization, logs: proc.logs, stop }
}

/** Whether an executable named `name` is on PATH. */
export function hasTool(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), fsConstants.X_OK)
      return true
    } catch {
      // not in this directory
    }
  }
  return false
}

/**
 * For `describe(name, { skip: missingTools(['skopeo']) }, ...)`: false when every tool is on PATH,
 * else a skip reason, printed loudly. In CI (CI=true) a missing tool is a failure: this throws.
 */
export function missingTools(names: readonly string[]): string | false {
  const missing = names.filter((n) => !hasTool(n))
  if (missing.length === 0) return false
  const reason = `required tool(s) not on PATH: ${missing.join(', ')}`
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: a missing tool is a failure)`)
  console.error(`\n!!!!!!!! SKIPPING: ${reason} !!!!!!!!\n`)
  return reason
}

/** In a test: true when `name` is on PATH; otherwise skips the test loudly (or throws in CI) and returns false. */
export function requireTool(name: string, t: TestContext): boolean {
  const reason = missingTools([name])
  if (reason === false) return true
  t.skip(reason)
  return false
}

/**
 * Wraps a test body so that, when it fails, the tail of the server's output is printed (stderr).
 * `server` is a getter because suites start the server in a `before` hook.
 */
export function withServerLogs<C>(
  server: () => BerthProcess | undefined,
  body: (t: C) => Promise<void>,
): (t: C) => Promise<void> {
  return async (t: C) => {
    try {
      await body(t)
    } catch (e) {
      const logs = server()?.logs() ?? '(server not started)'
      const tail = logs.split('\n').slice(-60).join('\n')
      console.error(`--- test failed; last lines of Berth output ---\n${tail}\n--- end of Berth output ---`)
      throw e
    }
  }
}
