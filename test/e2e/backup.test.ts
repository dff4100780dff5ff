// berth backup and berth restore as an operator runs them: images pushed to a running Berth, a
// backup taken while it serves, restored into a new data dir and into another kind of database,
// and pulled back byte for byte from a Berth started on the restored copy, with the same admin,
// robot secrets and token-signing keys. Then what a restore must refuse, with nothing changed.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBerth, withServerLogs, E2E_ADMIN_PASSWORD, type BerthProcess } from '../support/berth-process.js'
import { assertPullable, pushRaw, randomImage, type RawImage } from '../support/raw-images.js'
import { runCommand, type CommandResult } from '../support/run-command.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/databases.js'

const cli = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'app', 'cli.js')
const skip = (await postgresAvailable()) ? false : 'PostgreSQL not reachable'
const ADMIN = `Basic ${Buffer.from(`admin:${E2E_ADMIN_PASSWORD}`).toString('base64')}`

/** Runs the berth CLI with only the given BERTH_* settings. */
async function berth(args: string[], settings: Record<string, string>): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BERTH_')) env[k] = v
  return await runCommand(process.execPath, [cli, ...args], { env: { ...env, ...settings }, allowFailure: true, timeoutMs: 120_000 })
}

async function pushAll(server: BerthProcess, images: RawImage[]): Promise<void> {
  for (const img of images) assert.deepEqual(await pushRaw(server.url, server.authorization, img), { ok: true }, `push ${img.repo}:${img.tag}`)
}

async function robot(server: BerthProcess): Promise<string> {
  const res = await fetch(`${server.url}/api/v2.0/robots`, {
    method: 'POST',
    headers: { authorization: server.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'backup-ci', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'library', access: [{ resource: 'repository', action: 'pull' }] }] }),
  })
  const body = await res.text()
  assert.equal(res.status, 201, body)
  const r = JSON.parse(body) as { name: string; secret: string }
  return `Basic ${Buffer.from(`${r.name}:${r.secret}`).toString('base64')}`
}

async function token(server: BerthProcess, repo: string): Promise<string> {
  const res = await fetch(`${server.url}/service/token?service=berth-registry&scope=repository:${repo}:pull`, { headers: { authorization: server.authorization } })
  assert.equal(res.status, 200)
  return ((await res.json()) as { token: string }).token
}

/** What a restored Berth must show: every image byte for byte, the robot, and a token the original signed. */
async function assertRestored(server: BerthProcess, images: RawImage[], robotAuth: string, signed: string): Promise<void> {
  for (const img of images) await assertPullable(server.url, ADMIN, img)
  const first = images[0]!
  const byRobot = await fetch(`${server.url}/v2/${first.repo}/manifests/${first.tag}`, { headers: { authorization: robotAuth, accept: 'application/vnd.oci.image.manifest.v1+json' } })
  assert.equal(byRobot.status, 200, 'the robot secret made before the backup works after the restore')
  await byRobot.arrayBuffer()
  const byToken = await fetch(`${server.url}/v2/${first.repo}/manifests/${first.tag}`, { headers: { authorization: `Bearer ${signed}`, accept: 'application/vnd.oci.image.manifest.v1+json' } })
  assert.equal(byToken.status, 200, 'a token signed before the backup verifies after the restore (the signing keys came back)')
  await byToken.arrayBuffer()
}

