// Every secret compare goes through crypto.timingSafeEqual (CVE-2023-20902 class): passwords,
// robot secrets and CSRF tokens. The spy replaces the builtin's export for the duration of a test.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { describe, it, mock, before, after } from 'node:test'
import { hashPassword, Passwords, verifyPassword } from './password.js'
import { Sessions } from './sessions.js'
import { Authenticator } from './authenticator.js'
import { LoginGuard } from './login-guard.js'
import { RobotSecrets } from './robot-secret.js'
import { MemoryState } from '../cache/shared-state.js'
import { openDb, migrate } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import type { Db } from '../metadata/schema.js'
import { RobotService } from '../services/identity/robot-service.js'
import { ProjectService } from '../services/identity/project-service.js'
import { AccessController } from './access.js'
import { AuditLog } from '../services/audit/audit-log.js'
import { silentLogger } from '../lib/logger.js'

/** Counts calls to crypto.timingSafeEqual made while `fn` runs. */
async function timingSafeCalls(fn: () => Promise<unknown>): Promise<number> {
  const spy = mock.method(crypto, 'timingSafeEqual')
  syncBuiltinESMExports()
  try {
    await fn()
    return spy.mock.callCount()
  } finally {
    spy.mock.restore()
    syncBuiltinESMExports()
  }
}

describe('constant-time compares', () => {
  let db: Db
  let stores: Stores
  before(async () => {
    db = await openDb(':memory:')
    await migrate(db)
    stores = storesOver(db.kysely)
  })
  after(() => db.close())

  it('password verification, right or wrong', async () => {
    const hash = await hashPassword('Right-Passw0rd')
    assert.ok((await timingSafeCalls(() => verifyPassword('Right-Passw0rd', hash))) >= 1)
    assert.ok((await timingSafeCalls(() => verifyPassword('Wrong-Passw0rd', hash))) >= 1)
  })

  it('CSRF tokens', async () => {
    const sessions = new Sessions({ stores, csrfKey: Buffer.alloc(32, 7), ttlMs: 60_000, maxAgeMs: 3_600_000 })
    const token = sessions.csrfToken('session-id')
    let matched = false
    assert.equal(await timingSafeCalls(async () => (matched = sessions.csrfMatches('session-id', token))), 1)
    assert.equal(matched, true)
    assert.equal(sessions.csrfMatches('session-id', token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), false)
  })

  it('robot secrets, and unknown users cost a password check too', async () => {
    const audit = new AuditLog(db, silentLogger())
    const access = new AccessController(stores)
    const admin = { kind: 'user' as const, userId: 0, username: 'root', sysadmin: true, groups: [] }
    const robotSecrets = new RobotSecrets(Buffer.alloc(32, 9))
    const robots = new RobotService({ stores, access, projects: new ProjectService({ stores, access, audit }), audit, secrets: robotSecrets })
    await stores.projects.ensure('library', true)
    const { robot, secret } = await robots.create(admin, { name: 'ct', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }] })
    const auth = new Authenticator({ stores, mode: 'db_auth', passwords: new Passwords({ concurrency: 1, maxQueued: 10 }), guard: new LoginGuard({ counters: new MemoryState().counters, maxFailures: 100, lockoutMs: 1000 }), robotSecrets })
    assert.ok((await timingSafeCalls(() => auth.login(robot.name, secret, '127.0.0.1'))) >= 1)
    assert.ok((await timingSafeCalls(() => auth.login(robot.name, 'not-the-secret', '127.0.0.2').catch(() => undefined))) >= 1)
    assert.ok((await timingSafeCalls(() => auth.login('nobody-at-all', 'Some-Passw0rd', '127.0.0.3').catch(() => undefined))) >= 1)
    await audit.flush()
  })
})
