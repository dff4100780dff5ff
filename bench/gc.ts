// Garbage collection at scale: N unreferenced blobs (small bytes each, older than the time window)
// on the filesystem driver and on the S3 driver (s3rver, the test fake, in a process of its own), swept by one run of
// /system/gc on a Berth served on loopback (SQLite), while clients keep pushing small images.
// Reports blobs/s swept, and the push latency (p50/p99 of one blob upload plus one manifest PUT)
// before and during the run.
//
//   npm run bench -- gc [--blobs N] [--s3-blobs N] [--drivers filesystem,s3] [--pushers N]
//                       [--workers N] [--json]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../src/app/config.js'
import { createBerth, type Berth } from '../src/app/server.js'
import { silentLogger } from '../src/lib/logger.js'
import { forEachBounded } from '../src/lib/bounded.js'
import { blobPath } from '../src/storage/layout.js'
import type { Digest } from '../src/oci/digest.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { quantile } from './load.js'

const PASSWORD = 'Bench-Gc-Passw0rd'
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    blobs: { type: 'string', default: '100000' },
    's3-blobs': { type: 'string', default: '20000' },
    drivers: { type: 'string', default: 'filesystem,s3' },
    pushers: { type: 'string', default: '4' },
    workers: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
})

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

interface S3Endpoint {
  endpoint: string
  bucket: string
  accessKey: string
  secretKey: string
  region: string
}

/** The fake S3 in its own process (bench/s3-fake.ts). */
async function startS3Process(): Promise<{ s3: S3Endpoint; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./s3-fake.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] })
  let buffered = ''
  for await (const chunk of child.stdout!) {
    buffered += String(chunk)
    if (buffered.includes('\n')) break
  }
  return { s3: JSON.parse(buffered.split('\n')[0]!) as S3Endpoint, child }
}

interface Result {
  driver: string
  /** The event loop's delay during the run: time the process spent in one synchronous stretch. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
  blobs: number
  seconds: number
  blobsPerSecond: number
  freedBytes: number
  pushBefore: { n: number; p50: number; p99: number }
  pushDuring: { n: number; p50: number; p99: number }
}

/** Pushes one small image (a config blob and a manifest) per iteration until `stop`; returns latencies in ms. */
async function pushLoad(base: string, pushers: number, stop: () => boolean): Promise<number[]> {
  const latencies: number[] = []
  const one = async (i: number, j: number) => {
    const config = Buffer.from(JSON.stringify({ pusher: i, n: j, nonce: randomBytes(8).toString('hex') }))
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [] }))
    const t = performance.now()
    const up = await fetch(`${base}/v2/library/gcbench/blobs/uploads/?digest=${sha(config)}`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/octet-stream' }, body: config })
    await up.arrayBuffer()
    if (up.status !== 201) throw new Error(`upload ${up.status}`)
    const put = await fetch(`${base}/v2/library/gcbench/manifests/p${i}-${j}`, { method: 'PUT', headers: { authorization: AUTH, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest })
    await put.arrayBuffer()
    if (put.status !== 201) throw new Error(`manifest ${put.status}`)
    latencies.push(performance.now() - t)
  }
  await Promise.all(
    Array.from({ length: pushers }, async (_, i) => {
      for (let j = 0; !stop(); j++) await one(i, j)
    }),
  )
  return latencies
}

function summary(ms: number[]): { n: number; p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b)
  return { n: s.length, p50: Math.round(quantile(s, 0.5) * 10) / 10, p99: Math.round(quantile(s, 0.99) * 10) / 10 }
}

