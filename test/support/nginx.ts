// Starts a real nginx (Debian's) on loopback in front of a Berth, with the sample configuration
// deploy/nginx/berth.conf (the X-Accel-Redirect hand-off), for the suites that test it.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort, hasTool } from './berth-process.js'
import { supervise } from './child-process.js'

const repoRoot = resolve(new URL('../../..', import.meta.url).pathname)
/** The sample configuration the suites run, as operators get it. */
export const SAMPLE_CONFIG = join(repoRoot, 'deploy/nginx/berth.conf')

export type Nginx = {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string
  port: number
  pid: number
  /** The server configuration it runs (the sample with this run's addresses and paths). */
  config: string
  /** nginx's error log so far. */
  errors(): string
  /** SIGTERM to the master (SIGKILL after 5 s), then removes its temp dir. Idempotent. */
  stop(): Promise<void>
}

/** The nginx executable: on PATH, or Debian's /usr/sbin/nginx (often not on a user's PATH). */
export function nginxPath(): string | null {
  if (hasTool('nginx')) return 'nginx'
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null
}

/**
 * For `describe(name, { skip: missingNginx() }, ...)`: false when nginx is installed, else a skip
 * reason, printed loudly. In CI (CI=true) a missing nginx is a failure: this throws.
 */
export function missingNginx(): string | false {
  if (nginxPath() !== null) return false
  const reason = 'nginx not installed (apt-get install nginx)'
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: a missing tool is a failure)`)
  console.error(`\n!!!!!!!! SKIPPING: ${reason} !!!!!!!!\n`)
  return reason
}

/** Replaces `from` in `text`, which must occur exactly once (so the sample and the suite cannot drift apart unnoticed). */
function replaceOnce(text: string, from: string, to: string): string {
  const n = text.split(from).length - 1
  if (n !== 1) throw new Error(`${SAMPLE_CONFIG}: expected "${from}" once, found it ${n} times`)
  return text.replace(from, to)
}

/** The sample server configuration, listening on `port`, proxying to `upstream` and reading blobs under `storageRoot`. */
export function sampleConfig(o: { port: number; upstream: string; storageRoot: string; accelPrefix?: string }): string {
  let text = readFileSync(SAMPLE_CONFIG, 'utf8')
  text = replaceOnce(text, '  listen 80;', `  listen 127.0.0.1:${o.port};`)
  text = replaceOnce(text, '  server 127.0.0.1:5000;', `  server ${o.upstream};`)
  text = replaceOnce(text, '    alias /var/lib/berth/storage/;', `    alias ${o.storageRoot.replace(/\/+$/, '')}/;`)
  if (o.accelPrefix !== undefined) text = replaceOnce(text, '  location /_berth_blobs/ {', `  location ${o.accelPrefix} {`)
  return text
}

/**
 * Starts nginx in the foreground as our child (`nginx -c conf -p dir -g 'daemon off; pid ...;'`)
 * with `server` (an http-block configuration) in a temp dir holding its logs and temp files, and
 * waits until it accepts connections. As root, nginx's workers run as nobody: whatever they serve
 * must be readable by others.
 */
export async function startNginx(server: (port: number) => string, opts: { readyTimeoutMs?: number } = {}): Promise<Nginx> {
  const exe = nginxPath()
  if (exe === null) throw new Error('nginx is not installed (apt-get install nginx)')
  const dir = mkdtempSync(join(tmpdir(), 'berth-nginx-'))
  chmodSync(dir, 0o755)
  mkdirSync(join(dir, 'tmp'))
  const port = await freePort()
  const config = server(port)
  writeFileSync(join(dir, 'berth.conf'), config)
  const errorLog = join(dir, 'error.log')
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `error_log ${errorLog} info;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      '  default_type application/octet-stream;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`),
      `  include ${join(dir, 'berth.conf')};`,
      '}',
      '',
    ].join('\n'),
  )
  const args = ['-c', join(dir, 'nginx.conf'), '-p', `${dir}/`, '-e', errorLog, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`]
  const errors = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '')

  const check = await runCheck(exe, args)
  if (check !== null) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`nginx -t rejected the config: ${check}\n${config}`)
  }
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  // A test process that dies must not leave nginx behind (supervise kills what is left).
  const proc = supervise(child, { maxLogBytes: 1 << 20 })
  const stop = async () => {
    await proc.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000)
  for (;;) {
    const ended = proc.ended()
    if (ended !== null) {
      const out = `${proc.logs()}\n${errors()}`
      await stop()
      throw new Error(`nginx ${ended}\n--- nginx output ---\n${out}`)
    }
    if (await accepts(port)) break
    if (Date.now() > deadline) {
      const out = `${proc.logs()}\n${errors()}`
      await stop()
      throw new Error(`nginx not listening on ${port} in time\n--- nginx output ---\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  if (child.pid === undefined) throw new Error('nginx child has no pid')
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, config, errors, stop }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const conn = createConnection(port, '127.0.0.1')
    conn.once('connect', () => {
      conn.destroy()
      resolveAccepts(true)
    })
    conn.once('error', () => resolveAccepts(false))
  })
}

/** `nginx -t` with the same arguments: null when the config is valid, else nginx's complaint. */
async function runCheck(exe: string, args: readonly string[]): Promise<string | null> {
  return await new Promise((resolveCheck) => {
    const child = spawn(exe, ['-t', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()))
    child.on('error', (e) => resolveCheck(String(e)))
    child.on('close', (code) => resolveCheck(code === 0 ? null : out || `exit ${code}`))
  })
}
