// Robot secrets at rest: the three stored formats, and that a keyed hash needs its key.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { RobotSecrets } from './robot-secret.js'

describe('robot secrets', () => {
  const secrets = new RobotSecrets(Buffer.alloc(32, 1))

  it('a generated secret is kept as a keyed hash that only the same key verifies', async () => {
    const { secret, hash } = secrets.generate()
    assert.match(hash, /^hmac-sha256\$[A-Za-z0-9_-]{43}$/)
    assert.ok(!hash.includes(createHash('sha256').update(secret).digest('hex')))
    assert.equal(await secrets.verify(secret, hash), true)
    assert.equal(await secrets.verify(`${secret}x`, hash), false)
    assert.equal(await new RobotSecrets(Buffer.alloc(32, 1)).verify(secret, hash), true, 'another node with the shared key')
    assert.equal(await new RobotSecrets(Buffer.alloc(32, 2)).verify(secret, hash), false, 'another key')
  })

  it('a chosen secret is kept like a password (scrypt)', async () => {
    const hash = await secrets.chosen('Chosen-Secret-42')
    assert.match(hash, /^scrypt\$/)
    assert.equal(await secrets.verify('Chosen-Secret-42', hash), true)
    assert.equal(await secrets.verify('Chosen-Secret-43', hash), false)
  })

  it('a bare SHA-256 from before keyed hashing still verifies; anything else does not', async () => {
    const legacy = createHash('sha256').update('Legacy-Secret-1').digest('hex')
    assert.equal(await secrets.verify('Legacy-Secret-1', legacy), true)
    assert.equal(await secrets.verify('Legacy-Secret-2', legacy), false)
    for (const stored of ['', 'ab', legacy.toUpperCase(), 'hmac-sha256$', '!deleted']) assert.equal(await secrets.verify('Legacy-Secret-1', stored), false, stored)
  })

  it('refuses a short key', () => {
    assert.throws(() => new RobotSecrets(Buffer.alloc(16)))
  })
})
