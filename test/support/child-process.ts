// The servers tests start (Berth, slapd, HAProxy) as child processes: their output kept for
// error messages, how they ended, a stop that escalates from SIGTERM to SIGKILL, and a guarantee
// that none outlives the test process.
import type { ChildProcess } from 'node:child_process'

/** Kills every child still running (SIGKILL), for when the test process itself goes away. */
const live = new Set<() => void>()
const killLive = () => {
  for (const kill of live) kill()
}
process.once('exit', killLive)
// The signal is raised again once the children are gone, so it still ends the test process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLive()
    process.kill(process.pid, signal)
  })
}

export interface Supervised {
  /** Everything the child wrote to stdout and stderr so far (the newest `maxLogBytes`). */
  logs(): string
  /** Why the child is gone (`spawn failed: ...` or `exited early: {...}`), or null while it runs. */
  ended(): string | null
  /** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. Idempotent. */
  stop(): Promise<void>
}

export interface SuperviseOptions {
  maxLogBytes: number
  /** How to signal it (a whole process group, say); default: the child alone. */
  signal?: (signal: NodeJS.Signals) => void
}

/** Takes charge of a child spawned with stdout and stderr piped. */
export function supervise(child: ChildProcess, o: SuperviseOptions): Supervised {
  const signal = o.signal ?? ((s: NodeJS.Signals) => void child.kill(s))
  const kill = () => signal('SIGKILL')
  live.add(kill)
  let log = ''
  const append = (b: Buffer) => {
    log += b.toString('utf8')
    if (log.length > o.maxLogBytes) log = log.slice(log.length - o.maxLogBytes)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
  const exitPromise = new Promise<void>((r) => {
    child.once('exit', (code, sig) => {
      exited = { code, signal: sig }
      live.delete(kill)
      r()
    })
  })
  let spawnError: Error | null = null
  child.once('error', (e) => {
    spawnError = e
  })
  let stopped = false
  return {
    logs: () => log,
    ended: () => (spawnError !== null ? `spawn failed: ${String(spawnError)}` : exited !== null ? `exited early: ${JSON.stringify(exited)}` : null),
    stop: async () => {
      if (stopped) return
      stopped = true
      if (exited === null && child.exitCode === null && child.signalCode === null) {
        signal('SIGTERM')
        const timer = setTimeout(kill, 5000)
        await exitPromise
        clearTimeout(timer)
      }
    },
  }
}
