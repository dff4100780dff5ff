// Runs an external client (skopeo, podman, tar) with a time limit and returns its output, failing loudly.
import { spawn } from 'node:child_process'

export type CommandResult = { code: number; stdout: string; stderr: string }

export type RunOptions = {
  /** Kills the command (SIGKILL) after this many milliseconds; default 120 s. */
  timeoutMs?: number
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFailure?: boolean
  /** Bytes written to the command's stdin. */
  input?: Buffer
}

/** Runs `command args...` without a shell and collects stdout and stderr (as binary-safe Buffers). */
export async function runCommandRaw(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const timeoutMs = opts.timeoutMs ?? 120_000
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    if (opts.input && child.stdin) child.stdin.end(opts.input)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${command}: ${e.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(out)
      const stderr = Buffer.concat(err).toString('utf8')
      const line = [command, ...args].join(' ')
      if (timedOut) {
        reject(new Error(`timed out after ${timeoutMs} ms: ${line}\nstderr:\n${stderr}`))
      } else if ((code !== 0 || signal) && !opts.allowFailure) {
        reject(
          new Error(
            `exit ${code ?? signal}: ${line}\nstdout:\n${stdout.toString('utf8').slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`,
          ),
        )
      } else {
        resolve({ code: code ?? -1, stdout, stderr })
      }
    })
  })
}

/** Like runCommandRaw, with stdout decoded as UTF-8. */
export async function runCommand(command: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const r = await runCommandRaw(command, args, opts)
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr }
}
