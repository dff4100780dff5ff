// LdapDirectory against a real slapd: logins, groups, filter injection, StartTLS and outages.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { isBerthError } from '../lib/errors.js'
import { LdapDirectory, type LdapSettings } from './ldap-directory.js'
import { normaliseDn } from './identity.js'
import { missingSlapd, startSlapd, TWIN_PASSWORD, USERS, type Slapd } from '../../test/support/slapd.js'
import { freePort } from '../../test/support/berth-process.js'

const PEOPLE = 'ou=people,dc=berth,dc=test'
const GROUPS = 'ou=groups,dc=berth,dc=test'
const DEVELOPERS = `cn=developers,${GROUPS}`
const ADMINS = `cn=registry-admins,${GROUPS}`

/**
 * Asserts that `p` rejects with BerthError INTERNAL (an outage, never a "wrong password" null),
 * and, when given, that the underlying error's code matches `causeCode`.
 */
async function rejectsInternal(p: Promise<unknown>, causeCode?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isBerthError(err, 'INTERNAL'), `expected BerthError INTERNAL, got ${String(err)}`)
    if (causeCode !== undefined) {
      const code = (err.cause as { code?: unknown } | undefined)?.code
      assert.match(String(code), causeCode, `cause: ${String(err.cause)}`)
    }
    return true
  })
}

describe('normaliseDn', () => {
  it('lower-cases and drops whitespace around separators, keeping escaped characters', () => {
    assert.equal(normaliseDn(' CN=Registry-Admins , OU=Groups,DC=berth, DC=test '), 'cn=registry-admins,ou=groups,dc=berth,dc=test')
    assert.equal(normaliseDn('cn=Smith\\, John ,ou=x'), 'cn=smith\\, john,ou=x')
    assert.equal(normaliseDn('cn=trailing\\ ,ou=x'), 'cn=trailing\\ ,ou=x')
  })
})

