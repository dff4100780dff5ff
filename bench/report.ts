#!/usr/bin/env node
// Turns the JSON results of one bench/compare.sh run (Berth, the peer registry, nginx, and
// the machine's reference figures) into a markdown section with the project's aims checked;
// prints it and, with --docs, puts it at the top of the results in docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { cpus, totalmem, release } from 'node:os'
import { parseArgs } from 'node:util'
import type { BenchResult, LoadStep } from './bench.js'

/** docs/benchmarks.md keeps its runs below this line, newest first. */
const RESULTS_MARKER = '<!-- compare.sh puts each run below this line, newest first -->'

type Inputs = {
  berth: BenchResult | null
  peer: BenchResult | null
  nginx: BenchResult | null
  peerName: string
  ddMbps: number | null
  opensslSha256Mbps: number | null
  disk: string
  versions: string
  loadBefore: string
  profile: string | null
  notes: string[]
}

function readResult(path: string | undefined): BenchResult | null {
  if (!path || !existsSync(path)) return null
  return JSON.parse(readFileSync(path, 'utf8')) as BenchResult
}

function optionalNumber(v: string | undefined): number | null {
  if (v === undefined || v === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

const n0 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'))
const n1 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(1))
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null
  return a / b
}

function loadCell(s: LoadStep | undefined): string {
  if (!s) return '-'
  const failed = s.failed > 0 ? `, ${s.failed} failed` : ''
  return `${n0(s.rps)} (${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p99)} ms${failed})`
}

function step(r: BenchResult | null, kind: 'manifestGet' | 'blobHead', c: number): LoadStep | undefined {
  return r?.[kind]?.find((s) => s.concurrency === c)
}

function maxOther(r: BenchResult | null): number | null {
  if (!r) return null
  const all = [r.push, r.pull, ...(r.manifestGet ?? []), ...(r.blobHead ?? [])].flatMap((s) => (s && s.otherCpuPct !== null ? [s.otherCpuPct] : []))
  return all.length ? Math.max(...all) : null
}

