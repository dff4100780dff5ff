// A Berth node in this process that shares a database and a storage folder with others, as the
// nodes of a cluster do (the same secret_key everywhere); Redis when given.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from '../../src/app/config.js'
import { createBerth, type Berth } from '../../src/app/server.js'
import { silentLogger } from '../../src/lib/logger.js'
import { TEST_ADMIN_PASSWORD } from './berth-app.js'

/** `dir`: the node's own data folder, for the caller to remove; `patch` changes the node's settings before it starts. */
export async function inProcessNode(databaseUrl: string, storage: string, redis?: { url: string; prefix: string }, patch?: (config: Config) => void): Promise<Berth & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-ha-'))
  const config = Value.Default(ConfigSchema, {}) as Config
  Object.assign(config, { data_dir: dir, secret_key: 'k'.repeat(40), admin: { password: TEST_ADMIN_PASSWORD }, log: { level: 'silent' } })
  config.database = { ...config.database, url: databaseUrl }
  config.storage = { ...config.storage, root: storage }
  if (redis !== undefined) config.redis = { url: redis.url, prefix: redis.prefix }
  patch?.(config)
  const b = await createBerth(config, { log: silentLogger(), showOnce: () => {} })
  return Object.assign(b, { dir })
}
