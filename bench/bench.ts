#!/usr/bin/env node
// Berth's registry benchmark: blob push/pull throughput, manifest GET and blob HEAD
// request rates and latencies, and the server's memory, against any OCI registry URL.
// `--kind static` measures plain GET throughput of any URL with the same client code
// (the nginx reference in bench/compare.sh). See docs/benchmarks.md.
import { parseArgs } from 'node:util'
import { createHash, randomBytes, randomFillSync, type Hash } from 'node:crypto'
import { createReadStream, closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { availableParallelism, networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import { setTimeout as sleep } from 'node:timers/promises'
import type http from 'node:http'
import { Client, RawGetter, Unsupported, brief, type FileBody } from './http-client.js'
import { runLoad, quantile, type LoadResult } from './load.js'
import { MemorySampler, findListeningPids, readKernelThreadsSeconds, readMachineBusySeconds } from './proc-stats.js'

const USAGE = `usage: node dist/bench/bench.js --url URL [options]

  --url URL             registry base URL (http://127.0.0.1:5000), or with --kind static a file URL
  --kind K              registry (default) | static: only GET MB/s of --url, as the blob pull does
  --repo NAME           repository (default library/bench)
  --blob-mib N          blob size for push/pull in MiB (default 256)
  --blob-file PATH      use this file's content for the blob instead of a random temp file
  --duration S          seconds per load step (default 10)
  --warmup S            untimed seconds before each request-rate step (default 1)
  --concurrency LIST    request-rate concurrencies (default 1,16,64)
  --steps LIST          push,pull,manifest,head (default all)
  --push-runs N         at most N pushes in the push step (default 10; at least 1 runs)
  --pull-runs N         at most N pulls in the pull step (default 100)
  --max-requests N      at most N requests per request-rate step (default 1000000)
  --retries N           run a step again, up to N times, when other work on the machine used
                        more than --max-other-cpu percent of a core during it (default 0);
                        the quietest attempt is kept
  --max-other-cpu PCT   noise threshold for --retries (default 30)
  --pid PID[,PID]       server process(es) to sample; default: whoever listens on the URL's port
  --user U --password P basic auth (or BENCH_PASSWORD in the environment)
  --insecure            do not verify TLS certificates
  --tmp-dir DIR         where the temp blob file goes (default the OS temp dir)
  --json                print the result as JSON after the table
  --out FILE            write the JSON result to FILE
`

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const TAG = 'bench'
/** Bytes at the end of the pushed blob replaced by a fresh nonce on every push, so no two pushes share a digest. */
const NONCE = 32
const MB = 1e6
const MiB = 1 << 20

type Options = {
  url: URL
  kind: 'registry' | 'static'
  repo: string
  blobBytes: number
  blobFile: string | undefined
  durationMs: number
  warmupMs: number
  concurrency: number[]
  steps: Set<string>
  pushRuns: number
  pullRuns: number
  maxRequests: number
  retries: number
  maxOtherCpu: number
  pids: number[] | undefined
  basicAuth: string | undefined
  insecure: boolean
  tmpDir: string
  json: boolean
  out: string | undefined
}

type StepCost = {
  /** Server CPU time over the step's wall time, in percent of one core; null when not visible. */
  serverCpuPct: number | null
  clientCpuPct: number
  /**
   * CPU used by other processes meanwhile (noise from other work), in percent of one core;
   * kernel threads and interrupts are not counted. Null off Linux.
   */
  otherCpuPct: number | null
  serverPeakRssMiB: number | null
  /** How many times the step ran (see --retries); the figures are from the quietest run. */
  attempts?: number
}

export type TransferResult = StepCost & {
  runs: number
  bytes: number
  seconds: number
  /** Total bytes over total time of all runs, MB = 10^6 bytes. */
  mbps: number
  minMbps: number
  medianMbps: number
  maxMbps: number
  /** Pull only: a first, untimed download was hashed and matched the digest (null: nothing to compare with). */
  verified?: boolean | null
  /** Pull only: how the timed downloads were read (see RawGetter in http-client.ts). */
  reader?: 'raw socket' | 'node:http'
}

export type LoadStep = LoadResult & StepCost

export type BenchResult = {
  tool: 'berth-bench'
  schema: 1
  date: string
  url: string
  kind: 'registry' | 'static'
  repo: string
  blobBytes: number
  durationS: number
  server: {
    visible: boolean
    pids: number[]
    note?: string
    /** Peak of VmRSS sampled every 100 ms over the whole run. */
    peakRssMiB: number | null
    /** VmHWM at the end: the kernel's own peak RSS over the process's life. */
    hwmMiB: number | null
    samples: number
  }
  client: { node: string; sha256MBps: number }
  push?: TransferResult
  pull?: TransferResult
  manifestGet?: LoadStep[]
  blobHead?: LoadStep[]
  errors: string[]
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      kind: { type: 'string', default: 'registry' },
      repo: { type: 'string', default: 'library/bench' },
      'blob-mib': { type: 'string', default: '256' },
      'blob-file': { type: 'string' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '1,16,64' },
      steps: { type: 'string', default: 'push,pull,manifest,head' },
      'push-runs': { type: 'string', default: '10' },
      'pull-runs': { type: 'string', default: '100' },
      'max-requests': { type: 'string', default: '1000000' },
      retries: { type: 'string', default: '0' },
      'max-other-cpu': { type: 'string', default: '30' },
      pid: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      'tmp-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  if (!values.url) usage('--url is required')
  let url: URL
  try {
    url = new URL(values.url)
  } catch {
    usage(`--url: not a URL: ${values.url}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') usage('--url must be http:// or https://')
  const kind = values.kind
  if (kind !== 'registry' && kind !== 'static') usage('--kind must be registry or static')
  const num = (name: string, v: string, min: number): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min) usage(`--${name} must be a number >= ${min}`)
    return n
  }
  const concurrency = values.concurrency.split(',').map((c) => Math.floor(num('concurrency', c.trim(), 1)))
  const steps = new Set(values.steps.split(',').map((s) => s.trim()).filter(Boolean))
  for (const s of steps) if (!['push', 'pull', 'manifest', 'head'].includes(s)) usage(`--steps: unknown step ${s}`)
  let blobBytes = Math.round(num('blob-mib', values['blob-mib'], 1) * MiB)
  if (values['blob-file']) blobBytes = statSync(values['blob-file']).size
  if (blobBytes <= NONCE) usage('the blob must be larger than 32 bytes')
  const pids = values.pid?.split(',').map((p) => Math.floor(num('pid', p.trim(), 1)))
  const password = values.password ?? process.env['BENCH_PASSWORD']
  if (values.user !== undefined && password === undefined) usage('--user needs --password (or BENCH_PASSWORD)')
  return {
    url,
    kind,
    repo: values.repo.replace(/^\/+|\/+$/g, ''),
    blobBytes,
    blobFile: values['blob-file'],
    durationMs: num('duration', values.duration, 0.1) * 1000,
    warmupMs: num('warmup', values.warmup, 0) * 1000,
    concurrency,
    steps,
    pushRuns: Math.floor(num('push-runs', values['push-runs'], 1)),
    pullRuns: Math.floor(num('pull-runs', values['pull-runs'], 1)),
    maxRequests: Math.floor(num('max-requests', values['max-requests'], 1)),
    retries: Math.floor(num('retries', values.retries, 0)),
    maxOtherCpu: num('max-other-cpu', values['max-other-cpu'], 0),
    pids,
    basicAuth: values.user !== undefined ? `${values.user}:${password}` : undefined,
    insecure: values.insecure,
    tmpDir: values['tmp-dir'] ?? tmpdir(),
    json: values.json,
    out: values.out,
  }
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`)
  process.exit(64)
}

// ---------------------------------------------------------------------------
// The blob: random bytes in a file, hashed once; each push swaps in a new tail.

type Blob = {
  path: string
  bytes: number
  /** SHA-256 state after bytes [0, bytes - NONCE); copied per push, then fed the nonce. */
  prefixHash: Hash
  /** The file's own last NONCE bytes (the digest of the file as it is on disk). */
  fileTail: Buffer
  sha256MBps: number
}

function createRandomFile(dir: string, bytes: number): string {
  const path = join(mkdtempSync(join(dir, 'berth-bench-')), 'blob.bin')
  const fd = openSync(path, 'w')
  try {
    const chunk = Buffer.allocUnsafe(MiB)
    for (let done = 0; done < bytes; ) {
      const n = Math.min(MiB, bytes - done)
      randomFillSync(chunk, 0, n)
      writeSync(fd, chunk, 0, n)
      done += n
    }
  } finally {
    closeSync(fd)
  }
  return path
}

async function prepareBlob(o: Options): Promise<Blob> {
  const path = o.blobFile ?? createRandomFile(o.tmpDir, o.blobBytes)
  if (o.blobFile === undefined) tempFiles.push(path)
  const prefix = o.blobBytes - NONCE
  const h = createHash('sha256')
  const t0 = performance.now()
  for await (const c of createReadStream(path, { start: 0, end: prefix - 1, highWaterMark: MiB })) h.update(c as Buffer)
  const seconds = (performance.now() - t0) / 1000
  const fileTail = Buffer.alloc(NONCE)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, fileTail, 0, NONCE, prefix)
  } finally {
    closeSync(fd)
  }
  return { path, bytes: o.blobBytes, prefixHash: h, fileTail, sha256MBps: prefix / MB / seconds }
}

function digestWithTail(blob: Blob, tail: Buffer): string {
  return 'sha256:' + blob.prefixHash.copy().update(tail).digest('hex')
}

// ---------------------------------------------------------------------------
// Registry operations used by the steps.

class Registry {
  constructor(readonly client: Client, readonly repo: string) {}

  /** Monolithic upload: POST to open a session, PUT the whole body with ?digest= to close it. */
  async pushBlob(agent: http.Agent, body: FileBody | Buffer, digest: string): Promise<void> {
    const start = await this.client.small(agent, 'POST', `/v2/${this.repo}/blobs/uploads/`)
    if (start.status !== 202) throw new Error(`POST blob upload: ${brief(start)}`)
    const location = header(start.headers, 'location')
    if (!location) throw new Error('POST blob upload: 202 without Location')
    const target = location + (location.includes('?') ? '&' : '?') + 'digest=' + encodeURIComponent(digest)
    const done = Buffer.isBuffer(body)
      ? await this.client.small(agent, 'PUT', target, { body, headers: { 'content-type': 'application/octet-stream' } })
      : await this.client.upload(agent, 'PUT', target, body)
    if (done.status !== 201) throw new Error(`PUT blob ${digest}: ${brief(done)}`)
    const echoed = header(done.headers, 'docker-content-digest')
    if (echoed && echoed !== digest) throw new Error(`PUT blob: server says ${echoed}, expected ${digest}`)
  }

  /** A tiny image (config + one small layer) tagged TAG; returns the digests to hit. */
  async pushTinyImage(agent: http.Agent): Promise<{ manifest: string; layer: string; manifestBytes: number }> {
    const raw = randomBytes(2048)
    const layer = gzipSync(raw)
    const layerDigest = sha256(layer)
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [sha256(raw)] },
      }),
    )
    const configDigest = sha256(config)
    await this.pushBlob(agent, config, configDigest)
    await this.pushBlob(agent, layer, layerDigest)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
      }),
    )
    const manifestDigest = sha256(manifest)
    const put = await this.client.small(agent, 'PUT', `/v2/${this.repo}/manifests/${TAG}`, {
      body: manifest,
      headers: { 'content-type': OCI_MANIFEST },
    })
    if (put.status !== 201) throw new Error(`PUT manifest: ${brief(put)}`)
    const get = await this.client.small(agent, 'GET', `/v2/${this.repo}/manifests/${TAG}`, { headers: { accept: MANIFEST_ACCEPT } })
    if (get.status !== 200) throw new Error(`GET manifest by tag: ${brief(get)}`)
    if (!get.body.equals(manifest)) throw new Error('GET manifest by tag: body differs from what was pushed')
    const echoed = header(get.headers, 'docker-content-digest')
    if (echoed && echoed !== manifestDigest) throw new Error(`GET manifest: server says ${echoed}, expected ${manifestDigest}`)
    const head = await this.client.small(agent, 'HEAD', `/v2/${this.repo}/blobs/${layerDigest}`)
    if (head.status !== 200) throw new Error(`HEAD blob: ${brief(head)}`)
    return { manifest: manifestDigest, layer: layerDigest, manifestBytes: manifest.length }
  }
}