function renderSection(i: Inputs, date: Date): string {
  const { berth, peer, nginx } = i
  const ref = berth ?? peer
  const concurrencies = [...new Set([...(berth?.manifestGet ?? []), ...(peer?.manifestGet ?? [])].map((s) => s.concurrency))].sort((a, b) => a - b)
  const headConcurrencies = [...new Set([...(berth?.blobHead ?? []), ...(peer?.blobHead ?? [])].map((s) => s.concurrency))].sort((a, b) => a - b)
  const blobMiB = ref ? Math.round(ref.blobBytes / (1 << 20)) : 0
  const cpu = cpus()
  const lines: string[] = []

  lines.push(`### Run of ${date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, '')
  lines.push(
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `disk ${i.disk}, Linux ${release()}. ${i.versions}. Load average before the run: ${i.loadBefore}.`,
  )
  lines.push(
    `Settings: ${blobMiB} MiB blob, ${ref?.durationS ?? '-'} s per step, concurrency ${concurrencies.join(', ') || '-'}; ` +
      `client and servers share the machine; MB = 10^6 bytes.`,
    '',
  )

  const pr = (a: number | null | undefined, b: number | null | undefined): string => {
    const r = ratio(a, b)
    return r === null ? '-' : `${r.toFixed(2)}x`
  }
  lines.push(`| measure | Berth | ${i.peerName} | Berth / peer |`, '|---|---:|---:|---:|')
  lines.push(`| blob push, MB/s (monolithic POST + PUT) | ${n1(berth?.push?.mbps)} | ${n1(peer?.push?.mbps)} | ${pr(berth?.push?.mbps, peer?.push?.mbps)} |`)
  lines.push(`| blob pull, MB/s | ${n1(berth?.pull?.mbps)} | ${n1(peer?.pull?.mbps)} | ${pr(berth?.pull?.mbps, peer?.pull?.mbps)} |`)
  for (const c of concurrencies) {
    const b = step(berth, 'manifestGet', c)
    const p = step(peer, 'manifestGet', c)
    lines.push(`| manifest GET by tag, c=${c}: req/s (p50 / p99) | ${loadCell(b)} | ${loadCell(p)} | ${pr(b?.rps, p?.rps)} |`)
  }
  for (const c of headConcurrencies) {
    const b = step(berth, 'blobHead', c)
    const p = step(peer, 'blobHead', c)
    lines.push(`| blob HEAD, c=${c}: req/s (p50 / p99) | ${loadCell(b)} | ${loadCell(p)} | ${pr(b?.rps, p?.rps)} |`)
  }
  const rss = (r: BenchResult | null): string =>
    r?.server.visible ? `${n1(r.server.peakRssMiB)} / ${n1(r.server.hwmMiB)}` : 'not visible'
  lines.push(`| server peak RSS, MiB (sampled VmRSS / VmHWM) | ${rss(berth)} | ${rss(peer)} | ${pr(berth?.server.hwmMiB, peer?.server.hwmMiB)} |`)
  const cpuOf = (r: BenchResult | null, c: number): string => {
    const s = step(r, 'manifestGet', c)
    return s?.serverCpuPct === null || s?.serverCpuPct === undefined ? '-' : `${s.serverCpuPct}%`
  }
  const top = concurrencies[concurrencies.length - 1]
  if (top !== undefined) lines.push(`| server CPU during manifest GET c=${top} (100% = one core) | ${cpuOf(berth, top)} | ${cpuOf(peer, top)} | |`)
  lines.push('')

  lines.push('| reference on the same machine, same run | figure |', '|---|---:|')
  lines.push(`| disk: \`dd if=/dev/zero bs=1M count=1024 conv=fsync\` beside the data dirs | ${n1(i.ddMbps)} MB/s |`)
  lines.push(`| sha256: \`openssl dgst -sha256\` over the ${blobMiB} MiB blob file (in page cache) | ${n1(i.opensslSha256Mbps)} MB/s |`)
  lines.push(`| sha256: node's crypto in the bench client, same file | ${n0(ref?.client.sha256MBps)} MB/s |`)
  lines.push(`| nginx (sendfile on), GET of the same file, same client code as blob pull | ${n1(nginx?.pull?.mbps)} MB/s |`)
  lines.push('')

  type Aim = { aim: string; figure: string; ratio: number | null; target: number }
  const aims: Aim[] = []
  for (const c of concurrencies) {
    const b = step(berth, 'manifestGet', c)?.rps
    const p = step(peer, 'manifestGet', c)?.rps
    aims.push({ aim: `manifest GET by tag, c=${c}: >= 5x peer req/s`, figure: `${n0(b)} vs ${n0(p)} req/s`, ratio: ratio(b, p), target: 5 })
  }
  const bp = berth?.push?.mbps
  aims.push({ aim: 'blob push >= 2x peer', figure: `${n1(bp)} vs ${n1(peer?.push?.mbps)} MB/s`, ratio: ratio(bp, peer?.push?.mbps), target: 2 })
  aims.push({ aim: 'blob push >= 80% of dd conv=fsync', figure: `${n1(bp)} vs ${n1(i.ddMbps)} MB/s`, ratio: ratio(bp, i.ddMbps), target: 0.8 })
  const bl = berth?.pull?.mbps
  aims.push({ aim: 'blob pull >= peer', figure: `${n1(bl)} vs ${n1(peer?.pull?.mbps)} MB/s`, ratio: ratio(bl, peer?.pull?.mbps), target: 1 })
  aims.push({ aim: 'blob pull >= 70% of nginx', figure: `${n1(bl)} vs ${n1(nginx?.pull?.mbps)} MB/s`, ratio: ratio(bl, nginx?.pull?.mbps), target: 0.7 })
  lines.push('| aim | figures (Berth vs other) | ratio | met |', '|---|---:|---:|:---:|')
  for (const a of aims) {
    const shown = a.ratio === null ? '-' : a.target < 1 ? `${Math.round(a.ratio * 100)}%` : `${a.ratio.toFixed(2)}x`
    const met = a.ratio === null ? 'n/a' : a.ratio >= a.target ? 'yes' : '**no**'
    lines.push(`| ${a.aim} | ${a.figure} | ${shown} | ${met} |`)
  }
  lines.push('')

  const notes = [...i.notes]
  if (i.ddMbps !== null && i.opensslSha256Mbps !== null && 0.8 * i.ddMbps > i.opensslSha256Mbps) {
    notes.push(
      `80% of dd (${n1(0.8 * i.ddMbps)} MB/s) is above one core's SHA-256 rate (${n1(i.opensslSha256Mbps)} MB/s, openssl): ` +
        'a registry that hashes each blob once, on one core, as it must to verify the digest, cannot meet that aim on this machine.',
    )
  }
  for (const [name, r] of [['Berth', berth], [i.peerName, peer], ['nginx', nginx]] as const) {
    if (!r) {
      notes.push(`${name}: no result.`)
      continue
    }
    for (const e of r.errors) notes.push(`${name}: ${e}`)
    const other = maxOther(r)
    if (other !== null && other > 25) notes.push(`${name}: up to ${other}% of a core was used by other work on the machine during a step (noise).`)
    const failed = [...(r.manifestGet ?? []), ...(r.blobHead ?? [])].filter((s) => s.failed > 0)
    for (const s of failed) notes.push(`${name}: ${s.failed} failed requests at c=${s.concurrency} (${JSON.stringify(s.statuses)}${s.firstError ? `, first: ${s.firstError}` : ''}).`)
    const retried = [r.push, r.pull, ...(r.manifestGet ?? []), ...(r.blobHead ?? [])].filter((s) => s?.attempts)
    if (retried.length) notes.push(`${name}: ${retried.length} step(s) ran again because other work used the machine; the quietest run is shown.`)
    const clientBound = [r.pull, ...(r.manifestGet ?? [])].some((s) => s && s.clientCpuPct >= 90)
    if (clientBound) notes.push(`${name}: the bench client used >= 90% of a core in a step; that figure may be bounded by the client.`)
  }
  if (notes.length) {
    lines.push('Notes:', '', ...notes.map((n) => `- ${n}`), '')
  }
  if (i.profile) {
    lines.push(`<details><summary>Berth CPU profile during manifest GET (c=${top ?? '-'})</summary>`, '', i.profile.trim(), '', '</details>', '')
  }
  return lines.join('\n')
}

