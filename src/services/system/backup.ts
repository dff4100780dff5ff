// Backup and restore of a whole registry: the metadata as a logical snapshot (one consistent
// read of every table, metadata/snapshot.ts) and the bytes of every blob and manifest it
// references, in a folder:
//
//   berth-backup.json            what the backup holds; written last, so a folder without it is
//                                an interrupted backup and is refused by restore
//   metadata/<table>.jsonl       one JSON object per row
//   blobs/<alg>/<xx>/<hex>       the storage layout (storage/layout.ts), each file checked
//                                against its digest when written and again when restored
//   secret_key                   the key sealed secrets open with, when it was generated in the
//                                data dir (a configured key is the operator's to keep)
//
// Bytes stream from storage to the folder and back, hashed on the way; memory holds one page of
// rows and one chunk of a blob, whatever the registry's size.
import { createHash, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BerthError } from '../../lib/errors.js'
import { DELETING } from '../../metadata/blob-link-store.js'
import type { Db } from '../../metadata/schema.js'
import { exportTables, importTables, type Row } from '../../metadata/snapshot.js'
import { digestAlgorithm, isDigest, type Digest } from '../../oci/digest.js'
import type { StorageDriver } from '../../storage/driver.js'
import { BlobStore } from '../../storage/blob-store.js'
import { blobPath } from '../../storage/layout.js'

export const BACKUP_FORMAT = 'berth-backup/1'
const MANIFEST = 'berth-backup.json'
const SECRET_KEY_FILE = 'secret_key'
/** Digests of blobs to copy, one per line, written while the tables are read (not held in memory). */
const WANTED = 'blobs.wanted'
/** Missing blobs named in an error; the rest are counted. */
const SAMPLE = 10

export interface BackupManifest {
  format: typeof BACKUP_FORMAT
  created_at: string
  /** The database the snapshot was read from: restores go to either kind. */
  source_dialect: Db['dialect']
  /** Migrations applied to it: a restore needs a Berth that has them all. */
  migrations: string[]
  tables: { name: string; rows: number; sha256: string }[]
  blobs: { count: number; bytes: number }
  /** Whether `secret_key` is in the folder (else the restoring side must be configured with the same key). */
  secret_key_included: boolean
}

export interface BackupOptions {
  db: Db
  driver: StorageDriver
  /** A folder that does not exist yet, or is empty. */
  dir: string
  /** The data dir's generated secret_key, to keep with the backup; undefined when it is configured. */
  secretKey?: string
  log?: (line: string) => void
}

/** Makes a backup of `db` and the bytes it references into `dir`. */
export async function backup(o: BackupOptions): Promise<BackupManifest> {
  const log = o.log ?? (() => {})
  await emptyFolder(o.dir)
  await mkdir(join(o.dir, 'metadata'), { recursive: true })
  const wanted = createWriteStream(join(o.dir, WANTED))
  const tables: BackupManifest['tables'] = []
  await exportTables(o.db, async (t, rows) => {
    const hash = createHash('sha256')
    let count = 0
    const lines = async function* () {
      for await (const row of rows) {
        count++
        const blob = (t.name === 'blobs' && row.gc_mark !== DELETING) || t.name === 'artifacts'
        if (blob && isDigest(String(row.digest)) && !wanted.write(`${String(row.digest)}\n`)) await once(wanted, 'drain')
        const line = `${JSON.stringify(row)}\n`
        hash.update(line)
        yield line
      }
    }
    await pipeline(Readable.from(lines()), createWriteStream(join(o.dir, 'metadata', `${t.name}.jsonl`)))
    tables.push({ name: t.name, rows: count, sha256: hash.digest('hex') })
    log(`table ${t.name}: ${count} rows`)
  })
  await new Promise<void>((resolve, reject) => wanted.end((err?: Error | null) => (err ? reject(err) : resolve())))
  const migrations = await appliedMigrations(o.db)

  const blobs = { count: 0, bytes: 0 }
  const missing: string[] = []
  for await (const digest of lines(join(o.dir, WANTED))) {
    const target = join(o.dir, blobPath(digest as Digest))
    if ((await stat(target).catch(() => null)) !== null) continue
    const info = await o.driver.stat(blobPath(digest as Digest))
    if (info === null) {
      missing.push(digest)
      continue
    }
    await copyVerified(await o.driver.read(blobPath(digest as Digest)), target, digest as Digest)
    blobs.count++
    blobs.bytes += info.size
  }
  await rm(join(o.dir, WANTED))
  if (missing.length > 0) {
    throw new BerthError(
      'INTERNAL',
      `${missing.length} blob(s) the snapshot references are not in storage (${missing.slice(0, SAMPLE).join(', ')}${missing.length > SAMPLE ? ', ...' : ''}); a garbage collection may have removed them while the backup ran: run it again. The folder ${o.dir} is not a complete backup.`,
    )
  }
  log(`blobs: ${blobs.count} (${blobs.bytes} bytes)`)
  if (o.secretKey !== undefined) await writeFile(join(o.dir, SECRET_KEY_FILE), `${o.secretKey}\n`, { mode: 0o600 })
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    created_at: new Date().toISOString(),
    source_dialect: o.db.dialect,
    migrations,
    tables,
    blobs,
    secret_key_included: o.secretKey !== undefined,
  }
  await writeFile(join(o.dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
  return manifest
}

/** A backup's description, checked to be one this Berth can restore; BAD_REQUEST otherwise. */
export async function readBackup(dir: string, knownMigrations: readonly string[]): Promise<BackupManifest> {
  let m: BackupManifest
  try {
    m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as BackupManifest
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `${dir} is not a complete Berth backup: ${join(dir, MANIFEST)} cannot be read (${(err as Error).message})`)
  }
  if (m.format !== BACKUP_FORMAT) throw new BerthError('BAD_REQUEST', `${join(dir, MANIFEST)}: format ${JSON.stringify(m.format)} is not ${BACKUP_FORMAT}`)
  const newer = m.migrations.filter((x) => !knownMigrations.includes(x))
  if (newer.length > 0) throw new BerthError('BAD_REQUEST', `the backup was made by a newer Berth (migrations ${newer.join(', ')}): restore it with that version or a later one`)
  return m
}

