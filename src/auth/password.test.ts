// Password hashing, verification and policy.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './password.js'

describe('passwords', () => {
  it('hash with scrypt and a random salt; verify the right password only', async () => {
    const a = await hashPassword('Correct-Horse-9')
    const b = await hashPassword('Correct-Horse-9')
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    assert.notEqual(a, b)
    assert.equal(await verifyPassword('Correct-Horse-9', a), true)
    assert.equal(await verifyPassword('Correct-Horse-8', a), false)
    assert.equal(await verifyPassword('', a), false)
  })

  it('a malformed stored hash never verifies', async () => {
    for (const stored of ['', 'plain', 'scrypt$1$2$3$salt', 'bcrypt$x$y$z$a$b', 'scrypt$x$8$1$c2FsdA==$aGFzaA==']) {
      assert.equal(await verifyPassword('anything', stored), false, stored)
    }
  })

  it("Harbor's policy: 8-128 characters, upper, lower and digit", () => {
    assert.equal(passwordProblem('Harbor12345'), null)
    for (const weak of ['Short1', 'alllowercase1', 'ALLUPPERCASE1', 'NoDigitsHere', `Aa1${'x'.repeat(126)}`]) {
      assert.notEqual(passwordProblem(weak), null, weak)
    }
  })

  it('generated passwords satisfy the policy and differ', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const p = generatePassword()
      assert.equal(passwordProblem(p), null)
      seen.add(p)
    }
    assert.equal(seen.size, 20)
  })
})
