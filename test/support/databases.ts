// Test databases: a fresh SQLite file or a fresh PostgreSQL database per test, on both dialects.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Dialect } from '../../src/metadata/schema.js'

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres']

/** Where the test PostgreSQL server is; a maintenance database to create test databases from. */
export const PG_ADMIN_URL = process.env.BERTH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  dialect: Dialect
  url: string
  drop(): Promise<void>
}

let pgAvailable: Promise<boolean> | undefined

/** Whether PostgreSQL answers; in CI (CI=true) its absence is an error, elsewhere a loud skip. */
export function postgresAvailable(): Promise<boolean> {
  pgAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.end()
      return true
    } catch (err) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI but not reachable at ${PG_ADMIN_URL}: ${(err as Error).message}`)
      console.error(`\n!!! PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL suites are SKIPPED (${(err as Error).message})\n`)
      return false
    }
  })()
  return pgAvailable
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'berth-db-'))
    return { dialect, url: join(dir, 'berth.db'), drop: () => rm(dir, { recursive: true, force: true }) }
  }
  const name = `berth_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    dialect,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}

/** Test options that skip a PostgreSQL suite (loudly) when the server is missing outside CI. */
export async function dialectSkip(dialect: Dialect): Promise<{ skip?: string }> {
  if (dialect === 'postgres' && !(await postgresAvailable())) return { skip: 'PostgreSQL not reachable' }
  return {}
}
