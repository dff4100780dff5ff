// berth backup and berth restore: a consistent copy of the metadata and of the bytes it
// references into a folder, and back into a new data dir or database (services/system/backup.ts
// says what the folder holds). The key sealed secrets open with travels with the backup when it
// was generated in the data dir; a configured secret_key must be configured again on restore.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { BerthError } from '../../lib/errors.js'
import { configOf, flag, type Command, type Invocation } from './common.js'

async function backupCommand(inv: Invocation): Promise<void> {
  const dir = inv.positionals[0]!
  const config = await configOf(inv)
  const [{ openDb }, { resolvedPaths }, { openStorageDriver }, { backup }] = await Promise.all([
    import('../../metadata/db.js'),
    import('../config.js'),
    import('../services.js'),
    import('../../services/system/backup.js'),
  ])
  const paths = resolvedPaths(config)
  // A generated key lives in the data dir and nowhere else: without it the backup's sealed
  // secrets (registry credentials, token keys) could never be opened again.
  const secretKey = config.secret_key === '' ? await readFile(join(paths.dataDir, 'secret_key'), 'utf8').then((k) => k.trim(), () => undefined) : undefined
  const db = await openDb(paths.databaseUrl)
  try {
    const m = await backup({ db, driver: await openStorageDriver(config), dir: resolve(dir), secretKey, log: (line) => inv.err(`berth: ${line}\n`) })
    const rows = m.tables.reduce((n, t) => n + t.rows, 0)
    inv.out(`backup written to ${resolve(dir)}: ${rows} rows in ${m.tables.length} tables, ${m.blobs.count} blobs (${m.blobs.bytes} bytes)\n`)
    if (!m.secret_key_included) inv.err('berth: secret_key is configured, so it is not in the backup: restore with the same secret_key\n')
  } finally {
    await db.close()
  }
}

async function restoreCommand(inv: Invocation): Promise<void> {
  const from = resolve(inv.positionals[0]!)
  const config = await configOf(inv)
  const [{ openDb, migrate, migrationNames }, { resolvedPaths }, { openStorageDriver }, b, { SecretBox }, { opensCheck, SECRET_KEY_CHECK }] = await Promise.all([
    import('../../metadata/db.js'),
    import('../config.js'),
    import('../services.js'),
    import('../../services/system/backup.js'),
    import('../../auth/secret-box.js'),
    import('../../auth/secret-key.js'),
  ])
  const manifest = await b.readBackup(from, migrationNames())
  await b.verifyBackup(from, manifest)
  const paths = resolvedPaths(config)

  // The key the restored secrets must open with: the configured one, else the data dir's,
  // else (a new data dir) the one the backup carries. Checked before anything is written.
  const carried = await b.backupSecretKey(from)
  const keyFile = join(paths.dataDir, 'secret_key')
  const present = config.secret_key === '' ? await readFile(keyFile, 'utf8').then((k) => k.trim(), () => undefined) : undefined
  const key = config.secret_key !== '' ? config.secret_key : (present ?? carried)
  let check: string | undefined
  for await (const row of b.backupRows(from, 'secrets')) if (row.name === SECRET_KEY_CHECK) check = String(row.sealed)
  if (key === undefined || (check !== undefined && !opensCheck(new SecretBox(key), check))) {
    throw new BerthError(
      'CONFIG_INVALID',
      config.secret_key !== ''
        ? 'config key secret_key: is not the key the backup was made with; configure that key to restore it'
        : present !== undefined
          ? `config key secret_key: ${keyFile} holds another key than the backup's; restore into a new data dir, or configure the backup's secret_key`
          : 'config key secret_key: the backup was made with a configured secret_key (it is not in the backup); configure that key to restore it',
      { key: 'secret_key' },
    )
  }
  if (config.secret_key === '' && present === undefined) {
    await mkdir(paths.dataDir, { recursive: true })
    await writeFile(keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' })
  }

  const db = await openDb(paths.databaseUrl)
  try {
    await migrate(db)
    if (!flag(inv.values, 'force')) {
      const [artifacts, blobs] = await Promise.all([
        db.kysely.selectFrom('artifacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        db.kysely.selectFrom('blobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ])
      if (Number(artifacts.n) > 0 || Number(blobs.n) > 0) {
        throw new BerthError('PRECONDITION', `the database ${paths.databaseUrl.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:********@')} already holds artifacts: restore into a new one, or pass --force to replace everything in it`)
      }
    }
    const done = await b.restore({ db, driver: await openStorageDriver(config), dir: from, manifest, log: (line) => inv.err(`berth: ${line}\n`) })
    inv.out(`restored ${from} (made ${manifest.created_at}): ${done.rows} rows, ${done.blobs} blobs written\n`)
  } finally {
    await db.close()
  }
}

export const backupCommands: Command[] = [
  {
    name: 'backup',
    summary: 'write a consistent backup of the metadata and blobs to a folder',
    usage: 'backup <folder>',
    details: `Reads every table in one transaction (a consistent moment, while the registry keeps serving)
and copies every blob and manifest those rows reference, each checked against its digest, into
<folder> (new or empty). The data dir's generated secret_key is kept with it; a configured
secret_key is not, and must be configured again on restore. Pushes after the moment of the
snapshot are not in it. See docs/operations.md.`,
    options: {},
    args: ['folder'],
    run: backupCommand,
  },
  {
    name: 'restore',
    summary: 'restore a backup into an empty database and storage',
    usage: 'restore <folder> [--force]',
    details: `Checks the backup (its tables against their hashes, each blob against its digest), writes
its blobs to the configured storage, then replaces the rows of the configured database with
the backup's in one transaction. The database may be SQLite or PostgreSQL whatever the backup
came from. Stop every node first.
  --force   replace a database that already holds artifacts`,
    options: { force: { type: 'boolean' } },
    args: ['folder'],
    run: restoreCommand,
  },
]