/** Checks each table file of a backup against the hash its description records; BAD_REQUEST names a damaged one. */
export async function verifyBackup(dir: string, manifest: BackupManifest): Promise<void> {
  for (const t of manifest.tables) {
    const hash = createHash('sha256')
    const file = join(dir, 'metadata', `${t.name}.jsonl`)
    try {
      await pipeline(createReadStream(file), new Transform({ transform: (c, _e, done) => (hash.update(c), done()) }))
    } catch (err) {
      throw new BerthError('BAD_REQUEST', `the backup's metadata/${t.name}.jsonl cannot be read: ${(err as Error).message}`)
    }
    if (hash.digest('hex') !== t.sha256) throw new BerthError('BAD_REQUEST', `the backup's metadata/${t.name}.jsonl is damaged (its hash differs from berth-backup.json)`)
  }
}

/** The backup's secret_key, if it holds one. */
export async function backupSecretKey(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, SECRET_KEY_FILE), 'utf8')).trim()
  } catch {
    return undefined
  }
}

/** The rows of one table of a backup. */
export async function* backupRows(dir: string, table: string): AsyncGenerator<Row> {
  for await (const line of lines(join(dir, 'metadata', `${table}.jsonl`))) yield JSON.parse(line) as Row
}

export interface RestoreOptions {
  db: Db
  driver: StorageDriver
  dir: string
  manifest: BackupManifest
  log?: (line: string) => void
}

/**
 * Restores a backup into a migrated database and its storage: every table file is checked
 * against its hash first, then the blobs are written (each verified; those storage already has
 * are kept), then the tables replace the database's rows in one transaction. A failure before
 * that transaction commits leaves the database as it was.
 */
export async function restore(o: RestoreOptions): Promise<{ rows: number; blobs: number }> {
  const log = o.log ?? (() => {})
  await verifyBackup(o.dir, o.manifest)
  // Written as uploads are: BlobStore checks the digest before a blob becomes visible.
  const store = new BlobStore(o.driver)
  let blobs = 0
  for await (const file of walk(join(o.dir, 'blobs'))) {
    const digest = digestOfBackupPath(o.dir, file)
    if (digest === null || (await store.stat(digest)) !== null) continue
    const upload = `restore-${randomUUID()}`
    await store.createUpload(upload)
    try {
      const size = await store.append(upload, createReadStream(file), { size: 0, algorithm: digestAlgorithm(digest) })
      await store.commit(upload, digest, { size })
    } catch (err) {
      await store.cancel(upload).catch(() => {})
      throw err
    }
    blobs++
  }
  log(`blobs written: ${blobs}`)
  const counts = await importTables(o.db, o.manifest.tables.map((t) => t.name).filter((n) => !n.startsWith('kysely_')), (t) => backupRows(o.dir, t))
  const rows = [...counts.values()].reduce((a, b) => a + b, 0)
  log(`rows restored: ${rows}`)
  return { rows, blobs }
}

async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await (db.kysely as unknown as { selectFrom(t: string): any }).selectFrom('kysely_migration').select('name').orderBy('name').execute()
  return (rows as { name: string }[]).map((r) => r.name)
}

async function emptyFolder(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)))
  if (entries.length > 0) throw new BerthError('BAD_REQUEST', `${dir} is not empty: back up into a new folder`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const line of rl) if (line !== '') yield line
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) yield* walk(path)
    else if (e.isFile()) yield path
  }
}

function digestOfBackupPath(root: string, file: string): Digest | null {
  const m = /blobs\/([a-z0-9]+)\/([0-9a-f]{2})\/([0-9a-f]+)$/.exec(file.slice(root.length).replaceAll('\\', '/'))
  const digest = m === null ? null : `${m[1]}:${m[3]}`
  return digest !== null && isDigest(digest) && m![3]!.startsWith(m![2]!) ? digest : null
}

/** Passes bytes through and fails at the end unless they hash to `digest`. */
function verifier(digest: Digest): Transform {
  const hash = createHash(digestAlgorithm(digest))
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      hash.update(chunk)
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      const actual = `${digestAlgorithm(digest)}:${hash.digest('hex')}`
      done(actual === digest ? null : new BerthError('DIGEST_INVALID', `blob ${digest}: the bytes hash to ${actual}`))
    },
  })
}

/** Writes `source` to `target` through a temporary name, only when its bytes hash to `digest`. */
async function copyVerified(source: Readable, target: string, digest: Digest): Promise<void> {
  await mkdir(dirname(target), { recursive: true })
  const partial = `${target}.partial`
  try {
    await pipeline(source, verifier(digest), createWriteStream(partial))
    await rename(partial, target)
  } catch (err) {
    await rm(partial, { force: true })
    throw err
  }
}
