// Blob pulls on the filesystem driver three ways, on one data dir, one after the other: straight
// from Berth (Berth streams the file), through nginx proxying Berth (Berth streams, nginx relays),
// and through nginx with the X-Accel-Redirect hand-off (Berth authorizes, nginx sends the file
// with sendfile). curl fetches one N MiB blob R times each way; reported: MiB/s (median and
// best), and the CPU seconds per GiB served of Berth and of nginx (/proc/<pid>/stat), plus the
// machine's other busy CPU meanwhile (curl's included) as a noise gauge. nginx runs the sample
// deploy/nginx/berth.conf. Before each way it waits (a minute at most) for the machine to be quiet.
// Everything listens on 127.0.0.1 and is stopped by PID at the end.
//
//   npm run bench -- accel [--mib N] [--runs R] [--json]
import { randomFile } from './random-file.js'
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { readCpuSeconds, readMachineBusySeconds } from './proc-stats.js'
import { startBerth, E2E_ADMIN_PASSWORD, type BerthProcess } from '../test/support/berth-process.js'
import { sampleConfig, startNginx, type Nginx } from '../test/support/nginx.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { mib: { type: 'string', default: '512' }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
})
const MiB = 1 << 20
const GiB = 1 << 30
const size = Number(values.mib) * MiB
const runs = Number(values.runs)
if (!(size > 0 && size <= 4 * GiB) || !(runs >= 1 && runs <= 20)) throw new Error('--mib must be 1..4096 and --runs 1..20')
const AUTH = `Basic ${Buffer.from(`admin:${E2E_ADMIN_PASSWORD}`).toString('base64')}`
const PREFIX = '/_berth_blobs/'
const REPO = 'library/accel-bench'
/** Before each way: wait up to QUIET_MAX_S for a second in which other work used at most QUIET_PCT % of a core. */
const QUIET_MAX_S = 60
const QUIET_PCT = 50
/** Longest one pull may take before the bench gives up (bounds the whole run: 3 ways x (runs + 1) pulls). */
const PULL_TIMEOUT_S = 120

type Way = {
  way: string
  /** Median and best of the timed pulls, MiB/s. */
  median_mib_s: number
  best_mib_s: number
  berth_cpu_s_per_gib: number
  nginx_cpu_s_per_gib: number
  /** CPU the rest of the machine used meanwhile, in percent of one core (curl included). */
  other_cpu_pct: number | null
}

/** nginx's master and its workers (the master's children). */
function nginxPids(nginx: Nginx): number[] {
  const children = readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  return [nginx.pid, ...children]
}

const cpuOf = (pids: readonly number[]) => pids.reduce((sum, pid) => sum + (readCpuSeconds(pid) ?? 0), 0)

/** One GET with curl, body discarded: seconds taken (curl's own clock); fails on another status or size. */
function curl(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '-o', '/dev/null', '--max-time', String(PULL_TIMEOUT_S), '-H', `authorization: ${AUTH}`, '-w', '%{http_code} %{size_download} %{time_total}', url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (out += b.toString()))
    child.on('error', reject)
    child.on('close', () => {
      const [code, bytes, seconds] = out.trim().split(' ')
      if (code !== '200' || Number(bytes) !== size) reject(new Error(`curl ${url}: ${out.trim()}`))
      else resolve(Number(seconds))
    })
  })
}

/** An untimed pull whose bytes are hashed: the way serves the right blob (and the file is in the page cache after). */
async function verify(url: string, digest: string): Promise<void> {
  const res = await fetch(url, { headers: { authorization: AUTH }, signal: AbortSignal.timeout(PULL_TIMEOUT_S * 1000) })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  const hash = createHash('sha256')
  for await (const c of res.body!) hash.update(c as Uint8Array)
  if (`sha256:${hash.digest('hex')}` !== digest) throw new Error(`GET ${url}: the bytes do not hash to ${digest}`)
}

/** Waits (at most QUIET_MAX_S) until other work uses at most QUIET_PCT of a core over a second: the machine may be shared. */
async function settle(): Promise<void> {
  const deadline = Date.now() + QUIET_MAX_S * 1000
  for (;;) {
    const before = readMachineBusySeconds()
    await new Promise((r) => setTimeout(r, 1000))
    const after = readMachineBusySeconds()
    if (before === null || after === null || (after - before) * 100 <= QUIET_PCT || Date.now() > deadline) return
  }
}