function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex')
}

// ---------------------------------------------------------------------------
// Steps. Each is bounded by time (--duration) and by count.

class Meter {
  private wall = 0
  private cpu: NodeJS.CpuUsage = process.cpuUsage()
  private serverCpu: number | null = null
  private machineCpu: number | null = null
  private kernelCpu = 0

  constructor(private readonly sampler: MemorySampler | undefined) {}

  begin(): void {
    this.sampler?.beginStep()
    this.serverCpu = this.sampler?.cpuSeconds() ?? null
    this.machineCpu = readMachineBusySeconds()
    this.kernelCpu = readKernelThreadsSeconds()
    this.cpu = process.cpuUsage()
    this.wall = performance.now()
  }

  end(): StepCost {
    const wallS = (performance.now() - this.wall) / 1000
    const cpu = process.cpuUsage(this.cpu)
    const serverNow = this.sampler?.cpuSeconds() ?? null
    const machineNow = readMachineBusySeconds()
    const kernelS = readKernelThreadsSeconds() - this.kernelCpu
    const peak = this.sampler?.endStep()
    const serverS = serverNow !== null && this.serverCpu !== null ? serverNow - this.serverCpu : null
    const clientS = (cpu.user + cpu.system) / 1e6
    const machineS = machineNow !== null && this.machineCpu !== null ? machineNow - this.machineCpu : null
    return {
      serverCpuPct: serverS === null ? null : round((serverS / wallS) * 100, 0),
      clientCpuPct: round((clientS / wallS) * 100, 0),
      otherCpuPct: machineS === null ? null : round((Math.max(0, machineS - clientS - (serverS ?? 0) - kernelS) / wallS) * 100, 0),
      serverPeakRssMiB: peak !== undefined && this.sampler && !this.sampler.gone ? round(peak / 1024, 1) : null,
    }
  }
}

