// Registry tokens: one key per database shared by every node, verification by kid, expiry, tampering.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openDb, migrate } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import type { Db } from '../metadata/schema.js'
import { isBerthError } from '../lib/errors.js'
import { SecretBox } from './secret-box.js'
import { TokenService, tokenAllows } from './token-service.js'

const subject = { kind: 'user' as const, id: 7, name: 'alice', groups: ['cn=devs'] }
const access = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]
const unauthorized = (e: unknown) => isBerthError(e, 'UNAUTHORIZED')

describe('token service', () => {
  let db: Db
  let stores: Stores
  const box = new SecretBox('k'.repeat(32))
  before(async () => {
    db = await openDb(':memory:')
    await migrate(db)
    stores = storesOver(db.kysely)
  })
  after(() => db.close())

  it('a token issued by one node verifies on another node of the same database', async () => {
    const [a, b] = await Promise.all([TokenService.open(stores, box, 60), TokenService.open(stores, box, 60)])
    const issued = await a.issue(subject, access)
    const verified = await b.verify(issued.token)
    assert.deepEqual(verified.subject, subject)
    assert.equal(tokenAllows(verified, 'repository', 'team/app', 'push'), true)
    assert.equal(tokenAllows(verified, 'repository', 'team/other', 'pull'), false)
    assert.equal(tokenAllows(verified, 'repository', 'team/app', 'delete'), false)
    const header = JSON.parse(Buffer.from(issued.token.split('.')[0]!, 'base64url').toString('utf8'))
    assert.equal(header.alg, 'ES256')
    assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/)
  })

  it('an expired token is refused', async () => {
    const tokens = await TokenService.open(stores, box, 60)
    const issued = await tokens.issue(subject, access, new Date(Date.now() - 120_000))
    await assert.rejects(tokens.verify(issued.token), unauthorized)
    const fresh = await tokens.issue(subject, access)
    await assert.rejects(tokens.verify(fresh.token, Date.now() + 61_000), unauthorized)
  })

  it('a tampered payload or signature is refused', async () => {
    const tokens = await TokenService.open(stores, box, 60)
    const [h, p, sig] = (await tokens.issue(subject, access)).token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
    claims.access[0].actions.push('delete')
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url')
    await assert.rejects(tokens.verify(`${h}.${forged}.${sig}`), unauthorized)
    const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11)
    await assert.rejects(tokens.verify(`${h}.${p}.${flipped}`), unauthorized)
    await assert.rejects(tokens.verify('not-a-jwt'), unauthorized)
  })

  it('a token signed by another registry (another key) is refused', async () => {
    const other = await openDb(':memory:')
    try {
      await migrate(other)
      const foreign = await TokenService.open(storesOver(other.kysely), box, 60)
      const ours = await TokenService.open(stores, box, 60)
      await assert.rejects(ours.verify((await foreign.issue(subject, access)).token), unauthorized)
    } finally {
      await other.close()
    }
  })

  it('the signing key is stored sealed: another secret_key cannot open it', async () => {
    const sealed = await stores.secrets.get('token-signing-key')
    assert.ok(sealed !== null && !sealed.includes('"d"'))
    await assert.rejects(TokenService.open(stores, new SecretBox('z'.repeat(32)), 60), /cannot decrypt/)
  })

  it('after a rotation, new tokens use the new key, and tokens signed before stay valid on every node', async () => {
    const a = await TokenService.open(stores, box, 600)
    const b = await TokenService.open(stores, box, 600)
    const before = await a.issue(subject, access)
    const oldKid = a.kid
    const newKid = await a.rotate()
    assert.notEqual(newKid, oldKid)
    const after = await a.issue(subject, access)
    const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString('utf8')).kid
    assert.equal(kidOf(after.token), newKid)
    assert.equal((await a.verify(before.token)).subject.name, 'alice')
    // b has not heard of the rotation: an unknown kid makes it read the keys again.
    assert.equal((await b.verify(after.token)).subject.name, 'alice')
    assert.equal((await b.verify(before.token)).subject.name, 'alice')
    await b.reload()
    assert.equal(b.kid, newKid)
    // Keys beyond the last three are dropped: their tokens then stop verifying.
    await a.rotate(new Date(Date.now() + 1000))
    await a.rotate(new Date(Date.now() + 2000))
    const fresh = await TokenService.open(stores, box, 600)
    await assert.rejects(fresh.verify(before.token), unauthorized)
    assert.equal((await fresh.verify(after.token)).subject.name, 'alice')
  })
})
