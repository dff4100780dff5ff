// A flood of wrong logins against a Berth process, and what legitimate clients see meanwhile:
// 160 workers send `GET /v2/` with random Basic users from 8 loopback addresses while one
// client pulls a blob and another asks the token service for a token, both with valid
// credentials from an address of their own. Reports p50/p99 of the legitimate requests with
// and without the flood, and what the flood was answered.
//
//   npm run bench -- login-flood [--duration S] [--flooders N] [--max-failed-logins N]
//                                [--berth DIR] [--json]
//
// `--max-failed-logins 1000` keeps the lockout out of the way (every flooding request then
// reaches a password check), so the run measures password hashing under load; the default
// (5) measures what a default install does. `--berth DIR` runs another checkout's build (its
// dist/src/app/cli.js), for a before-and-after comparison.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Agent, request } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { runLoad, type LoadResult } from './load.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    duration: { type: 'string', default: '10' },
    flooders: { type: 'string', default: '160' },
    addresses: { type: 'string', default: '8' },
    'max-failed-logins': { type: 'string', default: '5' },
    'blob-mib': { type: 'string', default: '4' },
    berth: { type: 'string', default: '.' },
    json: { type: 'boolean', default: false },
  },
})
const DURATION_MS = Number(values.duration) * 1000
const FLOODERS = Number(values.flooders)
const ADDRESSES = Number(values.addresses)
const PASSWORD = 'Bench-Flood-Passw0rd'
const REPO = 'library/flood'

type Answer = { status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }

function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (res) => {
      const chunks: Buffer[] = []
      let kept = 0
      res.on('data', (c: Buffer) => {
        // Blob bodies are read and dropped; only small bodies are kept.
        if (kept < 64 << 10) chunks.push(c)
        kept += c.length
      })
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }))
      res.on('error', fail)
    })
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')))
    req.on('error', fail)
    req.end(body)
  })
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => done(port))
    })
  })
}

async function startBerth(dir: string, port: number) {
  const cli = resolve(values.berth, 'dist/src/app/cli.js')
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      BERTH_DATA_DIR: dir,
      BERTH_HTTP_PORT: String(port),
      BERTH_ADMIN_PASSWORD: PASSWORD,
      BERTH_LOG_LEVEL: 'warn',
      BERTH_AUTH_MAX_FAILED_LOGINS: values['max-failed-logins'],
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const agent = new Agent({ keepAlive: true })
  for (let i = 0; i < 600; i++) {
    const ok = await send(agent, port, 'GET', '/livez', {}).then((a) => a.status === 200, () => false)
    if (ok && (await send(agent, port, 'GET', '/readyz', {}).then((a) => a.status === 200, () => false))) return { child, agent }
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error('berth did not become ready')
}

/** Pushes one blob of `mib` MiB to REPO; returns its digest. */
async function pushBlob(agent: Agent, port: number, auth: string, mib: number): Promise<string> {
  const bytes = randomBytes(mib << 20)
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  const started = await send(agent, port, 'POST', `/v2/${REPO}/blobs/uploads/`, { authorization: auth })
  if (started.status !== 202) throw new Error(`upload start: ${started.status} ${started.body}`)
  const location = new URL(String(started.headers.location), 'http://x')
  location.searchParams.set('digest', digest)
  const put = await send(agent, port, 'PUT', `${location.pathname}${location.search}`, { authorization: auth, 'content-type': 'application/octet-stream' }, bytes)
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.body}`)
  return digest
}

type Phase = { blobGet: LoadResult; token: LoadResult; flood?: LoadResult & { hashRefusals: number } }

async function phase(port: number, digest: string, flood: boolean): Promise<Phase> {
  const auth = basic('admin', PASSWORD)
  const legit = () => new Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.1' })
  const blobAgent = legit()
  const tokenAgent = legit()
  const common = { concurrency: 1, durationMs: DURATION_MS, warmupMs: 500, maxRequests: 1_000_000, ok: (s: number) => s === 200 }
  const blobGet = runLoad({ ...common, issue: async () => (await send(blobAgent, port, 'GET', `/v2/${REPO}/blobs/${digest}`, { authorization: auth })).status })
  const tokenPath = `/service/token?service=berth-registry&scope=${encodeURIComponent(`repository:${REPO}:pull,push`)}`
  const token = runLoad({ ...common, issue: async () => (await send(tokenAgent, port, 'GET', tokenPath, { authorization: auth })).status })
  let floodRun: Promise<LoadResult> | undefined
  let hashRefusals = 0
  if (flood) {
    const agents = Array.from({ length: ADDRESSES }, (_, i) => new Agent({ keepAlive: true, localAddress: `127.0.0.${i + 2}` }))
    let n = 0
    floodRun = runLoad({
      concurrency: FLOODERS,
      durationMs: DURATION_MS + 1000,
      warmupMs: 0,
      maxRequests: 10_000_000,
      ok: (s) => s === 401 || s === 429,
      issue: async () => {
        const a = await send(agents[n++ % agents.length]!, port, 'GET', '/v2/', { authorization: basic(`nobody-${randomBytes(6).toString('hex')}`, 'Wrong-Passw0rd1') })
        if (a.status === 429 && a.body.includes('password checks waiting')) hashRefusals++
        return a.status
      },
    }).finally(() => agents.forEach((a) => a.destroy()))
    // The flood is under way before the legitimate clients start measuring.
    await sleep(500)
  }
  const [b, t, f] = await Promise.all([blobGet, token, floodRun])
  blobAgent.destroy()
  tokenAgent.destroy()
  return { blobGet: b, token: t, ...(f !== undefined ? { flood: { ...f, hashRefusals } } : {}) }
}

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0))

function row(name: string, r: LoadResult): string {
  return `| ${name} | ${r.ok} | ${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p99)} | ${ms(r.latencyMs.max)} | ${r.failed} |`
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-flood-'))
  const port = await freePort()
  const { child, agent } = await startBerth(dir, port)
  const stop = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000 + 3 * DURATION_MS)
  try {
    const digest = await pushBlob(agent, port, basic('admin', PASSWORD), Number(values['blob-mib']))
    const quiet = await phase(port, digest, false)
    const flooded = await phase(port, digest, true)
    const f = flooded.flood!
    if (values.json) console.log(JSON.stringify({ maxFailedLogins: Number(values['max-failed-logins']), flooders: FLOODERS, addresses: ADDRESSES, quiet, flooded }, null, 2))
    console.log(`\nlogin flood: ${FLOODERS} workers from ${ADDRESSES} addresses, max_failed_logins ${values['max-failed-logins']}, ${values.duration} s per phase\n`)
    console.log('| legitimate request | requests | p50 ms | p99 ms | max ms | failed |')
    console.log('|---|---|---|---|---|---|')
    console.log(row('blob GET, quiet', quiet.blobGet))
    console.log(row('blob GET, during the flood', flooded.blobGet))
    console.log(row('token, quiet', quiet.token))
    console.log(row('token, during the flood', flooded.token))
    const statuses = Object.entries(f.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')
    console.log(`\nflood: ${f.requests} requests (${Math.round(f.requests / f.seconds)}/s), answered ${statuses}; ${f.hashRefusals} refused by a full hashing queue; p50 ${ms(f.latencyMs.p50)} ms, p99 ${ms(f.latencyMs.p99)} ms`)
  } finally {
    clearTimeout(stop)
    agent.destroy()
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
