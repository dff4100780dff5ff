// What every admin command shares: how a command is described (for dispatch and help), usage
// errors, opening the services as the `cli` principal, reading a secret from stdin, and output.
// Heavy modules (configuration schema, services, database drivers) are imported when a command
// runs, so that help and usage errors answer at once.
import type { ParseArgsConfig } from 'node:util'
import { BerthError } from '../../lib/errors.js'
import type { UserPrincipal } from '../../auth/identity.js'
import { ADMIN } from '../../auth/admin-user.js'
import { generatePassword, passwordProblem } from '../../auth/password.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Config } from '../config.js'
import type { Services } from '../services.js'

export type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

/** One parsed invocation of a command. */
export interface Invocation {
  values: Values
  positionals: string[]
  env: NodeJS.ProcessEnv
  stdin: NodeJS.ReadableStream
  out(text: string): void
  err(text: string): void
}

export interface Command {
  name: string
  /** One line for the command lists. */
  summary: string
  /** Synopsis without the leading `berth <group>`, e.g. `create <name> [--public]`. */
  usage: string
  /** More lines for `--help`: what it does, each option. */
  details: string
  options: Options
  /** Names of the positional arguments, `?` marking optional ones (e.g. ['name', 'value?']). */
  args: string[]
  run(inv: Invocation): Promise<void>
}

export interface Group {
  name: string
  summary: string
  commands: Command[]
}

/** A mistake in how the command was called: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Options = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
}

export const GLOBAL_HELP = `Options of every command:
  -c, --config FILE   configuration file (default: $BERTH_CONFIG); BERTH_* variables override it
  -v, --verbose       show the service logs (JSON lines, on stderr)
  -h, --help          show help`

export function str(values: Values, key: string): string | undefined {
  const v = values[key]
  return typeof v === 'string' ? v : undefined
}

export function flag(values: Values, key: string): boolean {
  return values[key] === true
}

/** The configuration as `serve` loads it: the file of --config or BERTH_CONFIG, then BERTH_* variables. */
export async function configOf(inv: Invocation): Promise<Config> {
  const { loadConfig } = await import('../config.js')
  return loadConfig(inv.env, str(inv.values, 'config') ?? inv.env.BERTH_CONFIG)
}

/**
 * The principal the CLI acts as: a system administrator named `cli` (so audit entries read
 * `cli`, from address `cli`) with the user id of `admin`, which owns the projects it creates.
 */
export async function cliCaller(services: Services): Promise<UserPrincipal> {
  const admin = await services.stores.users.get(ADMIN)
  if (admin === null) throw new BerthError('PRECONDITION', `the ${ADMIN} user is missing`)
  return { kind: 'user', userId: admin.id, username: 'cli', sysadmin: true, groups: [], address: 'cli' }
}

/** Opens the services (migrating the database), runs `fn` as the `cli` principal, and always closes them. */
export async function withServices<T>(inv: Invocation, fn: (services: Services, caller: UserPrincipal) => Promise<T>): Promise<T> {
  const config = await configOf(inv)
  const [{ openServices }, { createLogger, silentLogger }, { default: pino }] = await Promise.all([import('../services.js'), import('../../lib/logger.js'), import('pino')])
  const log = flag(inv.values, 'verbose') ? createLogger(config.log.level, pino.destination({ dest: 2, sync: true })) : silentLogger()
  const services = await openServices(config, { log })
  try {
    return await fn(services, await cliCaller(services))
  } finally {
    await services.close()
  }
}

/** Reads one line from `stream` (without its line ending) and stops reading. */
export async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  return await new Promise((resolve, reject) => {
    const done = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', done)
      stream.removeListener('error', reject)
      stream.pause()
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy()
      const text = Buffer.concat(chunks).toString('utf8')
      const nl = text.indexOf('\n')
      resolve((nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, ''))
    }
    const onData = (chunk: Buffer | string) => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      if (chunks[chunks.length - 1]!.includes(10)) done()
    }
    stream.on('data', onData)
    stream.once('end', done)
    stream.once('error', reject)
  })
}

/** The JSON shapes of /api/v2.0 (loaded when needed: they pull in the schema library). */
export const apiShapes = () => import('../../http/api/shapes.js')

/** Every item of a paged list. */
export async function listAll<T>(page: (q: ListQuery) => Promise<Listed<T>>, q: Partial<ListQuery> = {}): Promise<T[]> {
  const items: T[] = []
  for (let n = 1; ; n++) {
    const got = await page({ conditions: [], sort: [], pageSize: 100, ...q, page: n })
    items.push(...got.items)
    if (got.items.length === 0 || items.length >= got.total) return items
  }
}

/** Rows as left-aligned columns (under a header, if any), two spaces apart. */
export function columns(header: string[], rows: string[][]): string {
  const all = header.length > 0 ? [header, ...rows] : rows
  const widths = Array.from({ length: Math.max(0, ...all.map((r) => r.length)) }, (_, i) => Math.max(0, ...all.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd() + '\n'
  return all.map(line).join('')
}

/** A list as JSON (`--json`) or as columns. */
export function printList<T>(inv: Invocation, items: T[], header: string[], row: (item: T) => string[], json: (item: T) => unknown): void {
  if (flag(inv.values, 'json')) inv.out(JSON.stringify(items.map(json), null, 2) + '\n')
  else inv.out(columns(header, items.map(row)))
}

export const JSON_OPTION: Options = { json: { type: 'boolean' } }

/** A comma-separated list without empty entries. */
export function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** The password from one line of stdin (--password-stdin), checked against the policy; else a generated one. */
export async function chosenPassword(inv: Invocation): Promise<{ password: string; generated: boolean }> {
  if (!flag(inv.values, 'password-stdin')) return { password: generatePassword(), generated: true }
  const password = await readLine(inv.stdin)
  const problem = passwordProblem(password)
  if (problem !== null) throw new BerthError('BAD_REQUEST', `password ${problem}`)
  return { password, generated: false }
}

export const PASSWORD_STDIN_OPTION: Options = { 'password-stdin': { type: 'boolean' } }
