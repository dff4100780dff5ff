#!/usr/bin/env node
// The `berth` command: serve the registry, apply migrations, and administer it (configuration,
// users, projects, robot accounts). Each command lives in commands/; this file finds the
// command in argv, parses its options, prints help, and maps failures to exit statuses:
// 0 ok, 1 the operation failed, 2 usage error, 78 invalid configuration.
import { parseArgs } from 'node:util'
import { isBerthError } from '../lib/errors.js'
import { columns, flag, GLOBAL_HELP, GLOBAL_OPTIONS, UsageError, type Command, type Group, type Invocation } from './commands/common.js'
import { serveCommands } from './commands/server.js'
import { backupCommands } from './commands/backup.js'
import { configGroup } from './commands/config.js'
import { adminGroup } from './commands/admin.js'
import { usersGroup } from './commands/users.js'
import { projectsGroup } from './commands/projects.js'
import { robotsGroup } from './commands/robots.js'

const GROUPS: Group[] = [configGroup, adminGroup, usersGroup, projectsGroup, robotsGroup]
/** Commands named by one word: `serve` (the default), `migrate`, `backup`, `restore`. */
const TOP: Command[] = [...serveCommands, ...backupCommands]

const HELP = `berth: an OCI container registry

Usage:
${columns(
  [],
  [
    ...TOP.map((c) => [`  berth ${c.usage}`, c.summary]),
    ['  berth help [COMMAND]', 'show this text, or the help of a command'],
  ],
).trimEnd()}

Administration (acts on the database of the configuration, as the user "cli"):
${columns(
  [],
  GROUPS.flatMap((g) => g.commands.map((c) => [`  berth ${g.name} ${c.name}`, c.summary])),
).trimEnd()}

Run "berth <command> --help" for the options of a command.

Configuration comes from berth.yml (--config or BERTH_CONFIG) and BERTH_* environment
variables, e.g. BERTH_HTTP_PORT, BERTH_HTTP_HOST, BERTH_DATA_DIR, BERTH_DATABASE_URL,
BERTH_EXTERNAL_URL, BERTH_ADMIN_PASSWORD. See berth.example.yml for every setting.
`

function groupHelp(g: Group): string {
  return `Usage: berth ${g.name} <command> [options]

Commands:
${columns(
  [],
  g.commands.map((c) => [`  berth ${g.name} ${c.name}`, c.summary]),
).trimEnd()}

Run "berth ${g.name} <command> --help" for the options of a command.
`
}

function commandHelp(prefix: string, c: Command): string {
  return `Usage: berth ${prefix}${c.usage}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.

${c.details}

${GLOBAL_HELP}
`
}

/** Options that take a value and may come before the command (`berth -c berth.yml users list`). */
const VALUE_OPTIONS = new Set(Object.entries(GLOBAL_OPTIONS).flatMap(([k, o]) => (o.type === 'string' ? [`--${k}`, ...(o.short ? [`-${o.short}`] : [])] : [])))

/** Indexes in argv of the words that are not options (nor option values), up to `--`. */
function words(argv: string[]): number[] {
  const found: number[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') break
    if (VALUE_OPTIONS.has(a)) i++
    else if (!a.startsWith('-') || a === '-') found.push(i)
  }
  return found
}

/** What argv asks for: a command (and the argv left for it), or a help text, or a usage error. */
type Resolved = { command: Command; prefix: string; rest: string[] } | { help: string } | { error: string; help: string }

function resolve(argv: string[]): Resolved {
  const at = words(argv)
  const word = (n: number) => (at[n] === undefined ? undefined : argv[at[n]!])
  const without = (n: number) => argv.filter((_, i) => !at.slice(0, n).includes(i))
  const first = word(0)
  if (first === 'help') {
    const target = resolve(at.slice(1).map((i) => argv[i]!).concat('--help'))
    return 'command' in target ? { help: commandHelp(target.prefix, target.command) } : target
  }
  const wantsHelp = argv.slice(0, argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--')).some((a) => a === '--help' || a === '-h')
  if (first === undefined) return wantsHelp ? { help: HELP } : { command: serveCommands[0]!, prefix: '', rest: argv }
  const top = TOP.find((c) => c.name === first)
  if (top !== undefined) return { command: top, prefix: '', rest: without(1) }
  const group = GROUPS.find((g) => g.name === first)
  if (group === undefined) return { error: `unknown command ${JSON.stringify(first)}`, help: HELP }
  const second = word(1)
  if (second === undefined) return wantsHelp ? { help: groupHelp(group) } : { error: `${group.name}: which command?`, help: groupHelp(group) }
  const command = group.commands.find((c) => c.name === second)
  if (command === undefined) return { error: `unknown command ${JSON.stringify(`${group.name} ${second}`)}`, help: groupHelp(group) }
  return { command, prefix: `${group.name} `, rest: without(2) }
}

function parse(c: Command, prefix: string, rest: string[]): { values: Invocation['values']; positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...c.options }, allowPositionals: true, strict: true })
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${prefix}${c.name}: ${err.message}`)
    throw err
  }
  const { values, positionals } = parsed
  if (flag(values, 'help')) return { values, positionals }
  const required = c.args.filter((a) => !a.endsWith('?'))
  if (positionals.length < required.length) throw new UsageError(`${prefix}${c.name}: missing argument <${required[positionals.length]!}>`)
  if (positionals.length > c.args.length) throw new UsageError(`${prefix}${c.name}: unexpected argument ${JSON.stringify(positionals[c.args.length])}`)
  return { values, positionals }
}

async function main(argv: string[]): Promise<void> {
  const found = resolve(argv)
  if ('error' in found) {
    process.stderr.write(`berth: ${found.error}\n\n${found.help}`)
    process.exitCode = 2
    return
  }
  if ('help' in found) {
    process.stdout.write(found.help)
    return
  }
  const { command, prefix } = found
  let inv: Invocation
  try {
    const { values, positionals } = parse(command, prefix, found.rest)
    if (flag(values, 'help')) {
      process.stdout.write(commandHelp(prefix, command))
      return
    }
    inv = {
      values,
      positionals,
      env: process.env,
      stdin: process.stdin,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`berth: ${err.message}\nusage: berth ${prefix}${command.usage}\nRun "berth ${prefix}${command.name} --help" for more.\n`)
    process.exitCode = 2
    return
  }
  if (prefix === '') return command.run(inv)
  // Administration commands: a failed operation is one line on stderr, without a stack.
  try {
    await command.run(inv)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`berth: ${err.message}\nusage: berth ${prefix}${command.usage}\n`)
      process.exitCode = 2
    } else if (isBerthError(err) && err.code !== 'CONFIG_INVALID' && err.code !== 'INTERNAL') {
      process.stderr.write(`berth: ${err.message}\n`)
      process.exitCode = 1
    } else {
      throw err
    }
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (isBerthError(err, 'CONFIG_INVALID')) {
    process.stderr.write(`berth: invalid configuration: ${err.message}\n`)
    process.exit(78)
  }
  process.stderr.write(`berth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  if (err instanceof Error && err.cause) process.stderr.write(`caused by: ${String((err.cause as Error).stack ?? err.cause)}\n`)
  process.exit(1)
})