/** Inserts `section` below the results marker (newest first); adds the marker when missing. */
function insertSection(doc: string, section: string): string {
  const at = doc.indexOf(RESULTS_MARKER)
  if (at < 0) return `${doc.trimEnd()}\n\n## Results\n\n${RESULTS_MARKER}\n\n${section}`
  const head = doc.slice(0, at + RESULTS_MARKER.length)
  const rest = doc.slice(at + RESULTS_MARKER.length).trimStart()
  return `${head}\n\n${section}${rest ? '\n' + rest : ''}`
}

function main(): void {
  const { values } = parseArgs({
    options: {
      berth: { type: 'string' },
      peer: { type: 'string' },
      nginx: { type: 'string' },
      'peer-name': { type: 'string', default: 'distribution' },
      'dd-mbps': { type: 'string' },
      'openssl-sha256-mbps': { type: 'string' },
      disk: { type: 'string', default: 'unknown' },
      versions: { type: 'string', default: '' },
      'load-before': { type: 'string', default: '-' },
      profile: { type: 'string' },
      note: { type: 'string', multiple: true, default: [] },
      docs: { type: 'string' },
    },
  })
  const profile = values.profile && existsSync(values.profile) ? readFileSync(values.profile, 'utf8') : null
  const section = renderSection(
    {
      berth: readResult(values.berth),
      peer: readResult(values.peer),
      nginx: readResult(values.nginx),
      peerName: values['peer-name'],
      ddMbps: optionalNumber(values['dd-mbps']),
      opensslSha256Mbps: optionalNumber(values['openssl-sha256-mbps']),
      disk: values.disk,
      versions: values.versions,
      loadBefore: values['load-before'],
      profile,
      notes: values.note,
    },
    new Date(),
  )
  process.stdout.write(section + '\n')
  if (values.docs) {
    const doc = existsSync(values.docs) ? readFileSync(values.docs, 'utf8') : '# Benchmarks\n'
    mkdirSync(dirname(values.docs), { recursive: true })
    writeFileSync(values.docs, insertSection(doc, section))
  }
}

main()
