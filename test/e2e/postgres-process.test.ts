// A real Berth process on PostgreSQL (BERTH_DATABASE_URL): skopeo round trip, rows in the database.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { layoutManifestFor, writeImage } from '../fixtures/oci-layout.js'
import { missingTools, startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'
import { runCommand } from '../support/run-command.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/databases.js'

const skip = missingTools(['skopeo']) || ((await postgresAvailable()) ? false : 'PostgreSQL not reachable')

describe('a Berth process on PostgreSQL', { skip, timeout: 120_000 }, () => {
  let database: TestDatabase
  let server: BerthProcess | undefined
  let work: string
  before(async () => {
    database = await createTestDatabase('postgres')
    work = mkdtempSync(join(tmpdir(), 'berth-pg-e2e-'))
    server = await startBerth({ env: { BERTH_DATABASE_URL: database.url } })
  })
  after(async () => {
    await server?.stop()
    await database?.drop()
    rmSync(work, { recursive: true, force: true })
  })

  it('pushes and pulls with skopeo, and keeps the metadata in PostgreSQL', withServerLogs(() => server, async () => {
    const src = join(work, 'src')
    const back = join(work, 'back')
    const img = writeImage(src, { seed: 'pg-process', tag: 'v1' })
    const ref = `docker://${new URL(server!.url).host}/library/on-postgres:v1`
    const flags = ['--insecure-policy', '--command-timeout', '60s']
    const creds = server!.creds
    await runCommand('skopeo', [...flags, 'copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:v1`, ref], { timeoutMs: 90_000 })
    await runCommand('skopeo', [...flags, 'copy', '--src-tls-verify=false', '--src-creds', creds, ref, `oci:${back}:v1`], { timeoutMs: 90_000 })
    assert.equal(layoutManifestFor(back, 'v1')?.digest, img.manifest.digest)

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const tags = await client.query(
        `select t.name, a.digest from tags t join artifacts a on a.id = t.artifact_id join repositories r on r.id = t.repository_id where r.name = $1`,
        ['library/on-postgres'],
      )
      assert.deepEqual(tags.rows, [{ name: 'v1', digest: img.manifest.digest }])
      const blobs = await client.query(`select count(*)::int as n from repository_blobs rb join repositories r on r.id = rb.repository_id where r.name = $1`, ['library/on-postgres'])
      assert.equal(blobs.rows[0].n, img.blobs.length)
    } finally {
      await client.end()
    }
  }))
})
