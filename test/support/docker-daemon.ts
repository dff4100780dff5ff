// A Docker daemon of the suite's own: dockerd (Debian's docker.io) with its data, exec root,
// socket and pid file in a temp folder, no bridge network and no iptables rules, so that it
// touches nothing else on the machine. Registries on 127.0.0.0/8 are insecure by default in
// Docker, so the loopback Berth and upstream need no daemon configuration. Stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { runCommand, type CommandResult, type RunOptions } from './run-command.js'

export type DockerDaemon = {
  /** Runs the docker CLI against this daemon, with its own client config (logins) folder. */
  docker(args: readonly string[], opts?: Pick<RunOptions, 'allowFailure' | 'input'>): Promise<CommandResult>
  stop(): Promise<void>
}

/** Starts dockerd under `dir` (short path: unix socket paths are limited) and waits until it answers. */
export async function startDockerDaemon(dir: string, { readyMs = 60_000 } = {}): Promise<DockerDaemon> {
  mkdirSync(dir, { recursive: true })
  const socket = join(dir, 'd.sock')
  const host = `unix://${socket}`
  const logFile = join(dir, 'dockerd.log')
  const log = openSync(logFile, 'a')
  const daemon: ChildProcess = spawn(
    'dockerd',
    ['--bridge=none', '--iptables=false', '--ip6tables=false', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'), '-H', host],
    { stdio: ['ignore', log, log] },
  )
  closeSync(log)
  const env = { ...process.env, DOCKER_CONFIG: join(dir, 'client'), DOCKER_HOST: host }
  const docker = (args: readonly string[], opts: Pick<RunOptions, 'allowFailure' | 'input'> = {}) => runCommand('docker', args, { env, timeoutMs: 120_000, ...opts })
  const stop = async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((resolve) => daemon.once('exit', resolve))
      daemon.kill('SIGTERM')
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    }
    // Layers are mounted under data/ while the daemon runs; after it stopped they are plain folders.
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  }
  const deadline = Date.now() + readyMs
  for (;;) {
    if (daemon.exitCode !== null) throw new Error(`dockerd exited (${daemon.exitCode}):\n${readFileSync(logFile, 'utf8').slice(-3000)}`)
    if (existsSync(socket) && (await docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true })).code === 0) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`dockerd did not answer within ${readyMs} ms`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { docker, stop }
}
