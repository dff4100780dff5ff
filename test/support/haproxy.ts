// Starts a real HAProxy on loopback in front of Berth nodes (round robin, /readyz health checks), for cluster suites.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, hasTool } from './berth-process.js'
import { supervise } from './child-process.js'

export type Backend = { host: string; port: number }

export type ServerState = {
  /** node0, node1... in backend order. */
  name: string
  /** HAProxy's status column: UP, DOWN, MAINT, DRAIN, "UP 1/2", "DOWN 1/1"... */
  status: string
  /** Requests in flight on that server right now. */
  current: number
  /** Requests sent to that server so far. */
  total: number
  address: string
}

export type Haproxy = {
  /** http://127.0.0.1:PORT, the load balancer's URL (no trailing slash). */
  url: string
  port: number
  pid: number
  /** The config file HAProxy runs with (kept until stop). */
  configFile: string
  config: string
  /** HAProxy's own output: start-up messages and one log line per request (the newest 4 MiB). */
  logs(): string
  /** Sends one command to the runtime API (the admin socket) and returns its answer. */
  command(cmd: string): Promise<string>
  /** The state of each server, as `show stat` tells it. */
  servers(): Promise<ServerState[]>
  /** Points server `index` at a new address (a restarted node listens on a new port). */
  setServer(index: number, backend: Backend): Promise<void>
  /** ready, drain (no new requests) or maint (out of rotation). */
  setState(index: number, state: 'ready' | 'drain' | 'maint'): Promise<void>
  /** Waits until `show stat` says what `pred` wants; throws after `ms`. */
  waitFor(what: string, pred: (servers: ServerState[]) => boolean, ms?: number): Promise<ServerState[]>
  /** SIGTERM to this HAProxy (SIGKILL after 5 s), then removes its temp dir. Idempotent. */
  stop(): Promise<void>
}

export const BACKEND = 'berth'
const maxLogBytes = 4 * 1024 * 1024

/** The haproxy executable: on PATH, or Debian's /usr/sbin/haproxy (often not on a user's PATH). */
export function haproxyPath(): string | null {
  if (hasTool('haproxy')) return 'haproxy'
  return existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : null
}

/**
 * For `describe(name, { skip: missingHaproxy() }, ...)`: false when HAProxy is installed, else a skip
 * reason, printed loudly. In CI (CI=true) a missing HAProxy is a failure: this throws.
 */