describe('LdapDirectory against slapd', { skip: missingSlapd() ?? false, timeout: 60_000 }, () => {
  let slapd: Slapd
  let dir: LdapDirectory
  const directory = (partial?: Partial<LdapSettings>) => new LdapDirectory(slapd.settings(partial))

  before(async () => {
    slapd = await startSlapd()
    dir = directory()
  })
  after(async () => {
    await slapd?.stop()
  })

  it('returns the identity, groups and no admin flag for the right password', async () => {
    const id = await dir.authenticate('alice', USERS.alice.password)
    assert.deepEqual(id, {
      username: 'alice',
      dn: `uid=alice,${PEOPLE}`,
      email: 'alice@berth.test',
      realname: 'Alice Liddell',
      groups: [DEVELOPERS],
      admin: false,
    })
  })

  it('finds posixGroup members by uid, and reports the name as the directory spells it', async () => {
    const id = await dir.authenticate('BOB', USERS.bob.password)
    assert.equal(id?.username, 'bob')
    assert.deepEqual(id?.groups, [`cn=developers,${GROUPS}`, `cn=ops,${GROUPS}`])
  })

  it('makes members of the admin group admins (DN compared case- and space-insensitively)', async () => {
    const carol = await dir.authenticate('carol', USERS.carol.password)
    assert.equal(carol?.admin, true)
    assert.deepEqual(carol?.groups, [ADMINS])
    assert.equal(carol?.realname, 'Carol D.', 'displayName wins over cn')
    const spaced = directory({ group_admin_dn: 'CN=Registry-Admins, OU=Groups , DC=Berth,DC=test' })
    assert.equal((await spaced.authenticate('carol', USERS.carol.password))?.admin, true)
    const none = directory({ group_admin_dn: '' })
    assert.equal((await none.authenticate('carol', USERS.carol.password))?.admin, false)
  })

  it('returns null for a wrong password and for an unknown user', async () => {
    assert.equal(await dir.authenticate('alice', 'Bob-Pass1'), null)
    assert.equal(await dir.authenticate('alice', `${USERS.alice.password} `), null)
    assert.equal(await dir.authenticate('mallory', 'whatever'), null)
  })

  it('returns null when the login name matches several entries, even with a right password', async () => {
    assert.equal(await dir.authenticate('twin', TWIN_PASSWORD), null)
  })

  it('never sends an empty password (an unauthenticated bind that some servers accept)', async () => {
    assert.equal(await dir.authenticate('alice', ''), null)
    assert.equal(await dir.authenticate('', ''), null)
    assert.equal(await dir.authenticate('', USERS.alice.password), null)
    // Not login names: surrounding whitespace, control characters.
    assert.equal(await dir.authenticate(' alice', USERS.alice.password), null)
    assert.equal(await dir.authenticate('alice\u0000', USERS.alice.password), null)
  })

  it('escapes the login name: wildcards and filter syntax do not match other users', async () => {
    assert.equal(await dir.authenticate('*', USERS.alice.password), null)
    // Unescaped, (uid=al*) and (&(uid=alice)(uid=*)) would each find exactly alice.
    assert.equal(await dir.authenticate('al*', USERS.alice.password), null)
    assert.equal(await dir.authenticate('alice)(uid=*', USERS.alice.password), null)
    assert.equal(await dir.authenticate('alice)(|(uid=*', USERS.alice.password), null)
    const eve = await dir.authenticate('eve*', USERS['eve*'].password)
    assert.equal(eve?.username, 'eve*')
    assert.equal(eve?.dn, `uid=eve*,${PEOPLE}`)
    assert.equal(await dir.authenticate('eve*', USERS.alice.password), null)
  })

  it('applies the configured filter, with or without parentheses', async () => {
    for (const filter of ['(employeeType=staff)', 'employeeType=staff']) {
      const staffOnly = directory({ filter })
      assert.equal(await staffOnly.authenticate('bob', USERS.bob.password), null, filter)
      assert.equal((await staffOnly.authenticate('alice', USERS.alice.password))?.username, 'alice', filter)
    }
  })

  it('reports no groups when group_base_dn is empty', async () => {
    const noGroups = directory({ group_base_dn: '' })
    const alice = await noGroups.authenticate('alice', USERS.alice.password)
    assert.deepEqual(alice?.groups, [])
    assert.equal((await noGroups.authenticate('carol', USERS.carol.password))?.admin, false)
    assert.equal(await noGroups.findGroup(DEVELOPERS), null)
  })

  it('works over StartTLS with the CA file', async () => {
    const tls = directory({ start_tls: true, ca_file: slapd.caFile })
    assert.equal((await tls.authenticate('alice', USERS.alice.password))?.username, 'alice')
    assert.equal(await tls.authenticate('alice', 'wrong'), null)
    await tls.ping()
  })

  it('works over StartTLS without verification when tls_verify is false', async () => {
    const insecure = directory({ start_tls: true, tls_verify: false })
    assert.equal((await insecure.authenticate('alice', USERS.alice.password))?.username, 'alice')
  })

  it('throws INTERNAL when StartTLS cannot verify the certificate', async () => {
    const unverified = directory({ start_tls: true })
    await rejectsInternal(unverified.authenticate('alice', USERS.alice.password), /SELF_SIGNED/)
    await rejectsInternal(unverified.ping(), /SELF_SIGNED/)
  })

  it('throws INTERNAL, not null, when the server is unreachable', async () => {
    const closed = directory({ url: `ldap://127.0.0.1:${await freePort()}` })
    await rejectsInternal(closed.authenticate('alice', USERS.alice.password), /ECONNREFUSED/)
    await rejectsInternal(closed.findGroup(DEVELOPERS))
    await rejectsInternal(closed.ping())
  })

  it('throws INTERNAL when the server accepts connections but never answers (timeout)', async () => {
    const sockets = new Set<Socket>()
    const silent: Server = createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    try {
      const addr = silent.address()
      assert.ok(addr !== null && typeof addr === 'object')
      const mute = directory({ url: `ldap://127.0.0.1:${addr.port}`, timeout_seconds: 1 })
      const started = Date.now()
      await rejectsInternal(mute.authenticate('alice', USERS.alice.password))
      assert.ok(Date.now() - started < 4000, 'bounded by timeout_seconds')
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => silent.close(() => r()))
    }
  })

  it('throws INTERNAL when the search account cannot bind', async () => {
    const badReader = directory({ search_password: 'wrong' })
    await rejectsInternal(badReader.authenticate('alice', USERS.alice.password))
    await rejectsInternal(badReader.ping())
  })

  it('finds a group under the group base by DN, with its name', async () => {
    assert.deepEqual(await dir.findGroup(DEVELOPERS), { dn: DEVELOPERS, name: 'developers' })
    assert.deepEqual(await dir.findGroup('CN=Developers, OU=Groups, DC=berth, DC=test'), { dn: DEVELOPERS, name: 'developers' })
    assert.deepEqual(await dir.findGroup(`cn=ops,${GROUPS}`), { dn: `cn=ops,${GROUPS}`, name: 'ops' })
  })

  it('finds no group outside the group base, missing, or not a group', async () => {
    assert.equal(await dir.findGroup('cn=reader,dc=berth,dc=test'), null)
    assert.equal(await dir.findGroup(`uid=alice,${PEOPLE}`), null)
    assert.equal(await dir.findGroup(`cn=nope,${GROUPS}`), null)
    assert.equal(await dir.findGroup(''), null)
    // Under the base but not matching group_filter.
    assert.equal(await directory({ group_filter: '(objectClass=posixGroup)' }).findGroup(DEVELOPERS), null)
  })

  it('pings with the search account, and rejects with a bad search password', async () => {
    await dir.ping()
    await directory({ search_dn: '', search_password: '' }).ping()
    await rejectsInternal(directory({ search_password: 'nope' }).ping())
  })

  it('throws INTERNAL when the directory refuses the search (anonymous may only authenticate here)', async () => {
    // A refused search is a misconfiguration, not an unknown user: it must not look like a wrong password.
    const anon = directory({ search_dn: '', search_password: '' })
    await rejectsInternal(anon.authenticate('alice', USERS.alice.password))
  })
})