describe('backup and restore', { skip, timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-backup-'))
  const images = [randomImage('library/app', 'v1', [3000, 70_000]), randomImage('library/app', 'v2', [5]), randomImage('library/tools/cli', 'latest', [1, 2, 3])]
  let source: BerthProcess | undefined
  let restored: BerthProcess | undefined
  let database: TestDatabase | undefined
  let robotAuth = ''
  let signed = ''
  const folder = join(work, 'backup')
  const sourceDir = join(work, 'source')

  before(async () => {
    source = await startBerth({ dataDir: sourceDir })
    await pushAll(source, images)
    robotAuth = await robot(source)
    signed = await token(source, images[0]!.repo)
  })
  after(async () => {
    await source?.stop()
    await restored?.stop()
    await database?.drop()
    rmSync(work, { recursive: true, force: true })
  })

  it('backs up a running SQLite Berth: every table, every blob, and the generated secret_key', withServerLogs(() => source, async () => {
    const r = await berth(['backup', folder], { BERTH_DATA_DIR: sourceDir })
    assert.equal(r.code, 0, r.stderr)
    const m = JSON.parse(readFileSync(join(folder, 'berth-backup.json'), 'utf8')) as { tables: { name: string; rows: number }[]; blobs: { count: number; bytes: number }; secret_key_included: boolean; migrations: string[] }
    const rows = (name: string) => m.tables.find((t) => t.name === name)?.rows
    assert.equal(rows('artifacts'), 3)
    assert.equal(rows('robots'), 1)
    // Configs, layers and manifests: 3 + 2 + 4 blobs and 3 manifests.
    const expected = new Set(images.flatMap((i) => [...i.blobs.map((b) => b.digest), i.manifestDigest]))
    assert.equal(m.blobs.count, expected.size)
    assert.equal(m.blobs.bytes, images.reduce((n, i) => n + i.manifest.length + i.blobs.reduce((s, b) => s + b.bytes.length, 0), 0))
    assert.equal(m.secret_key_included, true)
    assert.equal(readFileSync(join(folder, 'secret_key'), 'utf8').trim(), readFileSync(join(sourceDir, 'secret_key'), 'utf8').trim())
    assert.ok(m.migrations.length > 10)
    assert.match(r.stdout, new RegExp(`backup written to .*: \\d+ rows in \\d+ tables, ${expected.size} blobs`))

    // A second backup into the same folder is refused: a backup folder is written once.
    const again = await berth(['backup', folder], { BERTH_DATA_DIR: sourceDir })
    assert.equal(again.code, 1)
    assert.match(again.stderr, /is not empty/)
  }))

  it('restores into a new SQLite data dir, and a Berth started there serves it all', async () => {
    const target = join(work, 'restored-sqlite')
    const r = await berth(['restore', folder], { BERTH_DATA_DIR: target })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(join(target, 'secret_key'), 'utf8').trim(), readFileSync(join(sourceDir, 'secret_key'), 'utf8').trim())
    restored = await startBerth({ dataDir: target })
    await withServerLogs(() => restored, () => assertRestored(restored!, images, robotAuth, signed))(undefined)
    await restored.stop()
    restored = undefined

    // The same folder again, into the data dir that now holds it: refused, nothing changed.
    const twice = await berth(['restore', folder], { BERTH_DATA_DIR: target })
    assert.equal(twice.code, 1)
    assert.match(twice.stderr, /already holds artifacts.*--force/)
  })

  it('restores the SQLite backup into PostgreSQL', async () => {
    database = await createTestDatabase('postgres')
    const target = join(work, 'restored-pg')
    const settings = { BERTH_DATA_DIR: target, BERTH_DATABASE_URL: database.url }
    const r = await berth(['restore', folder], settings)
    assert.equal(r.code, 0, r.stderr)
    restored = await startBerth({ dataDir: target, env: { BERTH_DATABASE_URL: database.url } })
    await withServerLogs(() => restored, async () => {
      await assertRestored(restored!, images, robotAuth, signed)
      // The id sequences continue after the restored rows: a new push and a new robot get new ids.
      const more = randomImage('library/app', 'v3', [10])
      await pushAll(restored!, [more])
      await assertPullable(restored!.url, ADMIN, more)
      const res = await fetch(`${restored!.url}/api/v2.0/projects`, { method: 'POST', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ project_name: 'after-restore' }) })
      assert.equal(res.status, 201, await res.text())
    })(undefined)
    await restored.stop()
    restored = undefined
  })

  it('backs up PostgreSQL with a configured secret_key, which a restore must be given again', async () => {
    const key = 'a-configured-secret-key-of-enough-length-0123456789'
    const pgSource = await createTestDatabase('postgres')
    const dataDir = join(work, 'pg-source')
    let server: BerthProcess | undefined
    try {
      server = await startBerth({ dataDir, env: { BERTH_DATABASE_URL: pgSource.url, BERTH_SECRET_KEY: key } })
      const img = randomImage('library/from-pg', 'v1', [100, 200])
      await pushAll(server, [img])
      const pgRobot = await robot(server)
      const pgToken = await token(server, img.repo)
      const out = join(work, 'pg-backup')
      const b = await berth(['backup', out], { BERTH_DATA_DIR: dataDir, BERTH_DATABASE_URL: pgSource.url, BERTH_SECRET_KEY: key })
      assert.equal(b.code, 0, b.stderr)
      assert.match(b.stderr, /secret_key is configured, so it is not in the backup/)
      assert.equal(existsSync(join(out, 'secret_key')), false)
      await server.stop()
      server = undefined

      // Without the key: refused before anything is written, naming the setting.
      const target = join(work, 'from-pg')
      const refused = await berth(['restore', out], { BERTH_DATA_DIR: target })
      assert.equal(refused.code, 78, refused.stderr)
      assert.match(refused.stderr, /secret_key/)
      assert.equal(existsSync(join(target, 'berth.db')), false, 'no database was created by the refused restore')

      // With it: restored into SQLite and served.
      rmSync(target, { recursive: true, force: true })
      const ok = await berth(['restore', out], { BERTH_DATA_DIR: target, BERTH_SECRET_KEY: key })
      assert.equal(ok.code, 0, ok.stderr)
      server = await startBerth({ dataDir: target, env: { BERTH_SECRET_KEY: key } })
      await assertRestored(server, [img], pgRobot, pgToken)
    } finally {
      await server?.stop()
      await pgSource.drop()
    }
  })

  it('refuses a damaged backup, a backup from a newer Berth, and an interrupted one, changing nothing', async () => {
    const copy = join(work, 'damaged')
    await runCommand('cp', ['-r', folder, copy])
    const users = join(copy, 'metadata', 'users.jsonl')
    writeFileSync(users, readFileSync(users, 'utf8').replace('admin', 'admln'))
    const target = join(work, 'refused')
    const damaged = await berth(['restore', copy], { BERTH_DATA_DIR: target })
    assert.equal(damaged.code, 1)
    assert.match(damaged.stderr, /users\.jsonl is damaged/)

    const manifest = join(copy, 'berth-backup.json')
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { migrations: string[] }
    writeFileSync(manifest, JSON.stringify({ ...m, migrations: [...m.migrations, '999-from-the-future'] }))
    const newer = await berth(['restore', copy], { BERTH_DATA_DIR: target })
    assert.equal(newer.code, 1)
    assert.match(newer.stderr, /made by a newer Berth \(migrations 999-from-the-future\)/)

    rmSync(manifest)
    const interrupted = await berth(['restore', copy], { BERTH_DATA_DIR: target })
    assert.equal(interrupted.code, 1)
    assert.match(interrupted.stderr, /not a complete Berth backup/)
    assert.equal(existsSync(join(target, 'berth.db')), false)

    // A blob whose bytes no longer hash to its name: refused before any row is written.
    const flipped = join(work, 'flipped-blob')
    await runCommand('cp', ['-r', folder, flipped])
    const layer = images[0]!.blobs[1]!.digest.slice('sha256:'.length)
    const blobFile = join(flipped, 'blobs', 'sha256', layer.slice(0, 2), layer)
    const bytes = readFileSync(blobFile)
    bytes[0] = bytes[0]! ^ 1
    writeFileSync(blobFile, bytes)
    const badBlob = await berth(['restore', flipped], { BERTH_DATA_DIR: join(work, 'refused-blob') })
    assert.equal(badBlob.code, 1, badBlob.stderr)
    assert.match(badBlob.stderr, /digest does not match/)
    assert.equal(badBlob.stdout, '', 'nothing was restored')

    const usage = await berth(['restore'], { BERTH_DATA_DIR: target })
    assert.equal(usage.code, 2)
  })
})
