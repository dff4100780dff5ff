// Opens the metadata database: SQLite (a file path, the default) or PostgreSQL (a postgres:// URL).
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type SqliteDatabase } from 'kysely'
import { BerthError } from '../lib/errors.js'
import type { Database, Db, Dialect } from './schema.js'
import { queryTracer } from './query-tracing.js'
import * as m001 from './migrations/001-registry.js'
import * as m002 from './migrations/002-users-secrets.js'
import * as m003 from './migrations/003-identity.js'
import * as m004 from './migrations/004-catalog.js'
import * as m005 from './migrations/005-jobs.js'
import * as m006 from './migrations/006-replication.js'
import * as m007 from './migrations/007-project-metadata.js'
import * as m008 from './migrations/008-robot-grants.js'
import * as m009 from './migrations/009-upload-owner.js'
import * as m010 from './migrations/010-executions.js'
import * as m011 from './migrations/011-quotas.js'
import * as m013 from './migrations/013-pull-time.js'
import * as m012 from './migrations/012-immutable-rules.js'
import * as m015 from './migrations/015-webhooks.js'
import * as m014 from './migrations/014-gc.js'
import * as m016 from './migrations/016-retention-policies.js'
import * as m017 from './migrations/017-execution-failures.js'
import * as m018 from './migrations/018-listing-order.js'
import * as m019 from './migrations/019-accessories.js'
import * as m020 from './migrations/020-proxy-cache.js'
import * as m021 from './migrations/021-scanning.js'
import * as m022 from './migrations/022-job-trace.js'

export interface DbOptions {
  /** Maximum PostgreSQL connections of this process. */
  poolSize?: number
  /** A span per query made inside a trace (tracing.enabled); off, queries are not watched at all. */
  trace?: boolean
}

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite'
}

export async function openDb(url: string, o: DbOptions = {}): Promise<Db> {
  const dialect = dialectOf(url)
  if (dialect === 'postgres') {
    const pg = (await import('pg')).default
    const pool = new pg.Pool({
      connectionString: url,
      max: o.poolSize ?? 10,
      // JIT compilation pays off for long analytic queries; on a registry's short ones (a
      // count over 100,000 rows) it costs 10-30 ms each, more than the query itself.
      options: '-c jit=off',
      // bigint (int8) columns hold sizes and ids well below 2^53: read them as numbers.
      types: { getTypeParser: (oid: number, format?: any) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) } as any,
    })
    pool.on('error', () => {}) // an idle client dropped by the server is replaced on next use
    // A client in use when the server drops it fails its query (the caller sees that error);
    // the client's own 'error' event must not become an uncaught exception. The job workers
    // keep clients busy, so a PostgreSQL restart almost always catches one in use.
    pool.on('connect', (client) => client.on('error', () => {}))
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(o.trace === true ? { log: queryTracer(dialect) } : {}) })
    return { kysely, dialect, close: () => kysely.destroy() }
  }
  const Sqlite = (await import('better-sqlite3')).default
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new Sqlite(path)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), ...(o.trace === true ? { log: queryTracer(dialect) } : {}) })
  return { kysely, dialect, close: () => kysely.destroy() }
}

/**
 * Kysely's SQLite driver prepares every query anew, which costs more than running it; Berth's
 * queries have a few dozen shapes, so prepared statements are kept by their SQL text.
 */
function withStatementCache(database: import('better-sqlite3').Database): SqliteDatabase {
  const statements = new Map<string, import('better-sqlite3').Statement>()
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = statements.get(sql)
      if (statement === undefined) {
        statement = database.prepare(sql)
        if (statements.size >= 1000) statements.clear()
        statements.set(sql, statement)
      }
      return statement
    },
  }
}

/** Versioned migrations, in order. Each is expand/contract so two versions can serve side by side. */
/** The name of every migration, in the order they apply. */
export function migrationNames(): string[] {
  return Object.keys(migrations('sqlite')).sort()
}

function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '001-registry': { up: (db) => m001.up(db, dialect) },
    '002-users-secrets': { up: (db) => m002.up(db, dialect) },
    '003-identity': { up: (db) => m003.up(db, dialect) },
    '004-catalog': { up: (db) => m004.up(db, dialect) },
    '005-jobs': { up: (db) => m005.up(db, dialect) },
    '006-replication': { up: (db) => m006.up(db, dialect) },
    '007-project-metadata': { up: (db) => m007.up(db, dialect) },
    '008-robot-grants': { up: (db) => m008.up(db, dialect) },
    '009-upload-owner': { up: (db) => m009.up(db, dialect) },
    '010-executions': { up: (db) => m010.up(db, dialect) },
    '011-quotas': { up: (db) => m011.up(db, dialect) },
    '013-pull-time': { up: (db) => m013.up(db, dialect) },
    '012-immutable-rules': { up: (db) => m012.up(db, dialect) },
    '015-webhooks': { up: (db) => m015.up(db, dialect) },
    '014-gc': { up: (db) => m014.up(db, dialect) },
    '016-retention-policies': { up: (db) => m016.up(db, dialect) },
    '017-execution-failures': { up: (db) => m017.up(db) },
    '018-listing-order': { up: (db) => m018.up(db, dialect) },
    '019-accessories': { up: (db) => m019.up(db, dialect) },
    '020-proxy-cache': { up: (db) => m020.up(db, dialect) },
    '021-scanning': { up: (db) => m021.up(db, dialect) },
    '022-job-trace': { up: (db) => m022.up(db) },
  }
}

/** The advisory lock key that serialises migrations across nodes ('berth-mi' as a number). */
const MIGRATION_LOCK = 0x626572746d69

/**
 * Applies pending migrations. On PostgreSQL the whole run holds a session advisory lock, so
 * nodes starting together migrate one after another: the first applies, the others find
 * nothing left to do.
 * Migrations are expand/contract (docs/upgrades.md), so version N keeps serving while N+1 migrates.
 */
export async function migrate(db: Db): Promise<string[]> {
  if (db.dialect !== 'postgres') {
    // Several processes on one SQLite file (--workers) may race; a run that lost is rolled
    // back whole (SQLite DDL is transactional) and finds the winner's work when it tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await runMigrations(db.kysely, db.dialect)
      } catch (err) {
        if (attempt >= 5) throw err
        await new Promise((r) => setTimeout(r, 50 * attempt))
      }
    }
  }
  return db.kysely.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn)
    try {
      return await runMigrations(conn, db.dialect)
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn)
    }
  })
}

async function runMigrations(kysely: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => migrations(dialect) } })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    throw new BerthError('INTERNAL', 'database migration failed', undefined, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
