// The composition root: external_url in handed-out URLs, the request log line, probes, purging.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { Writable } from 'node:stream'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import pino from 'pino'
import { ConfigSchema, type Config } from './config.js'
import { createBerth, type Berth } from './server.js'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD } from '../../test/support/berth-app.js'
import { withAuthorization } from '../http/oci/oci-test-support.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../../test/support/databases.js'

for (const dialect of DIALECTS) {
  describe(`server on ${dialect}`, await dialectSkip(dialect), () => {
    let berth: Berth
    let database: TestDatabase
    let dataDir: string
    const lines: Record<string, unknown>[] = []

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'berth-server-'))
      database = await createTestDatabase(dialect)
      const config: Config = {
        ...(Value.Default(ConfigSchema, {}) as Config),
        data_dir: dataDir,
        external_url: 'https://registry.example.com',
        admin: { password: TEST_ADMIN_PASSWORD },
      }
      config.database = { ...config.database, url: database.url }
      const sink = new Writable({
        write(chunk, _enc, cb) {
          for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>)
          cb()
        },
      })
      const created = await createBerth(config, { log: pino({ level: 'info' }, sink), showOnce: () => {} })
      berth = { ...created, app: withAuthorization(created.app, ADMIN_AUTH) }
    })
    after(async () => {
      await berth?.close()
      await database?.drop()
      await rm(dataDir, { recursive: true, force: true })
    })

    it('every URL handed out starts with external_url', async () => {
      const post = await berth.app.inject({ method: 'POST', url: '/v2/library/ext/blobs/uploads/' })
      assert.equal(post.statusCode, 202)
      assert.match(post.headers.location as string, /^https:\/\/registry\.example\.com\/v2\/library\/ext\/blobs\/uploads\/[0-9a-f-]{36}$/)
      const body = Buffer.from('external')
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
      const put = await berth.app.inject({ method: 'PUT', url: `${new URL(post.headers.location as string).pathname}?digest=${digest}`, payload: body, headers: { 'content-type': 'application/octet-stream' } })
      assert.equal(put.statusCode, 201)
      assert.equal(put.headers.location, `https://registry.example.com/v2/library/ext/blobs/${digest}`)
    })

    it('logs one line per request with method, path, status, bytes, duration and request id', async () => {
      const res = await berth.app.inject({ method: 'GET', url: '/v2/library/ext/tags/list?n=1', headers: { 'x-request-id': 'trace-123' } })
      assert.equal(res.headers['x-request-id'], 'trace-123')
      const line = lines.find((l) => l.reqId === 'trace-123')
      assert.ok(line, 'a log line carries the request id')
      assert.equal(line.msg, 'request')
      assert.equal(line.method, 'GET')
      assert.equal(line.path, '/v2/library/ext/tags/list?n=1')
      assert.equal(line.status, 200)
      assert.equal(line.bytesOut, Number(res.headers['content-length']))
      assert.equal(typeof line.ms, 'number')
      assert.equal(lines.filter((l) => l.reqId === 'trace-123').length, 1)
      const bad = await berth.app.inject({ method: 'GET', url: '/v2/', headers: { 'x-request-id': 'bad id with spaces' } })
      assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/)
    })

    it('a refused manifest leaves no bytes in storage', async () => {
      const missing = `sha256:${'e'.repeat(64)}`
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: missing, size: 2 },
        layers: [],
      }))
      const res = await berth.app.inject({ method: 'PUT', url: '/v2/library/refused/manifests/v1', payload: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN')
      const hex = createHash('sha256').update(manifest).digest('hex')
      await assert.rejects(stat(join(dataDir, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex)))
    })

    it('probes: /livez and /readyz answer 200 while the database is up', async () => {
      assert.equal((await berth.app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
      assert.equal((await berth.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
    })

    it('purges idle upload sessions with their bytes', async () => {
      const post = await berth.app.inject({ method: 'POST', url: '/v2/library/idle/blobs/uploads/' })
      const id = post.headers['docker-upload-uuid'] as string
      assert.ok((await readdir(join(dataDir, 'storage', 'uploads'))).includes(id))
      assert.equal(await berth.blobService.purgeIdleUploads(new Date(Date.now() - 3600_000)), 0)
      assert.ok((await berth.blobService.purgeIdleUploads(new Date(Date.now() + 1000))) >= 1)
      assert.equal((await readdir(join(dataDir, 'storage', 'uploads'))).includes(id), false)
      const status = await berth.app.inject({ method: 'GET', url: `/v2/library/idle/blobs/uploads/${id}` })
      assert.equal(status.statusCode, 404)
    })
  })
}

describe('berth command', () => {
  const cli = join(process.cwd(), 'dist/src/app/cli.js')
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 })

  it('stops at start-up on bad configuration, naming the key', () => {
    const r = run(['serve'], { BERTH_HTTP_PORT: 'x' })
    assert.equal(r.status, 78)
    assert.match(r.stderr, /config key http\.port: expected a number, got "x"/)
    const r2 = run(['serve', '--config', '/nonexistent/berth.yml'])
    assert.equal(r2.status, 78)
    assert.match(r2.stderr, /cannot read config file \/nonexistent\/berth\.yml/)
  })

  it('prints help, and refuses unknown commands', () => {
    const help = run(['help'])
    assert.equal(help.status, 0)
    assert.match(help.stdout, /berth serve/)
    const bad = run(['frobnicate'])
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /unknown command "frobnicate"/)
  })

  it('migrate applies migrations once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-migrate-'))
    try {
      const first = run(['migrate'], { BERTH_DATA_DIR: dir })
      assert.equal(first.status, 0, first.stderr)
      assert.match(first.stdout, /applied: 001-registry, 002-users-secrets, 003-identity, 004-catalog, 005-jobs, 006-replication, 007-project-metadata, 008-robot-grants, 009-upload-owner, 010-executions, 014-gc/)
      const second = run(['migrate'], { BERTH_DATA_DIR: dir })
      assert.match(second.stdout, /up to date/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
