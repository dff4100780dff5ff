#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (node --cpu-prof): the functions with the most self time,
// and the project's own functions (dist/src/) with the most inclusive time.
// usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [--top N] [--markdown]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number }
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] }
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

type Entry = { name: string; where: string; ms: number; pct: number }
type Summary = { sampledMs: number; busyMs: number; self: Entry[]; project: Entry[]; groups: Entry[] }

/** Frames that are not JavaScript functions; they stay in the self list, with their V8 names. */
const IDLE = '(idle)'

function summarize(profile: CpuProfile, top: number): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

  // The profiler's own frames (bench/cpu-profiler.js starting and stopping it) are not the server's work.
  const isProfiler = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (byId.get(cur)?.callFrame.url.endsWith('/cpu-profiler.js')) return true
    }
    return false
  }
  const selfUs = new Map<number, number>()
  let total = 0
  // timeDeltas[i] is the time between sample i-1 and sample i; it is charged to sample i.
  // The first delta runs from the profile's start to its first sample: not a sample interval.
  profile.samples.forEach((id, i) => {
    if (i === 0 || isProfiler(id)) return
    const d = profile.timeDeltas[i] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + d)
    total += d
  })
  const idleUs = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === IDLE).reduce((a, [, us]) => a + us, 0)
  const busy = Math.max(1, total - idleUs)

  const key = (f: CallFrame): string => `${f.functionName || '(anonymous)'}\u0000${where(f)}`
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node || node.callFrame.functionName === IDLE) continue
    self.set(key(node.callFrame), (self.get(key(node.callFrame)) ?? 0) + us)
    // Charge every distinct function on the stack once (recursion is not double counted).
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame
      if (!f || !f.url.includes('/dist/src/')) continue
      const k = key(f)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  }
  // Self time by where the code comes from: a package, node's core, Berth's layers, V8.
  const groups = new Map<string, number>()
  for (const [k, us] of self) {
    const g = groupOf(k.split('\u0000')[0] ?? '', k.split('\u0000')[1] ?? '')
    groups.set(g, (groups.get(g) ?? 0) + us)
  }
  const entries = (m: Map<string, number>): Entry[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => {
        const [name = '', at = ''] = k.split('\u0000')
        return { name, where: at, ms: Math.round(us / 1000), pct: Math.round((us / busy) * 1000) / 10 }
      })
  return {
    sampledMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    self: entries(self),
    project: entries(inclusive),
    groups: entries(groups),
  }
}

function groupOf(name: string, at: string): string {
  if (at === '') return name.startsWith('(') ? name : 'native (V8 builtins, C++)'
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(at)
  if (pkg) return `package ${pkg[1]}`
  const layer = /^dist\/src\/([^/]+)\//.exec(at)
  if (layer) return `berth src/${layer[1]}`
  if (at.startsWith('node:')) return 'node core (node:*)'
  return 'other'
}

function where(f: CallFrame): string {
  if (!f.url) return ''
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*?\/(dist\/|node_modules\/)/, '$1')
  return `${url}:${f.lineNumber + 1}`
}

function render(s: Summary, markdown: boolean): string {
  const lines: string[] = []
  const section = (title: string, entries: Entry[]): void => {
    if (markdown) {
      lines.push(`${title}`, '', '| % of busy | ms | function | where |', '|---:|---:|---|---|')
      for (const e of entries) lines.push(`| ${e.pct} | ${e.ms} | \`${e.name}\` | ${e.where ? `\`${e.where}\`` : ''} |`)
      lines.push('')
    } else {
      lines.push(title)
      for (const e of entries) lines.push(`  ${e.pct.toFixed(1).padStart(5)}%  ${String(e.ms).padStart(6)} ms  ${e.name}  ${e.where}`)
      lines.push('')
    }
  }
  lines.push(`sampled ${s.sampledMs} ms, busy (not idle) ${s.busyMs} ms`, '')
  section('Self time by origin:', s.groups)
  section('Self time, all code:', s.self)
  section('Inclusive time, project code (dist/src):', s.project)
  return lines.join('\n')
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, markdown: { type: 'boolean', default: false } },
  })
  const file = positionals[0]
  if (!file) {
    process.stderr.write('usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [--top N] [--markdown]\n')
    process.exit(64)
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  process.stdout.write(render(summarize(profile, Number(values.top)), values.markdown) + '\n')
}

main()
