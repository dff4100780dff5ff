// Repository names, tags, references and digests: what is accepted and what is refused.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isRepoName, parseReference, parseRepoName, projectOf, isTag } from './names.js'
import { isDigest, parseDigest, digestOf } from './digest.js'
import { isBerthError } from '../lib/errors.js'

describe('repository names', () => {
  it('accepts <project>/<path...> per the spec grammar', () => {
    for (const n of ['library/hello', 'a/b/c/d', 'my-proj/x.y_z', 'p/a__b', 'p/a---b', '0/1']) assert.ok(isRepoName(n), n)
    assert.equal(projectOf(parseRepoName('team/app/web')), 'team')
  })
  it('refuses hostile and malformed names with NAME_INVALID', () => {
    const bad = ['hello', 'library/../etc', '../x/y', 'LIBRARY/x', 'library//x', 'library/x/', '/library/x', 'library/-x', 'library/x-', 'library/a..b', 'library/a___b', 'lib rary/x', 'library/%2e', 'library/x\u0000', `library/${'a'.repeat(250)}`]
    for (const n of bad) assert.throws(() => parseRepoName(n), (e) => isBerthError(e, 'NAME_INVALID'), n)
  })
})

describe('references and digests', () => {
  it('tags follow the spec (128 characters at most)', () => {
    assert.ok(isTag('v1.0_rc-1'))
    assert.ok(isTag('_x'))
    assert.ok(isTag('a'.repeat(128)))
    for (const t of ['a'.repeat(129), '-x', '.x', 'a/b', 'a:b', '']) assert.equal(isTag(t), false, t)
  })
  it('a reference with ":" is a digest, else a tag', () => {
    const d = digestOf(Buffer.from('x'))
    assert.deepEqual(parseReference(d), { kind: 'digest', digest: d })
    assert.deepEqual(parseReference('latest'), { kind: 'tag', tag: 'latest' })
    assert.throws(() => parseReference('sha256:abc'), (e) => isBerthError(e, 'DIGEST_INVALID'))
    assert.throws(() => parseReference('-bad'), (e) => isBerthError(e, 'MANIFEST_INVALID'))
  })
  it('digests: sha256 and sha512 with exact hex lengths; other algorithms are UNSUPPORTED', () => {
    assert.ok(isDigest(`sha256:${'a'.repeat(64)}`))
    assert.ok(isDigest(`sha512:${'a'.repeat(128)}`))
    for (const d of [`sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, 'sha256:', 'nope']) assert.equal(isDigest(d), false, d)
    assert.throws(() => parseDigest(`md5:${'a'.repeat(32)}`), (e) => isBerthError(e, 'UNSUPPORTED'))
    assert.throws(() => parseDigest('garbage'), (e) => isBerthError(e, 'DIGEST_INVALID'))
    assert.throws(() => parseDigest(undefined), (e) => isBerthError(e, 'DIGEST_INVALID'))
  })
})
