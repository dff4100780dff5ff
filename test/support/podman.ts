// A podman bound to its own image store under a folder, for suites that pull and push with it
// (see test/e2e/podman.test.ts's header for why each flag is there).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCommand, type CommandResult } from './run-command.js'

export type Podman = {
  run(args: readonly string[]): Promise<CommandResult>
  policy: string
}

/** A podman bound to its own store under `dir` (see the header for why each flag is there). */
export function isolatedPodman(dir: string): Podman {
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp, { recursive: true })
  const policy = join(dir, 'policy.json')
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }))
  const globalFlags = [
    '--root',
    join(dir, 'root'),
    '--runroot',
    join(dir, 'run'),
    '--tmpdir',
    tmp,
    '--storage-driver',
    'vfs',
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
    '--network-config-dir',
    join(dir, 'net'),
  ]
  return {
    policy,
    run: (args) => runCommand('podman', [...globalFlags, ...args], { env: { ...process.env, TMPDIR: tmp }, timeoutMs: 90_000 }),
  }
}
