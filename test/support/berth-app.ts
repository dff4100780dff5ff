// An in-process Berth on a fresh database and storage folder, for HTTP tests through app.inject().
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../../src/app/config.js'
import { createBerth, type Berth } from '../../src/app/server.js'
import { silentLogger, type Logger } from '../../src/lib/logger.js'
import type { Dialect } from '../../src/metadata/schema.js'
import type { GcHooks } from '../../src/services/gc/garbage-collection.js'
import { createTestDatabase } from './databases.js'
import { enforceApiContract } from './api-contract.js'

export interface TestBerth extends Berth {
  config: Config
  dataDir: string
  /** Closes the server and removes its database and folder. */
  destroy(): Promise<void>
}

/** The admin password every test Berth starts with. */
export const TEST_ADMIN_PASSWORD = 'Test-Admin-Passw0rd'

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

export const ADMIN_AUTH = basicAuth('admin', TEST_ADMIN_PASSWORD)

export type ConfigPatch = { [K in keyof Config]?: Partial<Config[K]> | Config[K] }

/** `log`: where the server logs (silent by default), for tests that check what is logged; `gcHooks`: pauses inside garbage collection. */
export async function createTestBerth(dialect: Dialect, patch: ConfigPatch = {}, o: { log?: Logger; gcHooks?: GcHooks } = {}): Promise<TestBerth> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-app-'))
  const database = await createTestDatabase(dialect)
  const base = Value.Default(ConfigSchema, {}) as Config
  const config: Config = { ...base, data_dir: dataDir, log: { level: 'silent' }, admin: { password: TEST_ADMIN_PASSWORD } }
  for (const [k, v] of Object.entries(patch)) {
    const current = (config as Record<string, unknown>)[k]
    ;(config as Record<string, unknown>)[k] = typeof v === 'object' && v !== null ? { ...(current as object), ...v } : v
  }
  config.database = { ...config.database, url: database.url }
  const berth = await createBerth(config, { log: o.log ?? silentLogger(), showOnce: () => {}, ...(o.gcHooks !== undefined ? { gcHooks: o.gcHooks } : {}) })
  // Every API answer of every in-process test is checked against the published OpenAPI document.
  enforceApiContract(berth.app)
  return {
    ...berth,
    config,
    dataDir,
    destroy: async () => {
      await berth.close()
      await database.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