export function missingHaproxy(): string | false {
  if (haproxyPath() !== null) return false
  const reason = 'HAProxy not installed (apt-get install haproxy)'
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: a missing tool is a failure)`)
  console.error(`\n!!!!!!!! SKIPPING: ${reason} !!!!!!!!\n`)
  return reason
}

/**
 * The configuration the cluster suite runs (and docs/ha.md shows): round robin over the nodes,
 * a node leaves the rotation after 2 failed GET /readyz 500 ms apart and comes back after 1 good one.
 * `retries 0` and no redispatch: a request that hits a dead node fails, so the suite sees every failure.
 */
export function haproxyConfig(o: { port: number; backends: readonly Backend[]; socket: string }): string {
  return [
    '# Berth behind HAProxy: every node is identical, any node serves any request.',
    'global',
    '    log stderr format raw local0 info',
    '    # The runtime API: show stat, set server ... addr/state (level admin: tests only).',
    `    stats socket ${o.socket} mode 600 level admin`,
    '    maxconn 2048',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    '    timeout connect 2s',
    '    # Idle timeouts, not totals: a slow multi-GiB upload passes as long as bytes keep flowing.',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    '    timeout check 2s',
    '    # Do not hide failures: no second attempt, no moving a failed request to another node.',
    '    retries 0',
    '    no option redispatch',
    '',
    'frontend registry',
    `    bind 127.0.0.1:${o.port}`,
    '    # The client address for the audit log and login lockouts (nodes set http.trust_proxy).',
    '    option forwardfor',
    `    default_backend ${BACKEND}`,
    '',
    `backend ${BACKEND}`,
    '    balance roundrobin',
    '    # /readyz: 200 while the node can serve (database and storage reachable); 503 while it',
    '    # starts, cannot reach them, or drains after SIGTERM (http.shutdown_grace_seconds).',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    '    default-server inter 500ms fall 2 rise 1',
    ...o.backends.map((b, i) => `    server node${i} ${b.host}:${b.port} check`),
    '',
  ].join('\n')
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** One runtime API command over the admin socket (HAProxy answers and closes the connection). */
function socketCommand(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => conn.destroy(new Error(`haproxy runtime API: no answer to "${cmd}" in 5 s`)), 5000)
    conn.on('connect', () => conn.write(`${cmd}\n`))
    conn.on('data', (b: Buffer) => chunks.push(b))
    conn.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    conn.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
}

function parseStat(csv: string): ServerState[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  const header = (lines[0] ?? '').replace(/^# /, '').split(',')
  const col = (name: string) => header.indexOf(name)
  const [px, sv, status, scur, stot, addr] = ['pxname', 'svname', 'status', 'scur', 'stot', 'addr'].map(col)
  const out: ServerState[] = []
  for (const line of lines.slice(1)) {
    const f = line.split(',')
    if (f[px!] !== BACKEND || f[sv!] === 'BACKEND' || f[sv!] === 'FRONTEND') continue
    out.push({ name: f[sv!] ?? '', status: f[status!] ?? '', current: Number(f[scur!] ?? 0), total: Number(f[stot!] ?? 0), address: f[addr!] ?? '' })
  }
  return out
}

/**
 * Starts HAProxy (`haproxy -f cfg -db`, in the foreground as our child) on 127.0.0.1:`port` (a free
 * port by default) in front of `backends`, and waits until it answers and every server passed a check.
 */
export async function startHaproxy(backends: readonly Backend[], opts: { port?: number; readyTimeoutMs?: number } = {}): Promise<Haproxy> {
  const exe = haproxyPath()
  if (exe === null) throw new Error('HAProxy is not installed (apt-get install haproxy)')
  const dir = mkdtempSync(join(tmpdir(), 'berth-haproxy-'))
  const socket = join(dir, 'admin.sock')
  const port = opts.port ?? (await freePort())
  const config = haproxyConfig({ port, backends, socket })
  const configFile = join(dir, 'haproxy.cfg')
  writeFileSync(configFile, config)

  const check = await runCheck(exe, configFile)
  if (check !== null) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`haproxy -c rejected the config: ${check}\n${config}`)
  }

  const child = spawn(exe, ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] })
  // A test process that dies must not leave HAProxy behind (supervise kills what is left).
  const proc = supervise(child, { maxLogBytes })
  const stop = async () => {
    await proc.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const command = (cmd: string) => socketCommand(socket, cmd)
  const servers = async () => parseStat(await command('show stat'))
  const waitFor = async (what: string, pred: (s: ServerState[]) => boolean, ms = 15_000) => {
    const end = Date.now() + ms
    let last: ServerState[] = []
    for (;;) {
      try {
        last = await servers()
        if (pred(last)) return last
      } catch {
        // socket not there yet
      }
      if (Date.now() > end) throw new Error(`haproxy: timed out waiting for ${what}; servers: ${JSON.stringify(last)}`)
      await sleep(50)
    }
  }
  const expectEmpty = (cmd: string, answer: string) => {
    if (answer.trim() !== '') throw new Error(`haproxy runtime API: "${cmd}" answered: ${answer.trim()}`)
  }

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000)
  for (;;) {
    const ended = proc.ended()
    if (ended !== null) {
      await stop()
      throw new Error(`haproxy ${ended}\n--- haproxy output ---\n${proc.logs()}`)
    }
    try {
      const s = await servers()
      if (s.length === backends.length && s.every((x) => x.status === 'UP')) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`haproxy not ready (every server UP) in time\n--- haproxy output ---\n${proc.logs()}`)
    }
    await sleep(50)
  }
  if (child.pid === undefined) throw new Error('haproxy child has no pid')

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    configFile,
    config,
    logs: proc.logs,
    command,
    servers,
    waitFor,
    setServer: async (index, b) => {
      const cmd = `set server ${BACKEND}/node${index} addr ${b.host} port ${b.port}`
      const answer = await command(cmd)
      if (!/changed|no need to change/i.test(answer)) throw new Error(`haproxy runtime API: "${cmd}" answered: ${answer.trim()}`)
    },
    setState: async (index, state) => {
      const cmd = `set server ${BACKEND}/node${index} state ${state}`
      expectEmpty(cmd, await command(cmd))
    },
    stop,
  }
}

/** `haproxy -c -f cfg`: null when the config is valid, else HAProxy's complaint. */
async function runCheck(exe: string, configFile: string): Promise<string | null> {
  return await new Promise((resolve) => {
    const child = spawn(exe, ['-c', '-q', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()))
    child.on('error', (e) => resolve(String(e)))
    child.on('close', (code) => resolve(code === 0 ? null : out || `exit ${code}`))
  })
}
