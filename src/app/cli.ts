#!/usr/bin/env node
// The `berth` command: serve the registry, or apply migrations.
import { parseArgs } from 'node:util'
import { isBerthError } from '../lib/errors.js'
import { createLogger } from '../lib/logger.js'
import { openDb, migrate } from '../metadata/db.js'
import { loadConfig, resolvedPaths, type Config } from './config.js'
import { createBerth } from './server.js'

const HELP = `berth: an OCI container registry

Usage:
  berth serve [--config FILE]     run the registry (default command)
  berth migrate [--config FILE]   apply database migrations and exit
  berth help                      show this text

Configuration comes from berth.yml (--config or BERTH_CONFIG) and BERTH_* environment
variables, e.g. BERTH_HTTP_PORT, BERTH_HTTP_HOST, BERTH_DATA_DIR, BERTH_DATABASE_URL,
BERTH_EXTERNAL_URL, BERTH_ADMIN_PASSWORD. See berth.example.yml for every setting.
`

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.log.level)
  const berth = await createBerth(config, { log })
  const address = await berth.app.listen({ host: config.http.host, port: config.http.port })
  log.info({ address, dataDir: resolvedPaths(config).dataDir, database: berth.db.dialect }, 'listening')
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    berth
      .close()
      .then(() => {
        log.flush()
        process.exit(0)
      })
      .catch((err) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  })
  const command = positionals[0] ?? 'serve'
  if (values.help || command === 'help') {
    process.stdout.write(HELP)
    return
  }
  const config = loadConfig(process.env, values.config ?? process.env.BERTH_CONFIG)
  switch (command) {
    case 'serve':
      return serve(config)
    case 'migrate': {
      const db = await openDb(resolvedPaths(config).databaseUrl)
      try {
        const applied = await migrate(db)
        process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
      } finally {
        await db.close()
      }
      return
    }
    default:
      process.stderr.write(`berth: unknown command ${JSON.stringify(command)}\n\n${HELP}`)
      process.exitCode = 2
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
