// Server-side figures from /proc: which process listens on a port, its memory (VmRSS
// sampled, VmHWM) and CPU time. Linux only; elsewhere everything reports "not visible".
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** Clock ticks per second for /proc/PID/stat; 100 on every Linux this runs on (getconf CLK_TCK). */
const CLK_TCK = 100

export type PidLookup = { pids: number[] } | { reason: string }

/**
 * Processes holding a listening TCP socket on `port` (any address, IPv4 or IPv6): the
 * socket inodes from /proc/net/tcp{,6}, then the processes whose fds point at them.
 */
export function findListeningPids(port: number): PidLookup {
  const inodes = new Set<string>()
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      const local = f[1]
      const state = f[3]
      const inode = f[9]
      if (!local || !inode || state !== '0A') continue // 0A = LISTEN
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort && inode !== '0') inodes.add(inode)
    }
  }
  if (inodes.size === 0) return { reason: `no listening socket on port ${port} in this network namespace` }
  const pids: number[] = []
  let denied = 0
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      denied++
      continue
    }
    for (const fd of fds) {
      let link: string
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`)
      } catch {
        continue
      }
      const m = /^socket:\[(\d+)\]$/.exec(link)
      if (m && inodes.has(m[1] ?? '')) {
        pids.push(Number(entry))
        break
      }
    }
  }
  if (pids.length === 0) {
    return { reason: `port ${port} is listening but its process is not visible${denied ? ` (${denied} processes unreadable)` : ''}` }
  }
  return { pids: pids.sort((a, b) => a - b) }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export type MemoryKiB = { rss: number; hwm: number }

/** VmRSS and VmHWM of one process, or null when it is gone or unreadable. */
export function readMemory(pid: number): MemoryKiB | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text)
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text)
  if (!rss || !hwm) return null
  return { rss: Number(rss[1]), hwm: Number(hwm[1]) }
}

/** User + system CPU seconds of one process, or null when it is gone. */
export function readCpuSeconds(pid: number): number | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name may contain spaces and parentheses; fields resume after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const utime = Number(f[11])
  const stime = Number(f[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null
  return (utime + stime) / CLK_TCK
}

/**
 * CPU seconds used by processes on the whole machine (all cores, from /proc/stat): user,
 * nice, system and steal. Interrupt and softirq time is left out: loopback networking puts
 * the benchmark's own traffic there.
 */
export function readMachineBusySeconds(): number | null {
  let text: string
  try {
    text = readFileSync('/proc/stat', 'utf8')
  } catch {
    return null
  }
  const f = (text.split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[7] ?? 0)
  return Number.isFinite(busy) ? busy / CLK_TCK : null
}

/**
 * CPU seconds of kernel threads (children of kthreadd, PID 2): writeback, block I/O and
 * softirq threads, which mostly work for whoever writes to disk or the network.
 */
export function readKernelThreadsSeconds(): number {
  let sum = 0
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let text: string
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    if (entry !== '2' && f[1] !== '2') continue
    sum += (Number(f[11]) + Number(f[12])) / CLK_TCK || 0
  }
  return sum
}

/**
 * Samples the summed VmRSS of a set of processes every `intervalMs`, keeping the overall
 * peak and a resettable per-step peak.
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined
  peakKiB = 0
  stepPeakKiB = 0
  samples = 0
  gone = false

  constructor(readonly pids: number[], private readonly intervalMs = 100) {}

  start(): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.sample()
  }

  /** Starts a new step: its peak starts from the current value. */
  beginStep(): void {
    this.stepPeakKiB = 0
    this.sample()
  }

  /** Ends a step; returns its peak summed VmRSS in KiB. */
  endStep(): number {
    this.sample()
    return this.stepPeakKiB
  }

  /** Sum of VmHWM (each process's own peak, as the kernel saw it). */
  hwmKiB(): number | null {
    let sum = 0
    for (const pid of this.pids) {
      const m = readMemory(pid)
      if (!m) return null
      sum += m.hwm
    }
    return sum
  }

  cpuSeconds(): number | null {
    let sum = 0
    for (const pid of this.pids) {
      const c = readCpuSeconds(pid)
      if (c === null) return null
      sum += c
    }
    return sum
  }

  private sample(): void {
    let sum = 0
    for (const pid of this.pids) {
      const m = readMemory(pid)
      if (!m) {
        this.gone = true
        return
      }
      sum += m.rss
    }
    this.samples++
    if (sum > this.peakKiB) this.peakKiB = sum
    if (sum > this.stepPeakKiB) this.stepPeakKiB = sum
  }
}
