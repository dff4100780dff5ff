// A proxy-cache project in front of the CNCF distribution registry (Debian's docker-registry), on
// loopback: a large blob pulled straight from the upstream, through Berth the first time (fetched
// and stored while it streams), and through Berth again (from the cache); then C clients pulling
// one blob nobody has pulled yet at once, and how many requests for it reach the upstream.
// Reports MiB/s of each and Berth's peak RSS during the pulls.
//
//   npm run bench -- proxy-cache [--mib N] [--clients C] [--json]
import { randomFile } from './random-file.js'
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { OutboundGuard } from '../src/remote/outbound-guard.js'
import { RemoteRegistry } from '../src/remote/remote-registry.js'
import { startDistributionRegistry } from '../test/support/distribution-registry.js'
import { startCountingProxy } from '../test/support/counting-proxy.js'
import { startBerth, E2E_ADMIN_PASSWORD } from '../test/support/berth-process.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { mib: { type: 'string', default: '256' }, clients: { type: 'string', default: '8' }, json: { type: 'boolean', default: false } } })
const MiB = 1024 * 1024
const size = Number(values.mib) * MiB
const clients = Number(values.clients)
const AUTH = `Basic ${Buffer.from(`admin:${E2E_ADMIN_PASSWORD}`).toString('base64')}`

/** The resident memory of process `pid`, in bytes (Linux). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb ?? 0) * 1024
}

/** A file of random bytes under `dir`, and its digest. */
async function randomFileIn(dir: string, name: string, bytes: number): Promise<{ path: string; digest: string }> {
  const path = join(dir, name)
  return { path, digest: await randomFile(path, bytes) }
}

/** GETs a URL and discards the body; seconds taken. */
async function pull(url: string, authorization?: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { headers: authorization === undefined ? {} : { authorization } })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  let n = 0
  for await (const c of res.body!) n += (c as Uint8Array).length
  if (n !== size) throw new Error(`GET ${url}: ${n} bytes, not ${size}`)
  return (performance.now() - t0) / 1000
}

const work = mkdtempSync(join(tmpdir(), 'berth-bench-proxy-'))
const registry = await startDistributionRegistry()
const upstream = await startCountingProxy(registry.url)
// Berth in a process of its own, as distribution runs: the client here does not share its CPU.
const berth = await startBerth({ env: { BERTH_LOG_LEVEL: 'warn' } })
try {
  const url = berth.url
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${url}/api/v2.0${path}`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
    return res.headers.get('location')!
  }
  const registryId = Number((await api('/registries', { name: 'upstream', type: 'docker-registry', url: upstream.url })).split('/').pop())
  await api('/projects', { project_name: 'hub', registry_id: registryId, metadata: { public: 'true' } })

  // Two blobs at the upstream: one pulled alone three ways, one pulled by many at once.
  const client = new RemoteRegistry({ url: registry.url, guard: new OutboundGuard({ allow: [], deny: [] }), chunkBytes: 64 * MiB })
  const [solo, crowd] = [await randomFileIn(work, 'solo', size), await randomFileIn(work, 'crowd', size)]
  for (const b of [solo, crowd]) await client.pushBlob('bench/big', b.digest, size, async (offset) => createReadStream(b.path, { start: offset }))
  rmSync(join(work, 'solo'))
  rmSync(join(work, 'crowd'))

  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(berth.pid))), 50)
  const rssBefore = rssOf(berth.pid)
  const direct = await pull(`${registry.url}/v2/bench/big/blobs/${solo.digest}`)
  const first = await pull(`${url}/v2/hub/bench/big/blobs/${solo.digest}`, AUTH)
  const cached = await pull(`${url}/v2/hub/bench/big/blobs/${solo.digest}`, AUTH)
  const before = upstream.count(new RegExp(`^GET /v2/bench/big/blobs/${crowd.digest}`))
  const t0 = performance.now()
  await Promise.all(Array.from({ length: clients }, () => pull(`${url}/v2/hub/bench/big/blobs/${crowd.digest}`, AUTH)))
  const crowdS = (performance.now() - t0) / 1000
  const fetched = upstream.count(new RegExp(`^GET /v2/bench/big/blobs/${crowd.digest}`)) - before
  clearInterval(sampler)
  const mibs = (s: number, n = 1) => Math.round((n * size) / MiB / s)
  const result = {
    blob_mib: size / MiB,
    direct_from_upstream_mib_s: mibs(direct),
    first_pull_through_cache_mib_s: mibs(first),
    cached_pull_mib_s: mibs(cached),
    clients,
    crowd_total_mib_s: mibs(crowdS, clients),
    crowd_upstream_fetches: fetched,
    rss_before_mib: Math.round(rssBefore / MiB),
    rss_peak_mib: Math.round(peak / MiB),
  }
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(34)} ${v}\n`)
} finally {
  await berth.stop()
  await upstream.close()
  await registry.destroy()
  rmSync(work, { recursive: true, force: true })
}
