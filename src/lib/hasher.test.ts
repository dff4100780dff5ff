// Hasher conformance: every Hasher gives node:crypto's digests and independent copies.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { localHashers, type HasherFactory } from './hasher.js'
const implementations: [string, HasherFactory][] = [['local', localHashers]]

for (const [name, make] of implementations) {
  describe(`${name} hasher`, () => {
    it('matches node:crypto for sha256 and sha512 across odd chunk sizes', async () => {
      const data = randomBytes(3 * (1 << 20) + 12345)
      for (const algorithm of ['sha256', 'sha512'] as const) {
        const h = make(algorithm)
        for (let i = 0; i < data.length; ) {
          const n = Math.min(data.length - i, 1 + ((i * 7919) % 300_000))
          await h.update(data.subarray(i, i + n))
          i += n
        }
        assert.equal(await h.digest(), createHash(algorithm).update(data).digest('hex'))
        // digest() leaves the hash usable
        await h.update(Buffer.from('more'))
        assert.equal(await h.digest(), createHash(algorithm).update(data).update('more').digest('hex'))
        h.dispose()
      }
    })

    it('copies are independent of the original', async () => {
      const h = make('sha256')
      await h.update(Buffer.from('common-'))
      const c = h.copy()
      await h.update(Buffer.from('a'))
      await c.update(Buffer.from('b'))
      assert.equal(await h.digest(), createHash('sha256').update('common-a').digest('hex'))
      assert.equal(await c.digest(), createHash('sha256').update('common-b').digest('hex'))
      assert.equal(await make('sha256').digest(), createHash('sha256').digest('hex'))
    })
  })
}
