// /v2/<name>/tags/list and /v2/_catalog: byte order, n/last pagination and Link headers.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  OCI_MANIFEST,
  assertOciError,
  assertStatus,
  bytesOf,
  header,
  pushBlob,
  pushImage,
  pushManifest,
  useBerth,
  type App,
  type Response,
} from './oci-test-support.js'

/** Byte order (the same as UTF-16 code unit order for these ASCII names). */
function byteOrder(names: string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

const LINK = /^<([^>]+)>; *rel="next"$/

/**
 * Follows a listing's Link headers from `first` to the end. Returns the pages' items; checks that
 * every page but the last is full and carries a Link to the next with the same n.
 */
async function paginate(app: App, first: string, key: 'tags' | 'repositories', n: number): Promise<string[][]> {
  const pages: string[][] = []
  let url: string | undefined = first
  while (url !== undefined) {
    assert.ok(pages.length < 100, 'pagination does not end')
    const res: Response = await app.inject({ method: 'GET', url })
    assertStatus(res, 200)
    const items: string[] = (res.json() as Record<string, string[]>)[key]!
    assert.ok(items.length <= n, `page of ${items.length} for n=${n}`)
    pages.push(items)
    const link = header(res, 'link')
    if (link === undefined) break
    assert.equal(items.length, n, 'a page with a Link must be full')
    const m = LINK.exec(link)
    assert.ok(m !== null, `malformed Link: ${link}`)
    const next = new URL(m[1]!, 'http://registry.test')
    assert.equal(next.pathname, new URL(first, 'http://registry.test').pathname)
    assert.equal(next.searchParams.get('n'), String(n))
    assert.equal(next.searchParams.get('last'), items[items.length - 1], 'Link last is not the page end')
    url = m[1]!
  }
  return pages
}

for (const dialect of DIALECTS) {
  describe(`/v2/ tags list (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const repo = 'library/tags'
    const tags = ['latest', 'A', 'a', 'B', '_x', '1.0', 'v1.0.0-rc_1', 'Z9', '0', 'b__', 'a.b', 'a-b', 'a_b', 'aB', 'Ab']
    const sorted = byteOrder(tags)

    it('lists every tag in byte order, without a Link', async () => {
      const image = await pushImage(t.app, repo, tags[0]!, 'tags')
      for (const tag of tags.slice(1)) await pushManifest(t.app, repo, tag, image.text, OCI_MANIFEST)
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list` })
      assertStatus(res, 200)
      assert.match(header(res, 'content-type') ?? '', /^application\/json/)
      assert.deepEqual(res.json(), { name: repo, tags: sorted })
      assert.equal(header(res, 'link'), undefined)
    })

    it('n pages through the tags with Link: rel="next", and the last page has no Link', async () => {
      for (let n = 1; n <= tags.length + 1; n++) {
        const pages = await paginate(t.app, `/v2/${repo}/tags/list?n=${n}`, 'tags', n)
        assert.deepEqual(pages.flat(), sorted, `n=${n}`)
        assert.equal(pages.length, Math.max(1, Math.ceil(tags.length / n)), `n=${n}: no empty trailing page`)
      }
    })

    it('the Link header has the spec form', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?n=3` })
      assertStatus(res, 200)
      assert.deepEqual((res.json() as { tags: string[] }).tags, sorted.slice(0, 3))
      assert.equal(header(res, 'link'), `</v2/${repo}/tags/list?n=3&last=${sorted[2]}>; rel="next"`)
    })

    it('last returns the tags after it, with or without n', async () => {
      for (const last of ['B', 'Aa', '_x', 'a']) {
        const after = sorted.filter((tag) => Buffer.compare(Buffer.from(tag), Buffer.from(last)) > 0)
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?last=${last}` })
        assertStatus(res, 200)
        assert.deepEqual((res.json() as { tags: string[] }).tags, after, `last=${last}`)
        assert.equal(header(res, 'link'), undefined)
        const two = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?n=2&last=${last}` })
        assert.deepEqual((two.json() as { tags: string[] }).tags, after.slice(0, 2), `n=2&last=${last}`)
      }
      const end = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?last=zzz` })
      assertStatus(end, 200)
      assert.deepEqual(end.json(), { name: repo, tags: [] })
      assert.equal(header(end, 'link'), undefined)
    })

    it('n=0 is an empty list without a Link', async () => {
      for (const url of [`/v2/${repo}/tags/list?n=0`, `/v2/${repo}/tags/list?n=0&last=A`]) {
        const res = await t.app.inject({ method: 'GET', url })
        assertStatus(res, 200)
        assert.deepEqual(res.json(), { name: repo, tags: [] })
        assert.equal(header(res, 'link'), undefined)
      }
    })

    it('an n larger than the tag count returns them all without a Link', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?n=100000` })
      assertStatus(res, 200)
      assert.deepEqual((res.json() as { tags: string[] }).tags, sorted)
      assert.equal(header(res, 'link'), undefined)
    })

    for (const n of ['-1', 'abc', '1.5', '', '0x10', '1e3', ' 2']) {
      it(`n=${JSON.stringify(n)} is 400`, async () => {
        const res = await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?n=${encodeURIComponent(n)}` })
        assertOciError(res, 400, 'UNSUPPORTED')
      })
    }

    it('a last that is not a tag is 400', async () => {
      for (const last of ['-x', '.x', 'a'.repeat(129)]) {
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/${repo}/tags/list?last=${last}` }), 400, 'UNSUPPORTED')
      }
    })

    it('an unknown repository is 404 NAME_UNKNOWN', async () => {
      assertOciError(await t.app.inject({ method: 'GET', url: '/v2/library/no-such-repo/tags/list' }), 404, 'NAME_UNKNOWN')
      assertOciError(await t.app.inject({ method: 'GET', url: '/v2/library/no-such-repo/tags/list?n=0' }), 404, 'NAME_UNKNOWN')
    })

    it('a repository without tags lists none', async () => {
      await pushBlob(t.app, 'library/tags-none', bytesOf('tags-none'))
      const res = await t.app.inject({ method: 'GET', url: '/v2/library/tags-none/tags/list' })
      assertStatus(res, 200)
      assert.deepEqual(res.json(), { name: 'library/tags-none', tags: [] })
    })
  })

  describe(`/v2/_catalog (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    // Byte order puts '-' < '.' < '/' < '0' < '_' < 'b'; locale collations would not.
    const repos = ['library/a', 'library/a-b', 'library/a--b', 'library/a.b', 'library/a/b', 'library/a0', 'library/a_b', 'library/a__b', 'library/ab', 'library/b', 'library/a/b/c']
    const sorted = byteOrder(repos)

    it('an empty registry has an empty catalog', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v2/_catalog' })
      assertStatus(res, 200)
      assert.deepEqual(res.json(), { repositories: [] })
      assert.equal(header(res, 'link'), undefined)
    })

    it('lists every repository in byte order', async () => {
      for (const r of repos) await pushBlob(t.app, r, bytesOf(`catalog:${r}`))
      const res = await t.app.inject({ method: 'GET', url: '/v2/_catalog' })
      assertStatus(res, 200)
      assert.match(header(res, 'content-type') ?? '', /^application\/json/)
      assert.deepEqual(res.json(), { repositories: sorted })
      assert.equal(header(res, 'link'), undefined)
    })

    it('n pages through the catalog with Link: rel="next", and the last page has no Link', async () => {
      for (let n = 1; n <= repos.length + 1; n++) {
        const pages = await paginate(t.app, `/v2/_catalog?n=${n}`, 'repositories', n)
        assert.deepEqual(pages.flat(), sorted, `n=${n}`)
        assert.equal(pages.length, Math.max(1, Math.ceil(repos.length / n)), `n=${n}: no empty trailing page`)
      }
    })

    it('last returns the repositories after it', async () => {
      for (const last of ['library/a', 'library/a.b', 'library/a/b', 'library/zzz']) {
        const after = sorted.filter((r) => Buffer.compare(Buffer.from(r), Buffer.from(last)) > 0)
        const res = await t.app.inject({ method: 'GET', url: `/v2/_catalog?last=${encodeURIComponent(last)}` })
        assertStatus(res, 200)
        assert.deepEqual((res.json() as { repositories: string[] }).repositories, after, `last=${last}`)
      }
    })

    it('n=0 is an empty list without a Link', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v2/_catalog?n=0' })
      assertStatus(res, 200)
      assert.deepEqual(res.json(), { repositories: [] })
      assert.equal(header(res, 'link'), undefined)
    })

    for (const n of ['-1', 'abc', '2.5']) {
      it(`n=${n} is 400`, async () => {
        assertOciError(await t.app.inject({ method: 'GET', url: `/v2/_catalog?n=${n}` }), 400, 'UNSUPPORTED')
      })
    }
  })
}
