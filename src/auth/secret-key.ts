// The secret_key every node shares. Configured in HA; on a single node left empty, it is
// generated on first start and kept in <data_dir>/secret_key (mode 0600).
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BerthError } from '../lib/errors.js'
import type { Stores } from '../metadata/stores.js'
import { SecretBox } from './secret-box.js'

const FILE = 'secret_key'
const CHECK = 'secret-key-check'
const CHECK_TEXT = 'berth secret_key check'

/** The configured key, or the one kept in data_dir (created on first start). */
export async function resolveSecretKey(configured: string, dataDir: string): Promise<string> {
  if (configured !== '') return configured
  const path = join(dataDir, FILE)
  await mkdir(dataDir, { recursive: true })
  try {
    // 'wx': of two processes starting at once, one creates the file and the other reads it.
    await writeFile(path, randomBytes(32).toString('base64url') + '\n', { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const key = (await readFile(path, 'utf8')).trim()
  if (key.length < 32) {
    throw new BerthError('CONFIG_INVALID', `config key secret_key: the key in ${path} is shorter than 32 characters`, { key: 'secret_key' })
  }
  return key
}

/** The name of the row that proves which secret_key a database was set up with. */
export const SECRET_KEY_CHECK = CHECK

/** Whether `sealed` (the database's check row) opens with `box`: the database was set up with its key. */
export function opensCheck(box: SecretBox, sealed: string): boolean {
  try {
    return box.open(sealed).toString('utf8') === CHECK_TEXT
  } catch {
    return false
  }
}

/**
 * Seals a known text in the database on first start; on every later start it must open with
 * this node's key, so a node configured with another secret_key refuses to start instead of
 * failing logins at random.
 */
export async function checkSecretKey(stores: Stores, box: SecretBox): Promise<void> {
  const sealed = await stores.secrets.putIfAbsent(CHECK, box.seal(CHECK_TEXT))
  if (!opensCheck(box, sealed)) {
    throw new BerthError('CONFIG_INVALID', 'config key secret_key: does not match the key this database was set up with; every node must use the same secret_key', { key: 'secret_key' })
  }
}
