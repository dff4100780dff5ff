// Sealing secrets with secret_key: round trip, tampering and a wrong key are detected.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SecretBox } from './secret-box.js'
import { isBerthError } from '../lib/errors.js'

describe('SecretBox', () => {
  const key = 'k'.repeat(32)
  it('opens what it sealed; each seal differs', () => {
    const box = new SecretBox(key)
    const a = box.seal('private key bytes')
    assert.match(a, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    assert.notEqual(box.seal('private key bytes'), a)
    assert.equal(box.open(a).toString(), 'private key bytes')
    assert.equal(new SecretBox(key).open(a).toString(), 'private key bytes')
  })
  it('refuses a tampered secret, another key, and unknown formats', () => {
    const box = new SecretBox(key)
    const sealed = box.seal('secret')
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[0] = body[0]! ^ 1
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.')
    assert.throws(() => box.open(tampered), (e) => isBerthError(e, 'INTERNAL'))
    assert.throws(() => new SecretBox('x'.repeat(32)).open(sealed), (e) => isBerthError(e, 'INTERNAL') && /secret_key/.test(e.message))
    assert.throws(() => box.open('v2.a.b.c'), (e) => isBerthError(e, 'INTERNAL'))
  })
})