async function measure(way: string, url: string, digest: string, berth: BerthProcess, nginx: Nginx | null): Promise<Way> {
  await verify(url, digest)
  await settle()
  const ngx = nginx === null ? [] : nginxPids(nginx)
  const berthBefore = cpuOf([berth.pid])
  const nginxBefore = cpuOf(ngx)
  const machineBefore = readMachineBusySeconds()
  const t0 = process.hrtime.bigint()
  const seconds: number[] = []
  for (let i = 0; i < runs; i++) seconds.push(await curl(url))
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const berthCpu = cpuOf([berth.pid]) - berthBefore
  const nginxCpu = cpuOf(ngx) - nginxBefore
  const machineAfter = readMachineBusySeconds()
  const served = (runs * size) / GiB
  const rates = seconds.map((s) => size / MiB / s).sort((a, b) => a - b)
  const round2 = (n: number) => Math.round(n * 100) / 100
  return {
    way,
    median_mib_s: Math.round(rates[Math.floor(rates.length / 2)]!),
    best_mib_s: Math.round(rates[rates.length - 1]!),
    berth_cpu_s_per_gib: round2(berthCpu / served),
    nginx_cpu_s_per_gib: round2(nginxCpu / served),
    other_cpu_pct: machineBefore === null || machineAfter === null ? null : Math.round(((machineAfter - machineBefore - berthCpu - nginxCpu) / wall) * 100),
  }
}

const work = mkdtempSync(join(tmpdir(), 'berth-bench-accel-'))
// As root, nginx's workers run as nobody: the storage must be readable by others.
chmodSync(work, 0o755)
const dataDir = join(work, 'data')
mkdirSync(dataDir, { mode: 0o755 })
const env = { BERTH_LOG_LEVEL: 'warn', BERTH_HTTP_TRUST_PROXY: '127.0.0.1' }
let berth: BerthProcess | undefined
let nginx: Nginx | undefined
try {
  // Berth in a process of its own, as a deployment runs it: the client does not share its CPU.
  berth = await startBerth({ dataDir, env })
  const blobFile = join(work, 'blob')
  const digest = await randomFile(blobFile, size)
  const pushed = await fetch(`${berth.url}/v2/${REPO}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: Readable.toWeb(createReadStream(blobFile)) as ReadableStream,
    duplex: 'half',
  } as RequestInit)
  if (pushed.status !== 201) throw new Error(`push: ${pushed.status} ${await pushed.text()}`)
  rmSync(blobFile)

  const upstream = `127.0.0.1:${berth.port}`
  nginx = await startNginx((port) => sampleConfig({ port, upstream, storageRoot: join(dataDir, 'storage') }))
  const path = `/v2/${REPO}/blobs/${digest}`
  const ways: Way[] = []
  ways.push(await measure('straight from Berth (Berth streams)', `${berth.url}${path}`, digest, berth, null))
  ways.push(await measure('nginx proxying Berth (Berth streams)', `${nginx.url}${path}`, digest, berth, nginx))
  // The same data dir and port, now with the hand-off: nginx's upstream is where it was.
  const port = berth.port
  await berth.stop()
  berth = await startBerth({ dataDir, port, env: { ...env, BERTH_STORAGE_ACCEL_REDIRECT_PREFIX: PREFIX } })
  ways.push(await measure('nginx with X-Accel-Redirect (nginx sends the file)', `${nginx.url}${path}`, digest, berth, nginx))

  if (values.json) process.stdout.write(`${JSON.stringify({ blob_mib: size / MiB, runs, ways })}\n`)
  else {
    process.stdout.write(`${size / MiB} MiB blob, ${runs} timed pulls each way (curl)\n`)
    process.stdout.write(`${'way'.padEnd(52)} ${'median MiB/s'.padStart(12)} ${'best MiB/s'.padStart(11)} ${'Berth CPU s/GiB'.padStart(16)} ${'nginx CPU s/GiB'.padStart(16)} ${'other CPU %'.padStart(12)}\n`)
    for (const w of ways) {
      process.stdout.write(`${w.way.padEnd(52)} ${String(w.median_mib_s).padStart(12)} ${String(w.best_mib_s).padStart(11)} ${w.berth_cpu_s_per_gib.toFixed(2).padStart(16)} ${w.nginx_cpu_s_per_gib.toFixed(2).padStart(16)} ${String(w.other_cpu_pct ?? '-').padStart(12)}\n`)
    }
  }
} finally {
  await nginx?.stop()
  await berth?.stop()
  rmSync(work, { recursive: true, force: true })
}
