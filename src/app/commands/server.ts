// berth serve and berth migrate: run the registry, or apply database migrations and exit.
import type { Config } from '../config.js'
import { configOf, type Command, type Invocation } from './common.js'

async function serve(config: Config): Promise<void> {
  const [{ createLogger }, { createBerth }, { resolvedPaths }] = await Promise.all([import('../../lib/logger.js'), import('../server.js'), import('../config.js')])
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

async function migrateCommand(inv: Invocation): Promise<void> {
  const config = await configOf(inv)
  const [{ openDb, migrate }, { resolvedPaths }] = await Promise.all([import('../../metadata/db.js'), import('../config.js')])
  const db = await openDb(resolvedPaths(config).databaseUrl)
  try {
    const applied = await migrate(db)
    inv.out(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
  } finally {
    await db.close()
  }
}

export const serveCommands: Command[] = [
  {
    name: 'serve',
    summary: 'run the registry (default command)',
    usage: 'serve [--config FILE]',
    details: `Runs the registry until SIGTERM or SIGINT. Logs are JSON lines on stdout.`,
    options: {},
    args: [],
    run: async (inv) => serve(await configOf(inv)),
  },
  {
    name: 'migrate',
    summary: 'apply database migrations and exit',
    usage: 'migrate [--config FILE]',
    details: `Applies the database migrations that are missing (every command applies them too).`,
    options: {},
    args: [],
    run: migrateCommand,
  },
]
