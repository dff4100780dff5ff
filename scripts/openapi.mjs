#!/usr/bin/env node
// Prints Berth's OpenAPI document (the one served at /api/v2.0/openapi.json) from the compiled
// server, without listening: the console's typed client is generated from it at build time.
// Usage: node scripts/openapi.mjs > file.json
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const { Value } = await import('@sinclair/typebox/value')
const { ConfigSchema } = await import('../dist/src/app/config.js')
const { createBerth } = await import('../dist/src/app/server.js')
const { silentLogger } = await import('../dist/src/lib/logger.js')

const dir = await mkdtemp(join(tmpdir(), 'berth-openapi-'))
try {
  const config = { ...Value.Default(ConfigSchema, {}), data_dir: dir, log: { level: 'silent' }, admin: { password: 'Openapi-Dump-1' } }
  const berth = await createBerth(config, { log: silentLogger(), showOnce: () => {}, consoleDir: dir })
  await berth.app.ready()
  process.stdout.write(JSON.stringify(berth.app.swagger(), null, 1))
  await berth.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