async function runOne(driver: 'filesystem' | 's3', n: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-gc-'))
  let s3: S3Endpoint | undefined
  let child: ChildProcess | undefined
  let berth: Berth | undefined
  try {
    const config = Value.Default(ConfigSchema, {}) as Config
    Object.assign(config, { data_dir: dir, admin: { password: PASSWORD }, log: { level: 'silent' } })
    config.jobs = { ...config.jobs, workers: 2 }
    if (driver === 's3') {
      ;({ s3, child } = await startS3Process())
      config.storage = { ...config.storage, driver: 's3' }
      config.s3 = { ...config.s3, endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix: 'bench', access_key: s3.accessKey, secret_key: s3.secretKey, force_path_style: true }
    }
    berth = await createBerth(config, { log: silentLogger(), showOnce: () => {} })
    await berth.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(berth.app.server.address() as { port: number }).port}`

    // Seed: rows older than the window, and a small object per blob where the driver keeps it.
    process.stderr.write(`gc bench: seeding ${n} blobs on ${driver}\n`)
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString()
    const digests = Array.from({ length: n }, (_, i) => `sha256:${createHash('sha256').update(`gc-bench:${i}`).digest('hex')}` as Digest)
    for (let i = 0; i < n; i += 1000) {
      await berth.db.kysely.insertInto('blobs').values(digests.slice(i, i + 1000).map((digest) => ({ digest, size: 64, created_at: old, touched_at: old }))).execute()
    }
    const body = Buffer.alloc(64, 7)
    if (driver === 'filesystem') {
      const root = join(dir, 'storage')
      await forEachBounded(digests, 64, async (d) => {
        const file = join(root, blobPath(d))
        await mkdir(dirname(file), { recursive: true })
        await writeFile(file, body)
      })
    } else {
      const client = new S3Client({ endpoint: s3!.endpoint, region: s3!.region, forcePathStyle: true, credentials: { accessKeyId: s3!.accessKey, secretAccessKey: s3!.secretKey } })
      await forEachBounded(digests, 16, async (d) => void (await client.send(new PutObjectCommand({ Bucket: s3!.bucket, Key: `bench/${blobPath(d)}`, Body: body }))))
      client.destroy()
    }

    // Push latency alone, then while the run sweeps.
    let stopBefore = false
    const beforeLoad = pushLoad(base, Number(values.pushers), () => stopBefore)
    await sleep(3000)
    stopBefore = true
    const pushBefore = summary(await beforeLoad)

    let running = true
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const duringLoad = pushLoad(base, Number(values.pushers), () => !running)
    const t = performance.now()
    const res = await fetch(`${base}/api/v2.0/system/gc/schedule`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ schedule: { type: 'Manual' }, parameters: { workers: Number(values.workers) } }) })
    if (res.status !== 201) throw new Error(`gc: ${res.status} ${await res.text()}`)
    const location = res.headers.get('location')!
    let run: { job_status: string; job_parameters: string }
    for (;;) {
      run = (await (await fetch(`${base}${location}`, { headers: { authorization: AUTH } })).json()) as typeof run
      if (!['Running', 'Pending'].includes(run.job_status)) break
      await sleep(50)
    }
    const seconds = (performance.now() - t) / 1000
    loop.disable()
    running = false
    const pushDuring = summary(await duringLoad)
    if (run.job_status !== 'Success') throw new Error(`gc ended ${run.job_status}`)
    const p = JSON.parse(run.job_parameters) as { purged_blobs: number; freed_space: number }
    if (p.purged_blobs < n) throw new Error(`gc purged ${p.purged_blobs} of ${n}`)
    return { driver, loopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10, loopDelayMaxMs: Math.round(loop.max / 1e5) / 10, blobs: p.purged_blobs, seconds: Math.round(seconds * 10) / 10, blobsPerSecond: Math.round(p.purged_blobs / seconds), freedBytes: p.freed_space, pushBefore, pushDuring }
  } finally {
    await berth?.close()
    child?.stdin?.end()
    if (child !== undefined && child.exitCode === null) await once(child, 'exit')
    await rm(dir, { recursive: true, force: true })
  }
}

const results: Result[] = []
for (const driver of values.drivers.split(',') as ('filesystem' | 's3')[]) {
  results.push(await runOne(driver, Number(driver === 's3' ? values['s3-blobs'] : values.blobs)))
}
console.log('driver      blobs    seconds  blobs/s  push p50/p99 ms before  push p50/p99 ms during (pushes)  loop delay p99/max ms')
for (const r of results) {
  console.log(
    `${r.driver.padEnd(10)} ${String(r.blobs).padStart(7)} ${String(r.seconds).padStart(9)} ${String(r.blobsPerSecond).padStart(8)}  ${`${r.pushBefore.p50}/${r.pushBefore.p99}`.padStart(20)}  ${`${r.pushDuring.p50}/${r.pushDuring.p99} (${r.pushDuring.n})`.padStart(26)}  ${`${r.loopDelayP99Ms}/${r.loopDelayMaxMs}`.padStart(20)}`,
  )
}
if (values.json) console.log(JSON.stringify(results, null, 2))
