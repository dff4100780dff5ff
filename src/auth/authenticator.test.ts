// The authenticator under pressure: concurrent guesses get at most the lockout's number of
// password checks, every failed login costs the same hashing work whatever the name, and a full
// hashing queue refuses without counting a failure.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Authenticator } from './authenticator.js'
import { LoginGuard } from './login-guard.js'
import { hashPassword, Passwords } from './password.js'
import { RobotSecrets } from './robot-secret.js'
import { MemoryState } from '../cache/shared-state.js'
import { openDb, migrate } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import type { Db } from '../metadata/schema.js'
import { BerthError } from '../lib/errors.js'
import { RobotService } from '../services/identity/robot-service.js'
import { ProjectService } from '../services/identity/project-service.js'
import { AccessController } from './access.js'
import { AuditLog } from '../services/audit/audit-log.js'
import { silentLogger } from '../lib/logger.js'

const PASSWORD = 'Victim-Passw0rd'

/** Passwords that count the hashes they are asked for. */
class CountingPasswords extends Passwords {
  hashes = 0
  override async verify(password: string, stored: string, lane: string): Promise<boolean> {
    const matched = await super.verify(password, stored, lane)
    this.hashes++
    return matched
  }
}

const codeOf = (err: unknown) => (err instanceof BerthError ? err.code : String(err))

describe('authenticator', () => {
  let db: Db
  let stores: Stores
  let robotName = ''
  let robotSecret = ''
  let disabledRobot = ''
  let robotSecrets: RobotSecrets

  before(async () => {
    db = await openDb(':memory:')
    await migrate(db)
    stores = storesOver(db.kysely)
    await stores.users.createIfAbsent({ username: 'victim', email: null, realname: '', comment: '', passwordHash: await hashPassword(PASSWORD), sysadmin: false, ldapDn: null })
    const audit = new AuditLog(db, silentLogger())
    const secrets = new RobotSecrets(Buffer.alloc(32, 5))
    robotSecrets = secrets
    const access = new AccessController(stores)
    const admin = { kind: 'user' as const, userId: 0, username: 'root', sysadmin: true, groups: [] }
    const robots = new RobotService({ stores, access, projects: new ProjectService({ stores, access, audit }), audit, secrets })
    const perms = [{ kind: 'project' as const, namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }]
    const made = await robots.create(admin, { name: 'builder', level: 'system', duration: -1, permissions: perms })
    robotName = made.robot.name
    robotSecret = made.secret
    const off = await robots.create(admin, { name: 'off', level: 'system', duration: -1, permissions: perms })
    await stores.robots.update(off.robot.id, { disabled: true })
    disabledRobot = off.robot.name
    await audit.flush()
  })
  after(() => db.close())

  function authenticator(o: { maxFailures?: number; concurrency?: number; maxQueued?: number } = {}) {
    const passwords = new CountingPasswords({ concurrency: o.concurrency ?? 2, maxQueued: o.maxQueued ?? 100 })
    const guard = new LoginGuard({ counters: new MemoryState().counters, maxFailures: o.maxFailures ?? 5, lockoutMs: 60_000 })
    return { passwords, auth: new Authenticator({ stores, mode: 'db_auth', guard, passwords, robotSecrets }) }
  }

  it('25 guesses at once get at most 5 password checks; the right password as guess 18 is refused too', async () => {
    const { passwords, auth } = authenticator()
    const guesses = Array.from({ length: 25 }, (_, i) => (i === 17 ? PASSWORD : `Guess-Passw0rd${i}`))
    const outcomes = await Promise.all(guesses.map((g, i) => auth.login('victim', g, `10.9.0.${i}`).then(() => 'OK', codeOf)))
    assert.ok(passwords.hashes <= 5, `${passwords.hashes} password checks`)
    assert.equal(outcomes.filter((o) => o === 'UNAUTHORIZED').length, passwords.hashes)
    assert.equal(outcomes[17], 'TOOMANYREQUESTS')
    assert.equal(outcomes.filter((o) => o === 'TOOMANYREQUESTS').length, 25 - passwords.hashes)
    // The failures lock the name: the right password now gets no check at all.
    const before = passwords.hashes
    assert.equal(await auth.login('victim', PASSWORD, '10.9.1.1').then(() => 'OK', codeOf), 'TOOMANYREQUESTS')
    assert.equal(passwords.hashes, before)
  })

  it('the same right credentials sent 24 times at once share one check: all pass, one hash', async () => {
    const { passwords, auth } = authenticator()
    const outcomes = await Promise.all(Array.from({ length: 24 }, () => auth.login('victim', PASSWORD, '10.9.5.1').then((p) => p.kind, codeOf)))
    assert.deepEqual(new Set(outcomes), new Set(['user']))
    assert.equal(passwords.hashes, 1)
  })

  it('every failed login costs one password hash, whether the name is a user, a robot or nothing', async () => {
    const { passwords, auth } = authenticator({ maxFailures: 100 })
    const cases: [string, string][] = [
      ['victim', 'Wrong-Passw0rd1'],
      ['nobody-at-all', 'Wrong-Passw0rd2'],
      [robotName, 'not-the-secret'],
      [disabledRobot, 'not-the-secret'],
      ['robot$nobody', 'not-the-secret'],
    ]
    for (const [name, password] of cases) {
      const before = passwords.hashes
      assert.equal(await auth.login(name, password, '10.9.2.1').then(() => 'OK', codeOf), 'UNAUTHORIZED', name)
      assert.equal(passwords.hashes - before, 1, `hashes for ${name}`)
    }
    // A robot's generated secret is checked with a fast keyed hash when it is right.
    const before = passwords.hashes
    assert.equal((await auth.login(robotName, robotSecret, '10.9.2.1')).kind, 'robot')
    assert.equal(passwords.hashes, before)
  })

  it('a full hashing queue answers TOOMANYREQUESTS and counts no failure', async () => {
    const { passwords, auth } = authenticator({ maxFailures: 3, concurrency: 1, maxQueued: 1 })
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((s) => auth.login('victim', `Wrong-Passw0rd-${s}`, '10.9.3.1').then(() => 'OK', codeOf)))
    // One runs, one waits, two are refused without a hash (the queue is full).
    assert.deepEqual([...outcomes].sort(), ['TOOMANYREQUESTS', 'TOOMANYREQUESTS', 'UNAUTHORIZED', 'UNAUTHORIZED'])
    assert.equal(passwords.hashes, 2)
    assert.equal(passwords.stats().queued, 0)
    // Only the two checked guesses counted: one more failure is allowed before the lockout.
    assert.equal(await auth.login('victim', 'Wrong-Passw0rd-e', '10.9.3.1').then(() => 'OK', codeOf), 'UNAUTHORIZED')
    assert.equal(await auth.login('victim', PASSWORD, '10.9.3.1').then(() => 'OK', codeOf), 'TOOMANYREQUESTS')
  })

  it("a signed-in user's current password is checked like a login: five wrong ones lock the name", async () => {
    const { auth } = authenticator({ maxFailures: 5 })
    const user = (await stores.users.get('victim'))!
    for (let i = 0; i < 5; i++) assert.equal(await auth.confirmPassword(user, `Wrong-Passw0rd${i}`, '10.9.4.1'), false)
    await assert.rejects(auth.confirmPassword(user, PASSWORD, '10.9.4.1'), (err) => codeOf(err) === 'TOOMANYREQUESTS')
    await assert.rejects(auth.login('victim', PASSWORD, '10.9.4.2'), (err) => codeOf(err) === 'TOOMANYREQUESTS')
  })
})