/**
 * Runs a step; while other work on the machine used more than --max-other-cpu percent of a
 * core during it, waits and runs it again (at most --retries times). Keeps the quietest run.
 */
async function quietest<T extends StepCost>(o: Options, name: string, run: () => Promise<T>): Promise<T> {
  let best: T | undefined
  for (let attempt = 1; ; attempt++) {
    const r = await run()
    if (best === undefined || (r.otherCpuPct ?? 0) < (best.otherCpuPct ?? 0)) best = r
    if (r.otherCpuPct === null || r.otherCpuPct <= o.maxOtherCpu || attempt > o.retries) {
      return attempt > 1 ? { ...best, attempts: attempt } : best
    }
    progress(`  ${name}: other work used ${r.otherCpuPct}% of a core meanwhile; again in ${RETRY_PAUSE_MS / 1000} s (${attempt + 1}/${o.retries + 1})`)
    await sleep(RETRY_PAUSE_MS)
  }
}

const RETRY_PAUSE_MS = 15_000

async function transferStep(
  o: Options,
  meter: Meter,
  maxRuns: number,
  run: () => Promise<number>,
): Promise<Omit<TransferResult, 'verified'>> {
  const runs: number[] = []
  let bytes = 0
  meter.begin()
  const deadline = performance.now() + o.durationMs
  while (runs.length < maxRuns && (runs.length === 0 || performance.now() < deadline)) {
    const t0 = performance.now()
    const n = await run()
    runs.push((performance.now() - t0) / 1000)
    bytes += n
  }
  const cost = meter.end()
  const seconds = runs.reduce((a, b) => a + b, 0)
  const perRun = runs.map((s) => bytes / runs.length / MB / s).sort((a, b) => a - b)
  return {
    runs: runs.length,
    bytes,
    seconds: round(seconds, 3),
    mbps: round(bytes / MB / seconds, 1),
    minMbps: round(perRun[0] ?? 0, 1),
    medianMbps: round(quantile(perRun, 0.5), 1),
    maxMbps: round(perRun[perRun.length - 1] ?? 0, 1),
    ...cost,
  }
}

async function pushStep(o: Options, reg: Registry, blob: Blob, meter: Meter): Promise<{ result: TransferResult; lastDigest: string }> {
  const agent = reg.client.agent(1)
  let lastDigest = ''
  try {
    const result = await quietest(o, 'blob push', () =>
      transferStep(o, meter, o.pushRuns, async () => {
        const tail = randomBytes(NONCE)
        const digest = digestWithTail(blob, tail) // a microsecond: the prefix state is copied, not recomputed
        await reg.pushBlob(agent, { path: blob.path, length: blob.bytes - NONCE, tail }, digest)
        lastDigest = digest
        return blob.bytes
      }),
    )
    return { result, lastDigest }
  } finally {
    agent.destroy()
  }
}

async function pullStep(
  o: Options,
  client: Client,
  path: string,
  expected: { digest: string; bytes: number } | null,
  meter: Meter,
): Promise<TransferResult> {
  const agent = client.agent(1)
  try {
    // Untimed first download, hashed: proves the bytes and warms both sides' caches.
    const first = await client.download(agent, path, { hash: expected !== null })
    if (first.status !== 200) throw new Error(`GET ${path}: HTTP ${first.status}`)
    let verified: boolean | null = null
    if (expected) {
      verified = first.digest === expected.digest && first.bytes === expected.bytes
      if (!verified) throw new Error(`GET ${path}: got ${first.bytes} bytes ${first.digest}, expected ${expected.bytes} bytes ${expected.digest}`)
    }
    // The timed downloads read through one raw keep-alive socket when the server allows it
    // (plain HTTP, Content-Length, no redirect): node:http would be the bottleneck. Probed untimed.
    let raw: RawGetter | null = null
    let reader: TransferResult['reader'] = 'node:http'
    if (!first.redirectedTo) {
      try {
        raw = client.rawGetter(client.resolve(path))
        const probe = await raw.get()
        if (probe.status !== 200 || probe.bytes !== first.bytes) throw new Error(`GET ${path}: HTTP ${probe.status}, ${probe.bytes} bytes`)
        reader = 'raw socket'
      } catch (e) {
        raw?.close()
        raw = null
        if (!(e instanceof Unsupported)) throw e
        progress(`  reading with node:http: the response has ${e.message}`)
      }
    }
    try {
      const result = await quietest(o, 'GET', () =>
        transferStep(o, meter, o.pullRuns, async () => {
          const r = raw ? await raw.get() : await client.download(agent, path)
          if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`)
          if (r.bytes !== first.bytes) throw new Error(`GET ${path}: ${r.bytes} bytes, the first download had ${first.bytes}`)
          return r.bytes
        }),
      )
      return { ...result, verified, reader }
    } finally {
      raw?.close()
    }
  } finally {
    agent.destroy()
  }
}

async function loadSteps(o: Options, client: Client, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, meter: Meter): Promise<LoadStep[]> {
  const out: LoadStep[] = []
  for (const concurrency of o.concurrency) {
    const agent = client.agent(concurrency)
    const url = client.resolve(path)
    const opts = client.options(method, url, headers, agent)
    const label = `${method} ${path.length > 60 ? path.slice(0, 57) + '...' : path} c=${concurrency}`
    try {
      const step = await quietest(o, label, async (): Promise<LoadStep> => {
        meter.begin()
        const r = await runLoad({
          concurrency,
          durationMs: o.durationMs,
          warmupMs: o.warmupMs,
          maxRequests: o.maxRequests,
          issue: () => client.fire(url, opts),
          ok: (s) => s === 200,
        })
        return { ...roundLoad(r), ...meter.end() }
      })
      out.push(step)
      progress(`  ${label}: ${Math.round(step.rps)} req/s`)
    } finally {
      agent.destroy()
    }
  }
  return out
}

function roundLoad(r: LoadResult): LoadResult {
  const l = r.latencyMs
  return {
    ...r,
    seconds: round(r.seconds, 3),
    rps: round(r.rps, 0),
    latencyMs: { mean: round(l.mean, 3), p50: round(l.p50, 3), p90: round(l.p90, 3), p99: round(l.p99, 3), max: round(l.max, 3) },
  }
}

// ---------------------------------------------------------------------------
// Output.

function renderTable(r: BenchResult): string {
  const rows: string[][] = [['step', 'conc', 'result', 'p50 ms', 'p99 ms', 'failed', 'srv CPU', 'cli CPU', 'other CPU', 'srv peak RSS']]
  const cost = (c: StepCost): string[] => [
    c.serverCpuPct === null ? '-' : `${c.serverCpuPct}%`,
    `${c.clientCpuPct}%`,
    c.otherCpuPct === null ? '-' : `${c.otherCpuPct}%`,
    c.serverPeakRssMiB === null ? '-' : `${c.serverPeakRssMiB} MiB`,
  ]
  const tries = (c: StepCost): string => (c.attempts ? ` [${c.attempts} tries]` : '')
  const transfer = (name: string, t: TransferResult | undefined): void => {
    if (!t) return
    const spread = t.runs > 1 ? `, ${t.minMbps}-${t.maxMbps}` : ''
    const v = t.verified === true ? ', verified' : ''
    rows.push([name, '1', `${t.mbps} MB/s (${t.runs} runs${spread}${v})${tries(t)}`, '-', '-', '0', ...cost(t)])
  }
  const load = (name: string, steps: LoadStep[] | undefined): void => {
    for (const s of steps ?? []) {
      const stop = s.stoppedBy === 'time' ? '' : ` (stopped: ${s.stoppedBy})`
      rows.push([name, String(s.concurrency), `${s.rps} req/s${stop}${tries(s)}`, fix(s.latencyMs.p50), fix(s.latencyMs.p99), String(s.failed), ...cost(s)])
    }
  }
  transfer(r.kind === 'static' ? 'GET file' : 'blob push (monolithic)', r.push)
  transfer(r.kind === 'static' ? 'GET file' : 'blob pull', r.pull)
  load('manifest GET by tag', r.manifestGet)
  load('blob HEAD', r.blobHead)

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)))
  const right = new Set([1, 3, 4, 5, 6, 7, 8, 9])
  const line = (row: string[]): string =>
    row.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()
  const s = r.server
  const server = s.visible
    ? `pid ${s.pids.join(',')}: peak VmRSS ${s.peakRssMiB ?? '-'} MiB (sampled every 100 ms, ${s.samples} samples), VmHWM ${s.hwmMiB ?? '-'} MiB`
    : `not visible${s.note ? ` (${s.note})` : ''}`
  return [
    `berth-bench  ${r.url}  kind ${r.kind}${r.kind === 'registry' ? `  repo ${r.repo}` : ''}  blob ${round(r.blobBytes / MiB, 1)} MiB  ${r.durationS} s/step  ${r.date}`,
    '',
    line(rows[0]!),
    line(rows[0]!.map((_, i) => '-'.repeat(widths[i]!))),
    ...rows.slice(1).map(line),
    '',
    `server: ${server}`,
    `client: node ${r.client.node}${r.client.sha256MBps ? `, sha256 of the blob ${r.client.sha256MBps} MB/s` : ''}; MB = 10^6 bytes`,
    `CPU: percent of one core over the step (${availableParallelism()} cores); "other" is the rest of the machine, i.e. noise`,
    ...r.errors.map((e) => `error: ${e}`),
  ].join('\n')
}

function fix(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function progress(message: string): void {
  process.stderr.write(message + '\n')
}

// ---------------------------------------------------------------------------

const tempFiles: string[] = []

function cleanup(): void {
  for (const f of tempFiles.splice(0)) {
    try {
      rmSync(join(f, '..'), { recursive: true, force: true })
    } catch {
      // best effort at exit
    }
  }
}

function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '')
  if (['localhost', '127.0.0.1', '::1', '0.0.0.0', '::'].includes(h) || h.startsWith('127.')) return true
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === h))
}

function locateServer(o: Options): { pids: number[] } | { reason: string } {
  if (o.pids) return { pids: o.pids }
  if (!isLocalHost(o.url.hostname)) return { reason: `${o.url.hostname} is not this machine` }
  const port = Number(o.url.port || (o.url.protocol === 'https:' ? 443 : 80))
  return findListeningPids(port)
}

async function main(): Promise<void> {
  if (process.argv[2] === 'listing') {
    await import('./listing.js')
    return
  }
  if (process.argv[2] === 'gc') {
    await import('./gc.js')
    return
  }
  if (process.argv[2] === 'console') {
    await import('./console.js')
    return
  }
  if (process.argv[2] === 'proxy-cache') {
    await import('./proxy-cache.js')
    return
  }
  if (process.argv[2] === 'metrics') {
    await import('./metrics-scrape.js')
    return
  }
  if (process.argv[2] === 'accel') {
    await import('./accel.js')
    return
  }
  if (process.argv[2] === 'login-flood') {
    await import('./login-flood.js')
    return
  }
  const o = parseOptions(process.argv.slice(2))
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanup()
      process.exit(130)
    })
  }
  // Every step is bounded; this bounds the whole run too, whatever the server does.
  const rateSteps = (o.steps.has('manifest') ? o.concurrency.length : 0) + (o.steps.has('head') ? o.concurrency.length : 0)
  const budgetS = 600 + (4 + rateSteps) * ((o.durationMs + o.warmupMs) / 1000 * 2 + RETRY_PAUSE_MS / 1000) * (1 + o.retries)
  setTimeout(() => {
    process.stderr.write(`bench: gave up after ${Math.round(budgetS)} s\n`)
    cleanup()
    process.exit(2)
  }, budgetS * 1000).unref()

  const client = new Client({ base: o.url, basicAuth: o.basicAuth, insecure: o.insecure })
  const errors: string[] = []

  if (o.kind === 'registry') {
    const agent = client.agent(1)
    const ping = await client.small(agent, 'GET', '/v2/').catch((e: Error) => e)
    agent.destroy()
    if (ping instanceof Error) throw new Error(`GET /v2/: ${ping.message}`)
    if (ping.status === 401) throw new Error(`GET /v2/: 401, the registry wants credentials${o.basicAuth ? ' (basic auth was refused or it wants a bearer token)' : '; pass --user/--password'}`)
    if (ping.status !== 200) throw new Error(`GET /v2/: ${brief(ping)}`)
  }

  const located = locateServer(o)
  const sampler = 'pids' in located ? new MemorySampler(located.pids) : undefined
  sampler?.start()
  const meter = new Meter(sampler)

  const needBlob = o.kind === 'static' ? o.blobFile !== undefined : o.steps.has('push') || o.steps.has('pull')
  let blob: Blob | undefined
  if (needBlob) {
    progress(`preparing a ${round(o.blobBytes / MiB, 1)} MiB blob...`)
    blob = await prepareBlob(o)
  }

  const result: BenchResult = {
    tool: 'berth-bench',
    schema: 1,
    date: new Date().toISOString(),
    url: o.url.href,
    kind: o.kind,
    repo: o.repo,
    blobBytes: o.blobBytes,
    durationS: o.durationMs / 1000,
    server: { visible: false, pids: [], peakRssMiB: null, hwmMiB: null, samples: 0 },
    client: { node: process.version, sha256MBps: blob ? round(blob.sha256MBps, 0) : 0 },
    errors,
  }

  const attempt = async (name: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f()
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      errors.push(`${name}: ${message}`)
      progress(`  ${name} failed: ${message}`)
    }
  }

  if (o.kind === 'static') {
    progress('GET file...')
    await attempt('get', async () => {
      const expected = blob ? { digest: digestWithTail(blob, blob.fileTail), bytes: blob.bytes } : null
      result.pull = await pullStep(o, client, o.url.href, expected, meter)
    })
  } else {
    const reg = new Registry(client, o.repo)
    let pushed: string | undefined
    if (o.steps.has('push') || o.steps.has('pull')) {
      progress('blob push...')
      await attempt('push', async () => {
        const r = await pushStep(o, reg, blob!, meter)
        pushed = r.lastDigest
        if (o.steps.has('push')) result.push = r.result
      })
    }
    if (o.steps.has('pull') && pushed) {
      progress('blob pull...')
      await attempt('pull', async () => {
        result.pull = await pullStep(o, client, `/v2/${o.repo}/blobs/${pushed}`, { digest: pushed!, bytes: o.blobBytes }, meter)
      })
    }
    if (o.steps.has('manifest') || o.steps.has('head')) {
      let image: { manifest: string; layer: string } | undefined
      await attempt('push tiny image', async () => {
        const agent = client.agent(1)
        try {
          image = await reg.pushTinyImage(agent)
        } finally {
          agent.destroy()
        }
      })
      if (image && o.steps.has('manifest')) {
        progress('manifest GET by tag...')
        await attempt('manifest', async () => {
          result.manifestGet = await loadSteps(o, client, 'GET', `/v2/${o.repo}/manifests/${TAG}`, { accept: MANIFEST_ACCEPT }, meter)
        })
      }
      if (image && o.steps.has('head')) {
        progress('blob HEAD...')
        const layer = image.layer
        await attempt('head', async () => {
          result.blobHead = await loadSteps(o, client, 'HEAD', `/v2/${o.repo}/blobs/${layer}`, {}, meter)
        })
      }
    }
  }

  if (sampler) {
    sampler.stop()
    const hwm = sampler.hwmKiB()
    result.server = {
      visible: !sampler.gone,
      pids: sampler.pids,
      ...(sampler.gone ? { note: 'the server process exited during the run' } : {}),
      peakRssMiB: round(sampler.peakKiB / 1024, 1),
      hwmMiB: hwm === null ? null : round(hwm / 1024, 1),
      samples: sampler.samples,
    }
  } else {
    result.server.note = 'reason' in located ? located.reason : undefined
  }

  process.stdout.write(renderTable(result) + '\n')
  if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  if (o.out) writeFileSync(o.out, JSON.stringify(result, null, 2) + '\n')
  cleanup()
  process.exitCode = errors.length > 0 ? 1 : 0
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`)
  cleanup()
  process.exit(1)
})
