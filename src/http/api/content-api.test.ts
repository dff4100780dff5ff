// /api/v2.0 content endpoints (repositories, artifacts, copies, tags, labels and artifact labels),
// end to end through app.inject() on both database dialects.
//
// Speed: the users are created once per suite, in parallel, and call the API through console
// sessions (no password hash per request); the administrator and every /v2/ request use Basic
// credentials, cached after the first request.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { assertError, assertStatus, checkResponse, idFromLocation, linkRels, totalOf, ADMIN, ANON, type Actor } from './api-test-support.js'
import { bytesOf, descriptorOf, header, indexText, manifestText, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, pushBlob, pushImage, pushManifest, sha256, useBerth, type App, type Descriptor, type PushedImage, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Content-Test-Passw0rd'
const COSIGN = 'application/vnd.dev.cosign.artifact.sig.v1+json'
const MISSING_DIGEST = `sha256:${'0'.repeat(64)}`

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
/** A parsed response body: the tests read fields by name and assert their values. */
type Json = any



const q = (s: string) => encodeURIComponent(s)

/** Request helpers over one test Berth. */
function clientOf(get: () => App) {
  async function inject(opts: InjectOptions, what: string): Promise<Response> {
    const res = (await get().inject(opts)) as Response
    checkResponse(res, what)
    return res
  }
  /** A request under /api/v2.0 as `who`. */
  function api(who: Actor, method: Method, path: string, body?: unknown): Promise<Response> {
    return inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) }, `${who.name} ${method} ${path}`)
  }
  /** A /v2/ request as the administrator. */
  function registry(method: 'GET' | 'HEAD', url: string): Promise<Response> {
    return inject({ method, url, headers: { authorization: ADMIN_AUTH } }, `${method} ${url}`)
  }
  /** Signs in on the console; the actor sends the session cookie and the CSRF header. */
  async function session(name: string, password: string): Promise<Actor> {
    const res = await inject(
      { method: 'POST', url: '/c/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ principal: name, password }).toString() },
      `login ${name}`,
    )
    assertStatus(res, 200, `login ${name}`)
    const sid = res.cookies.find((c) => c.name === 'sid')?.value
    const csrf = header(res, 'x-harbor-csrf-token')
    assert.ok(sid !== undefined && csrf !== undefined)
    return { name, headers: { cookie: `sid=${sid}`, 'x-harbor-csrf-token': csrf } }
  }
  async function createUser(username: string): Promise<void> {
    assertStatus(await api(ADMIN, 'POST', '/users', { username, password: PASSWORD, email: `${username}@example.com`, realname: username }), 201, `create user ${username}`)
  }
  async function createProject(by: Actor, name: string): Promise<number> {
    const res = await api(by, 'POST', '/projects', { project_name: name, metadata: { public: 'false' } })
    assertStatus(res, 201, `create project ${name}`)
    return idFromLocation(res, `${API}/projects`)
  }
  async function addMember(by: Actor, project: string, username: string, roleId: number): Promise<void> {
    assertStatus(await api(by, 'POST', `/projects/${project}/members`, { role_id: roleId, member_user: { username } }), 201, `add ${username} to ${project}`)
  }
  /** Creates a label; returns its id from Location. */
  async function createLabel(by: Actor, body: Record<string, unknown>): Promise<number> {
    const res = await api(by, 'POST', '/labels', body)
    assertStatus(res, 201, `create label ${JSON.stringify(body)}`)
    assert.equal(res.body, '')
    return idFromLocation(res, `${API}/labels`)
  }
  return { inject, api, registry, session, createUser, createProject, addMember, createLabel }
}

/** Pushes an image by digest (untagged): a child of an index, or a referrer. */
async function pushUntagged(app: App, repo: string, label: string, o: { subject?: Descriptor; artifactType?: string } = {}): Promise<PushedImage> {
  const configBytes = JSON.stringify({ label, architecture: 'amd64', os: 'linux' })
  const layerBytes = bytesOf(`layer:${label}`, 200)
  await pushBlob(app, repo, configBytes)
  await pushBlob(app, repo, layerBytes)
  const config = descriptorOf(OCI_CONFIG, configBytes)
  const layers = [descriptorOf(OCI_LAYER, layerBytes)]
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: OCI_MANIFEST }
  if (o.artifactType !== undefined) doc.artifactType = o.artifactType
  doc.config = config
  doc.layers = layers
  if (o.subject !== undefined) doc.subject = o.subject
  const text = manifestText(doc)
  const digest = await pushManifest(app, repo, sha256(text), text, OCI_MANIFEST)
  return { text, digest, size: Buffer.byteLength(text), config, layers }
}

/** A two-platform index at `tag` over two untagged children. */
async function pushIndex(app: App, repo: string, tag: string, label: string) {
  const amd64 = await pushUntagged(app, repo, `${label}-amd64`)
  const arm64 = await pushUntagged(app, repo, `${label}-arm64`)
  const platforms = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ]
  const text = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, amd64.text, { platform: platforms[0] }), descriptorOf(OCI_MANIFEST, arm64.text, { platform: platforms[1] })])
  const digest = await pushManifest(app, repo, tag, text, OCI_INDEX)
  return { digest, text, children: [amd64.digest, arm64.digest], platforms }
}

/** True when `items` are in the order `cmp` gives (a stable check that needs no distinct keys). */
function ordered<T>(items: T[], cmp: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (cmp(items[i - 1]!, items[i]!) > 0) return false
  return true
}

for (const dialect of DIALECTS) {
  describe(`content API (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const c = clientOf(() => t.anonymous)
    const { api } = c

    /** Signed-in users: padm (Project Admin of team), dev, guest, maint (team's Developer, Guest, Maintainer), other (owns secret). */
    const u: Record<string, Actor> = {}
    const pid: Record<string, number> = {}
    let img1: PushedImage
    let img2: PushedImage
    let img3: PushedImage
    let sig: PushedImage
    let multi: Awaited<ReturnType<typeof pushIndex>>

    before(async () => {
      const names = ['padm', 'dev', 'guest', 'maint', 'other']
      await Promise.all(names.map((n) => c.createUser(n)))
      for (const [n, a] of await Promise.all(names.map(async (n) => [n, await c.session(n, PASSWORD)] as const))) u[n] = a
      // team: padm's, with dev, guest and maint. dest: the admin's, dev a Developer, guest a Guest.
      // secret: other's, nobody else. lst: the admin's, for listings.
      pid.team = await c.createProject(u.padm!, 'team')
      pid.dest = await c.createProject(ADMIN, 'dest')
      pid.secret = await c.createProject(u.other!, 'secret')
      pid.lst = await c.createProject(ADMIN, 'lst')
      for (const [n, role] of [
        ['dev', 2],
        ['guest', 3],
        ['maint', 4],
      ] as const)
        await c.addMember(u.padm!, 'team', n, role)
      await c.addMember(ADMIN, 'dest', 'dev', 2)
      await c.addMember(ADMIN, 'dest', 'guest', 3)

      const app = t.app
      img1 = await pushImage(app, 'team/app', 'v1', 'team-app-1')
      img2 = await pushImage(app, 'team/app', 'v2', 'team-app-2')
      img3 = await pushImage(app, 'team/app', 'beta', 'team-app-3')
      // A second tag on img1, and a cosign signature of it (a referrer, pushed by digest).
      await pushManifest(app, 'team/app', 'stable', img1.text, OCI_MANIFEST)
      sig = await pushUntagged(app, 'team/app', 'team-app-1-sig', { subject: descriptorOf(OCI_MANIFEST, img1.text), artifactType: COSIGN })
      multi = await pushIndex(app, 'team/multi', 'multi', 'team-multi')
      await pushImage(app, 'team/a/b', 'v1', 'team-a-b')
      await pushImage(app, 'secret/x', 'v1', 'secret-x')

      await pushImage(app, 'lst/alpha', 'v1', 'lst-alpha-1')
      await pushImage(app, 'lst/alpha', 'v2', 'lst-alpha-2')
      await pushImage(app, 'lst/beta', 'v1', 'lst-beta')
      await pushIndex(app, 'lst/gamma', 'v1', 'lst-gamma')
    })

    // ------------------------------------------------------------------------------------------
    describe('repositories', () => {
      it('GET /projects/{p}/repositories lists with artifact_count, pull_count, X-Total-Count', async () => {
        const res = await api(ADMIN, 'GET', '/projects/lst/repositories')
        assertStatus(res, 200)
        assert.equal(totalOf(res), 3)
        const items = res.json() as Json[]
        assert.deepEqual(items.map((r) => r.name), ['lst/alpha', 'lst/beta', 'lst/gamma'], 'default order is by name')
        const alpha = items[0]
        assert.equal(alpha.project_id, pid.lst)
        assert.equal(alpha.artifact_count, 2)
        assert.equal(items[1].artifact_count, 1)
        for (const r of items) {
          assert.equal(typeof r.id, 'number')
          assert.equal(r.pull_count, 0)
          assert.equal(r.description, '')
          assert.ok(!Number.isNaN(Date.parse(r.creation_time)) && !Number.isNaN(Date.parse(r.update_time)))
        }
        assert.equal(header(res, 'link'), undefined, 'one page needs no Link')
        // Readers of the project may list; guests included.
        const byGuest = await api(u.guest!, 'GET', '/projects/team/repositories')
        assertStatus(byGuest, 200)
        assert.deepEqual(
          (byGuest.json() as Json[]).map((r) => r.name),
          ['team/a/b', 'team/app', 'team/multi'],
        )
      })

      it('artifact_count counts what the artifact listing shows (index children and referrers excluded), as Harbor does', async () => {
        for (const [project, repo] of [
          ['lst', 'gamma'],
          ['team', 'app'],
          ['team', 'multi'],
        ]) {
          const listed = totalOf(await api(ADMIN, 'GET', `/projects/${project}/repositories/${repo}/artifacts`))
          const got = (await api(ADMIN, 'GET', `/projects/${project}/repositories/${repo}`)).json()
          assert.equal(got.artifact_count, listed, `${project}/${repo}`)
        }
      })

      it('pages with page and page_size, with Link prev/next; bad paging is 400', async () => {
        const first = await api(ADMIN, 'GET', '/projects/lst/repositories?page=1&page_size=2')
        assertStatus(first, 200)
        assert.equal(totalOf(first), 3)
        assert.deepEqual(first.json().map((r: Json) => r.name), ['lst/alpha', 'lst/beta'])
        const links = linkRels(first)
        assert.equal(links.prev, undefined)
        assert.ok(links.next !== undefined, `no rel=next in ${header(first, 'link')}`)
        const next = new URL(links.next, 'http://x')
        assert.equal(next.pathname, `${API}/projects/lst/repositories`)
        assert.equal(next.searchParams.get('page'), '2')
        assert.equal(next.searchParams.get('page_size'), '2')
        const second = await api(ADMIN, 'GET', next.pathname.slice(API.length) + next.search)
        assertStatus(second, 200)
        assert.deepEqual(second.json().map((r: Json) => r.name), ['lst/gamma'])
        assert.ok(linkRels(second).prev !== undefined)
        assert.equal(linkRels(second).next, undefined)
        const beyond = await api(ADMIN, 'GET', '/projects/lst/repositories?page=9&page_size=2')
        assertStatus(beyond, 200)
        assert.deepEqual(beyond.json(), [])
        assert.equal(totalOf(beyond), 3)
        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?page=0'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?page_size=101'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?page=x'), 400, 'BAD_REQUEST')
      })

      it('filters with q (name=~, name=) and sorts with sort; unknown q or sort key is 400', async () => {
        const fuzzy = await api(ADMIN, 'GET', `/projects/lst/repositories?q=${q('name=~mm')}`)
        assertStatus(fuzzy, 200)
        assert.deepEqual(fuzzy.json().map((r: Json) => r.name), ['lst/gamma'])
        assert.equal(totalOf(fuzzy), 1)
        const fuzzy2 = await api(ADMIN, 'GET', `/projects/lst/repositories?q=${q('name=~a')}&page_size=1`)
        assert.equal(totalOf(fuzzy2), 3, 'X-Total-Count counts every match, not the page')
        const exact = await api(ADMIN, 'GET', `/projects/lst/repositories?q=${q('name=lst/beta')}`)
        assert.deepEqual(exact.json().map((r: Json) => r.name), ['lst/beta'])
        // LIKE wildcards in a fuzzy value are literal.
        assert.equal(totalOf(await api(ADMIN, 'GET', `/projects/lst/repositories?q=${q('name=~%')}`)), 0)

        const desc = await api(ADMIN, 'GET', '/projects/lst/repositories?sort=-name')
        assertStatus(desc, 200)
        assert.deepEqual(desc.json().map((r: Json) => r.name), ['lst/gamma', 'lst/beta', 'lst/alpha'])
        const byTime = await api(ADMIN, 'GET', '/projects/lst/repositories?sort=creation_time')
        assertStatus(byTime, 200)
        const items = byTime.json() as Json[]
        assert.equal(items.length, 3)
        assert.ok(
          ordered(items, (a, b) => Date.parse(a.creation_time) - Date.parse(b.creation_time) || (a.name < b.name ? -1 : 1)),
          `not in creation_time order: ${JSON.stringify(items.map((r) => [r.name, r.creation_time]))}`,
        )
        const byTimeDesc = (await api(ADMIN, 'GET', '/projects/lst/repositories?sort=-creation_time')).json() as Json[]
        assert.ok(ordered(byTimeDesc, (a, b) => Date.parse(b.creation_time) - Date.parse(a.creation_time)))

        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?q=nope=1'), 400, 'BAD_REQUEST', 'unknown q key')
        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?q=garbage'), 400, 'BAD_REQUEST', 'q without =')
        assertError(await api(ADMIN, 'GET', '/projects/lst/repositories?sort=nope'), 400, 'BAD_REQUEST', 'unknown sort key')
        assertError(await api(ADMIN, 'GET', `/projects/lst/repositories?q=${q('id=abc')}`), 400, 'BAD_REQUEST', 'non-integer id')
      })

      it('pull_count goes up with manifest GETs once the audit log is flushed', async () => {
        const flush = async () => assertStatus(await api(ADMIN, 'GET', '/audit-logs?page_size=1'), 200, 'audit-logs')
        await flush()
        const before = (await api(ADMIN, 'GET', '/projects/lst/repositories/beta')).json().pull_count as number
        for (let i = 0; i < 3; i++) assertStatus(await c.registry('GET', '/v2/lst/beta/manifests/v1'), 200)
        await flush()
        const got = await api(ADMIN, 'GET', '/projects/lst/repositories/beta')
        assertStatus(got, 200)
        assert.equal(got.json().pull_count, before + 3)
        const listed = (await api(ADMIN, 'GET', '/projects/lst/repositories')).json() as Json[]
        assert.equal(listed.find((r) => r.name === 'lst/beta').pull_count, before + 3)
        const sorted = (await api(ADMIN, 'GET', '/projects/lst/repositories?sort=-pull_count')).json() as Json[]
        assert.equal(sorted[0].name, 'lst/beta')
      })

      it('GET one repository by name, a nested one as a%252Fb (Harbor) and as a%2Fb; missing is 404', async () => {
        const app = await api(u.guest!, 'GET', '/projects/team/repositories/app')
        assertStatus(app, 200)
        assert.equal(app.json().name, 'team/app')
        assert.equal(app.json().project_id, pid.team)
        for (const encoded of ['a%252Fb', 'a%2Fb', 'a%252fb']) {
          const nested = await api(u.guest!, 'GET', `/projects/team/repositories/${encoded}`)
          assertStatus(nested, 200, encoded)
          assert.equal(nested.json().name, 'team/a/b', encoded)
          assert.equal(nested.json().artifact_count, 1)
        }
        // By project id as well as by name.
        assertStatus(await api(u.guest!, 'GET', `/projects/${pid.team}/repositories/app`), 200, 'by project id')
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/nope'), 404, 'NOT_FOUND')
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/a%252Fnope'), 404, 'NOT_FOUND')
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/Bad..Name'), 400, 'BAD_REQUEST')
        assertError(await api(u.guest!, 'GET', '/projects/nope/repositories/app'), 404, 'NOT_FOUND', 'missing project')
      })

      it('a private project: a non-member gets 404, anonymous 401, on list, get, update and delete', async () => {
        for (const [method, path, body] of [
          ['GET', '/projects/team/repositories', undefined],
          ['GET', '/projects/team/repositories/app', undefined],
          ['PUT', '/projects/team/repositories/app', { description: 'x' }],
          ['DELETE', '/projects/team/repositories/app', undefined],
          ['GET', '/projects/team/repositories/app/artifacts', undefined],
          ['GET', '/projects/team/repositories/app/artifacts/v1', undefined],
          ['GET', '/projects/team/repositories/app/artifacts/v1/tags', undefined],
        ] as const) {
          assertError(await api(u.other!, method, path, body), 404, 'NOT_FOUND', `other ${method} ${path}`)
          assertError(await api(ANON, method, path, body), 401, 'UNAUTHORIZED', `anonymous ${method} ${path}`)
        }
        assertStatus(await api(ADMIN, 'GET', '/projects/team/repositories/app'), 200, 'still there')
      })

      it('PUT a description (developer): GET shows it; unknown field 400; guest 403; missing 404', async () => {
        assertStatus(await api(u.dev!, 'PUT', '/projects/team/repositories/a%252Fb', { description: 'nested repo' }), 200)
        const got = await api(u.guest!, 'GET', '/projects/team/repositories/a%252Fb')
        assert.equal(got.json().description, 'nested repo')
        assertStatus(await api(u.dev!, 'PUT', '/projects/team/repositories/app', { description: 'the app' }), 200)
        const listed = (await api(u.dev!, 'GET', `/projects/team/repositories?q=${q('name=team/app')}`)).json() as Json[]
        assert.equal(listed[0].description, 'the app')

        assertError(await api(u.dev!, 'PUT', '/projects/team/repositories/app', { description: 'x', bogus: 1 }), 400, 'BAD_REQUEST', 'unknown field')
        assertError(await api(u.dev!, 'PUT', '/projects/team/repositories/app', {}), 400, 'BAD_REQUEST', 'no description')
        assertError(await api(u.guest!, 'PUT', '/projects/team/repositories/app', { description: 'by guest' }), 403, 'FORBIDDEN')
        assertError(await api(u.dev!, 'PUT', '/projects/team/repositories/nope', { description: 'x' }), 404, 'NOT_FOUND')
        assert.equal((await api(ADMIN, 'GET', '/projects/team/repositories/app')).json().description, 'the app')
      })

      it('DELETE a repository (maintainer): /v2 manifests 404, gone from the list; guest and developer 403; twice 404', async () => {
        await pushImage(t.app, 'team/old/doomed', 'v1', 'team-doomed-1')
        await pushImage(t.app, 'team/old/doomed', 'v2', 'team-doomed-2')
        assertError(await api(u.guest!, 'DELETE', '/projects/team/repositories/old%252Fdoomed'), 403, 'FORBIDDEN', 'guest')
        assertError(await api(u.dev!, 'DELETE', '/projects/team/repositories/old%252Fdoomed'), 403, 'FORBIDDEN', 'developer')
        assertStatus(await c.registry('GET', '/v2/team/old/doomed/manifests/v1'), 200, 'before')

        assertStatus(await api(u.maint!, 'DELETE', '/projects/team/repositories/old%252Fdoomed'), 200)
        assertStatus(await c.registry('GET', '/v2/team/old/doomed/manifests/v1'), 404, 'manifest after')
        assertStatus(await c.registry('GET', '/v2/team/old/doomed/manifests/v2'), 404, 'manifest after')
        const tags = await c.registry('GET', '/v2/team/old/doomed/tags/list')
        assertStatus(tags, 404, 'tags/list after')
        const names = ((await api(ADMIN, 'GET', '/projects/team/repositories?page_size=100')).json() as Json[]).map((r) => r.name)
        assert.ok(!names.includes('team/old/doomed'), `still listed: ${names}`)
        assertError(await api(ADMIN, 'GET', '/projects/team/repositories/old%252Fdoomed'), 404, 'NOT_FOUND')
        assertError(await api(u.maint!, 'DELETE', '/projects/team/repositories/old%252Fdoomed'), 404, 'NOT_FOUND', 'twice')
        // The name can be pushed to again, starting empty.
        await pushImage(t.app, 'team/old/doomed', 'v3', 'team-doomed-3')
        const again = await api(ADMIN, 'GET', '/projects/team/repositories/old%2Fdoomed/artifacts')
        assert.equal(totalOf(again), 1)
        assertStatus(await api(u.padm!, 'DELETE', '/projects/team/repositories/old%2Fdoomed'), 200, 'project admin, %2F')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('artifacts', () => {
      const arts = (res: Response) => res.json() as Json[]

      it('list: tags by default, no tags with with_tag=false; the referrer is not listed on its own', async () => {
        const res = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts')
        assertStatus(res, 200)
        assert.equal(totalOf(res), 3)
        const items = arts(res)
        assert.deepEqual(items.map((a) => a.digest).sort(), [img1.digest, img2.digest, img3.digest].sort())
        assert.ok(!items.some((a) => a.digest === sig.digest), 'the signature is listed on its own')
        const a1 = items.find((a) => a.digest === img1.digest)
        assert.deepEqual(a1.tags.map((x: Json) => x.name), ['stable', 'v1'])
        for (const tag of a1.tags) {
          assert.equal(tag.artifact_id, a1.id)
          assert.equal(tag.repository_id, a1.repository_id)
          assert.equal(tag.immutable, false)
          assert.equal(tag.signed, undefined, 'signed only with with_signature')
        }
        assert.equal(a1.type, 'IMAGE')
        assert.equal(a1.manifest_media_type, OCI_MANIFEST)
        assert.equal(a1.media_type, OCI_CONFIG)
        assert.equal(a1.project_id, pid.team)
        assert.equal(a1.repository_name, 'team/app')
        assert.equal(typeof a1.size, 'number')
        assert.deepEqual(a1.references, [])
        assert.equal(a1.accessories, undefined, 'accessories only with with_accessory')
        assert.equal(a1.labels, undefined, 'labels only with with_label')

        const bare = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_tag=false')
        assertStatus(bare, 200)
        assert.equal(arts(bare).length, 3)
        for (const a of arts(bare)) assert.equal(a.tags, undefined)
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_tag=maybe'), 400, 'BAD_REQUEST')
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/nope/artifacts'), 404, 'NOT_FOUND')
      })

      it('pages with page and page_size, X-Total-Count and Link', async () => {
        const all = arts(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_tag=false'))
        const first = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?page=1&page_size=2')
        assertStatus(first, 200)
        assert.equal(totalOf(first), 3)
        assert.equal(arts(first).length, 2)
        const next = linkRels(first).next
        assert.ok(next !== undefined, `no rel=next in ${header(first, 'link')}`)
        const second = await api(u.guest!, 'GET', next.slice(API.length))
        assertStatus(second, 200)
        assert.equal(arts(second).length, 1)
        assert.ok(linkRels(second).prev !== undefined)
        assert.equal(linkRels(second).next, undefined)
        assert.deepEqual([...arts(first), ...arts(second)].map((a) => a.id), all.map((a) => a.id), 'pages are slices of the full listing')
      })

      it("size is the manifest's plus its config's and layers', as Harbor reports it", async () => {
        const a = (await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v1')).json()
        assert.equal(a.size, img1.size + img1.config.size + img1.layers.reduce((n, l) => n + l.size, 0))
      })

      it('an index: its children are not listed, but are its references with child_id, child_digest and platform', async () => {
        const res = await api(u.guest!, 'GET', '/projects/team/repositories/multi/artifacts')
        assertStatus(res, 200)
        assert.equal(totalOf(res), 1)
        const [index] = arts(res)
        assert.equal(index.digest, multi.digest)
        assert.equal(index.manifest_media_type, OCI_INDEX)
        assert.equal(index.type, 'IMAGE')
        assert.deepEqual(index.tags.map((x: Json) => x.name), ['multi'])
        assert.equal(index.references.length, 2)
        for (const [i, child] of multi.children.entries()) {
          const ref = index.references[i]
          assert.equal(ref.child_digest, child)
          assert.equal(ref.parent_id, index.id)
          assert.deepEqual(ref.platform, multi.platforms[i])
          const got = await api(u.guest!, 'GET', `/projects/team/repositories/multi/artifacts/${child}`)
          assertStatus(got, 200, 'child by digest')
          assert.equal(ref.child_id, got.json().id)
          assert.deepEqual(got.json().tags, [])
        }
      })

      it('a referrer: accessories with with_accessory=true (signature.cosign); with_signature=true marks tags signed', async () => {
        const res = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_accessory=true')
        assertStatus(res, 200)
        assert.equal(totalOf(res), 3)
        const a1 = arts(res).find((a) => a.digest === img1.digest)
        assert.equal(a1.accessories.length, 1)
        const acc = a1.accessories[0]
        assert.equal(acc.digest, sig.digest)
        assert.equal(acc.type, 'signature.cosign')
        assert.equal(acc.subject_artifact_digest, img1.digest)
        assert.equal(acc.subject_artifact_id, a1.id)
        assert.equal(acc.subject_artifact_repo, 'team/app')
        // An accessory's size is its own artifact's: manifest plus config and layers.
        assert.equal(acc.size, sig.size + sig.config.size + sig.layers.reduce((n, l) => n + l.size, 0))
        // Harbor's accessory has its own id; artifact_id is the signature's artifact.
        assert.equal(acc.artifact_id, (await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/${sig.digest}`)).json().id)
        for (const a of arts(res).filter((x) => x.digest !== img1.digest)) assert.deepEqual(a.accessories, [], a.digest)

        const signed = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_signature=true')
        assertStatus(signed, 200)
        for (const a of arts(signed)) {
          for (const tag of a.tags) assert.equal(tag.signed, a.digest === img1.digest, `${tag.name} signed`)
        }
        const one = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v1?with_signature=true&with_accessory=true')
        assertStatus(one, 200)
        assert.ok(one.json().tags.every((x: Json) => x.signed === true))
        assert.equal(one.json().accessories[0].digest, sig.digest)
        // The signature itself is reachable by digest.
        const bySig = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/${sig.digest}`)
        assertStatus(bySig, 200)
        assert.equal(bySig.json().artifact_type, COSIGN)
      })

      it('filters with q: tags=v1, tags=~v, digest=<d>; unknown key 400', async () => {
        const exact = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q('tags=v1')}`)
        assertStatus(exact, 200)
        assert.deepEqual(arts(exact).map((a) => a.digest), [img1.digest])
        assert.equal(totalOf(exact), 1)
        const fuzzy = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q('tags=~v')}`)
        assertStatus(fuzzy, 200)
        assert.deepEqual(arts(fuzzy).map((a) => a.digest).sort(), [img1.digest, img2.digest].sort())
        assert.equal(totalOf(fuzzy), 2)
        assert.equal(totalOf(await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q('tags=v')}`)), 0, 'exact is exact')
        const byDigest = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q(`digest=${img2.digest}`)}`)
        assertStatus(byDigest, 200)
        assert.deepEqual(arts(byDigest).map((a) => a.digest), [img2.digest])
        // A filter does not bring back what the listing hides.
        assert.equal(totalOf(await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q(`digest=${sig.digest}`)}`)), 0)
        assertError(await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q('nope=1')}`), 400, 'BAD_REQUEST')
        assertError(await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q('tags=[a~b]')}`), 400, 'BAD_REQUEST')
      })

      it('Harbor\'s q=tags=* (tagged only) and q=tags=nil (untagged only)', async () => {
        await pushUntagged(t.app, 'lst/beta', 'lst-beta-untagged')
        const tagged = await api(ADMIN, 'GET', `/projects/lst/repositories/beta/artifacts?q=${q('tags=*')}`)
        assertStatus(tagged, 200)
        assert.equal(totalOf(tagged), 1)
        const untagged = await api(ADMIN, 'GET', `/projects/lst/repositories/beta/artifacts?q=${q('tags=nil')}`)
        assertStatus(untagged, 200)
        assert.equal(totalOf(untagged), 1)
      })

      it('sorts by push_time and -push_time', async () => {
        const asc = arts(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?sort=push_time'))
        const desc = arts(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?sort=-push_time'))
        assert.equal(asc.length, 3)
        assert.ok(ordered(asc, (a, b) => Date.parse(a.push_time) - Date.parse(b.push_time)), JSON.stringify(asc.map((a) => a.push_time)))
        assert.ok(ordered(desc, (a, b) => Date.parse(b.push_time) - Date.parse(a.push_time)), JSON.stringify(desc.map((a) => a.push_time)))
        assert.deepEqual(asc.map((a) => a.digest).sort(), desc.map((a) => a.digest).sort())
        if (new Set(asc.map((a) => a.push_time)).size === 3) {
          assert.deepEqual(asc.map((a) => a.digest), [img1.digest, img2.digest, img3.digest])
          assert.deepEqual(desc.map((a) => a.digest), [img3.digest, img2.digest, img1.digest])
        }
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?sort=nope'), 400, 'BAD_REQUEST')
      })

      it('GET by tag and by digest; missing 404; a bad reference 400', async () => {
        const byTag = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v2')
        assertStatus(byTag, 200)
        assert.equal(byTag.json().digest, img2.digest)
        assert.equal(byTag.json().type, 'IMAGE')
        assert.deepEqual(byTag.json().tags.map((x: Json) => x.name), ['v2'])
        const byDigest = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/${img2.digest}`)
        assertStatus(byDigest, 200)
        assert.deepEqual(byDigest.json(), byTag.json())
        assert.equal(byDigest.json().pull_time, '0001-01-01T00:00:00.000Z')
        const noTags = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/v2?with_tag=false`)
        assert.equal(noTags.json().tags, undefined)
        const nested = await api(u.guest!, 'GET', '/projects/team/repositories/a%252Fb/artifacts/v1')
        assertStatus(nested, 200)
        assert.equal(nested.json().repository_name, 'team/a/b')

        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/nope'), 404, 'NOT_FOUND', 'missing tag')
        assertError(await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/${MISSING_DIGEST}`), 404, 'NOT_FOUND', 'missing digest')
        // A digest from another repository is not in this one.
        assertError(await api(u.guest!, 'GET', `/projects/team/repositories/multi/artifacts/${img1.digest}`), 404, 'NOT_FOUND', 'other repository')
        assertError(await api(u.guest!, 'GET', '/projects/team/repositories/nope/artifacts/v1'), 404, 'NOT_FOUND', 'missing repository')
        for (const bad of ['bad!!', 'sha256:xyz', 'md5:abc']) {
          const res = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts/${bad}`)
          assertStatus(res, 400, bad)
        }
      })

      it('DELETE by tag deletes the artifact and all its tags; developer 403; index child 412; missing 404', async () => {
        const doomed = await pushImage(t.app, 'team/del', 'd1', 'team-del-1')
        await pushManifest(t.app, 'team/del', 'd1b', doomed.text, OCI_MANIFEST)
        const keep = await pushImage(t.app, 'team/del', 'keep', 'team-del-keep')
        assertError(await api(u.dev!, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.guest!, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 403, 'FORBIDDEN', 'guest')
        assertError(await api(u.other!, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(ANON, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 401, 'UNAUTHORIZED', 'anonymous')

        assertStatus(await api(u.maint!, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 200)
        assertError(await api(ADMIN, 'GET', `/projects/team/repositories/del/artifacts/${doomed.digest}`), 404, 'NOT_FOUND', 'by digest after')
        assertError(await api(ADMIN, 'GET', '/projects/team/repositories/del/artifacts/d1b'), 404, 'NOT_FOUND', 'other tag after')
        assertStatus(await c.registry('GET', '/v2/team/del/manifests/d1b'), 404, '/v2 other tag after')
        assertStatus(await c.registry('GET', `/v2/team/del/manifests/${doomed.digest}`), 404, '/v2 digest after')
        const left = await api(ADMIN, 'GET', '/projects/team/repositories/del/artifacts')
        assert.deepEqual(arts(left).map((a) => a.digest), [keep.digest])
        assertError(await api(u.maint!, 'DELETE', '/projects/team/repositories/del/artifacts/d1'), 404, 'NOT_FOUND', 'twice')
        assertError(await api(u.maint!, 'DELETE', `/projects/team/repositories/del/artifacts/${MISSING_DIGEST}`), 404, 'NOT_FOUND', 'missing digest')
        assertStatus(await api(u.maint!, 'DELETE', '/projects/team/repositories/del/artifacts/bad!!'), 400, 'bad reference')

        const child = await api(u.maint!, 'DELETE', `/projects/team/repositories/multi/artifacts/${multi.children[0]}`)
        assertStatus(child, 412, 'index child')
        assertStatus(await api(ADMIN, 'GET', `/projects/team/repositories/multi/artifacts/${multi.children[0]}`), 200, 'child still there')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('copy', () => {
      const copy = (who: Actor, target: string, from: string) => api(who, 'POST', `/projects/${target}/artifacts?from=${q(from)}`)

      it('from=project/repo:tag into another project: 201, pullable via /v2 with the same digest and tag', async () => {
        const res = await copy(u.dev!, 'dest/repositories/copied', 'team/app:v1')
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `${API}/projects/dest/repositories/copied/artifacts/${img1.digest}`)
        const m = await c.registry('GET', '/v2/dest/copied/manifests/v1')
        assertStatus(m, 200)
        assert.equal(header(m, 'docker-content-digest'), img1.digest)
        assert.equal(m.body, img1.text)
        assertStatus(await c.registry('GET', `/v2/dest/copied/blobs/${img1.config.digest}`), 200, 'config blob')
        assertStatus(await c.registry('GET', `/v2/dest/copied/blobs/${img1.layers[0]!.digest}`), 200, 'layer blob')
        const listed = await api(u.dev!, 'GET', '/projects/dest/repositories/copied/artifacts')
        assert.deepEqual(listed.json().map((a: Json) => [a.digest, a.tags.map((x: Json) => x.name)]), [[img1.digest, ['v1']]])
        assert.ok((await api(u.dev!, 'GET', '/projects/dest/repositories')).json().some((r: Json) => r.name === 'dest/copied'))
        // Within a project, into a nested repository.
        const nested = await copy(u.dev!, 'team/repositories/copies%252Fapp', 'team/app:v2')
        assertStatus(nested, 201, 'nested target')
        assert.equal(header(nested, 'location'), `${API}/projects/team/repositories/copies%252Fapp/artifacts/${img2.digest}`)
        assert.equal(header(await c.registry('GET', '/v2/team/copies/app/manifests/v2'), 'docker-content-digest'), img2.digest)
      })

      it('from=...@digest copies without a tag', async () => {
        const res = await copy(u.dev!, 'dest/repositories/bydigest', `team/app@${img3.digest}`)
        assertStatus(res, 201)
        const listed = await api(u.dev!, 'GET', '/projects/dest/repositories/bydigest/artifacts')
        assert.equal(totalOf(listed), 1)
        assert.equal(listed.json()[0].digest, img3.digest)
        assert.deepEqual(listed.json()[0].tags, [])
        assertStatus(await c.registry('GET', `/v2/dest/bydigest/manifests/${img3.digest}`), 200)
        assertStatus(await c.registry('GET', '/v2/dest/bydigest/manifests/beta'), 404, 'no tag came along')
      })

      it('a multi-arch index copies with its children', async () => {
        assertStatus(await copy(u.dev!, 'dest/repositories/multi', 'team/multi:multi'), 201)
        const m = await c.registry('GET', '/v2/dest/multi/manifests/multi')
        assertStatus(m, 200)
        assert.equal(header(m, 'docker-content-digest'), multi.digest)
        for (const child of multi.children) assertStatus(await c.registry('GET', `/v2/dest/multi/manifests/${child}`), 200, child)
        const listed = await api(u.dev!, 'GET', '/projects/dest/repositories/multi/artifacts')
        assert.equal(totalOf(listed), 1)
        const refs = listed.json()[0].references as Json[]
        assert.deepEqual(refs.map((r) => r.child_digest), multi.children)
        assert.ok(refs.every((r) => r.child_id > 0), 'children have ids in the target')
      })

      it('without pull on the source: 404 and nothing created; guest in the target: 403', async () => {
        const stolen = await copy(u.dev!, 'dest/repositories/stolen', 'secret/x:v1')
        assert.ok([403, 404].includes(stolen.statusCode), `got ${stolen.statusCode}: ${stolen.body}`)
        assertError(await api(ADMIN, 'GET', '/projects/dest/repositories/stolen'), 404, 'NOT_FOUND', 'nothing created')
        assertStatus(await c.registry('GET', '/v2/dest/stolen/manifests/v1'), 404)

        assertError(await copy(u.guest!, 'dest/repositories/byguest', 'team/app:v1'), 403, 'FORBIDDEN', 'guest target')
        assertError(await api(ADMIN, 'GET', '/projects/dest/repositories/byguest'), 404, 'NOT_FOUND', 'nothing created')
        assertError(await copy(u.other!, 'dest/repositories/byother', 'secret/x:v1'), 404, 'NOT_FOUND', 'non-member target')
        assertError(await copy(ANON, 'dest/repositories/byanon', 'team/app:v1'), 401, 'UNAUTHORIZED')
      })

      it('malformed from is 400; a missing source is 404', async () => {
        for (const from of ['team/app', 'nocolon', ':v1', '@sha256:abc', 'team/app:bad!!', 'team/app@sha256:xyz', 'Team/App:v1']) {
          assertStatus(await copy(u.dev!, 'dest/repositories/bad', from), 400, `from=${from}`)
        }
        assertError(await api(u.dev!, 'POST', '/projects/dest/repositories/bad/artifacts'), 400, 'BAD_REQUEST', 'no from')
        assertError(await copy(u.dev!, 'dest/repositories/bad', 'team/app:nope'), 404, 'NOT_FOUND', 'missing tag')
        assertError(await copy(u.dev!, 'dest/repositories/bad', `team/app@${MISSING_DIGEST}`), 404, 'NOT_FOUND', 'missing digest')
        assertError(await copy(u.dev!, 'dest/repositories/bad', 'team/nope:v1'), 404, 'NOT_FOUND', 'missing repository')
        assertError(await copy(u.dev!, 'dest/repositories/bad', 'nope/app:v1'), 404, 'NOT_FOUND', 'missing project')
        assertError(await api(ADMIN, 'GET', '/projects/dest/repositories/bad'), 404, 'NOT_FOUND', 'nothing created')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('tags', () => {
      const tagsPath = '/projects/team/repositories/app/artifacts'

      it("GET an artifact's tags with paging, X-Total-Count and Link; missing artifact 404", async () => {
        const all = await api(u.guest!, 'GET', `${tagsPath}/v1/tags`)
        assertStatus(all, 200)
        assert.equal(totalOf(all), 2)
        const tags = all.json() as Json[]
        assert.deepEqual(tags.map((x) => x.name), ['stable', 'v1'])
        const art = (await api(u.guest!, 'GET', `${tagsPath}/v1`)).json()
        for (const x of tags) {
          assert.equal(x.artifact_id, art.id)
          assert.equal(x.repository_id, art.repository_id)
          assert.equal(typeof x.id, 'number')
          assert.equal(x.immutable, false)
          assert.ok(!Number.isNaN(Date.parse(x.push_time)))
        }
        const first = await api(u.guest!, 'GET', `${tagsPath}/${img1.digest}/tags?page_size=1`)
        assertStatus(first, 200)
        assert.equal(totalOf(first), 2)
        assert.deepEqual(first.json().map((x: Json) => x.name), ['stable'])
        const next = linkRels(first).next
        assert.ok(next !== undefined)
        const second = await api(u.guest!, 'GET', next.slice(API.length))
        assert.deepEqual(second.json().map((x: Json) => x.name), ['v1'])
        assert.equal(linkRels(second).next, undefined)
        const filtered = await api(u.guest!, 'GET', `${tagsPath}/v1/tags?q=${q('name=~sta')}`)
        assert.deepEqual(filtered.json().map((x: Json) => x.name), ['stable'])
        const desc = await api(u.guest!, 'GET', `${tagsPath}/v1/tags?sort=-name`)
        assert.deepEqual(desc.json().map((x: Json) => x.name), ['v1', 'stable'])
        assertError(await api(u.guest!, 'GET', `${tagsPath}/v1/tags?q=${q('nope=1')}`), 400, 'BAD_REQUEST')
        assertError(await api(u.guest!, 'GET', `${tagsPath}/nope/tags`), 404, 'NOT_FOUND')
        assertError(await api(u.guest!, 'GET', `${tagsPath}/${MISSING_DIGEST}/tags`), 404, 'NOT_FOUND')
      })

      it('POST {name} (developer): 201 with Location, and the tag resolves via /v2', async () => {
        const res = await api(u.dev!, 'POST', `${tagsPath}/${img1.digest}/tags`, { name: 'newtag' })
        assertStatus(res, 201)
        assert.equal(header(res, 'location'), `${API}/projects/team/repositories/app/artifacts/${img1.digest}/tags/newtag`)
        const m = await c.registry('GET', '/v2/team/app/manifests/newtag')
        assertStatus(m, 200)
        assert.equal(header(m, 'docker-content-digest'), img1.digest)
        assert.deepEqual((await api(u.guest!, 'GET', `${tagsPath}/v1/tags`)).json().map((x: Json) => x.name), ['newtag', 'stable', 'v1'])
        // Through a tag reference and a nested repository as well.
        const nested = await api(u.dev!, 'POST', '/projects/team/repositories/a%252Fb/artifacts/v1/tags', { name: 'nested-new' })
        assertStatus(nested, 201)
        assert.equal(header(nested, 'location'), `${API}/projects/team/repositories/a%252Fb/artifacts/v1/tags/nested-new`)
        assert.equal(header(await c.registry('GET', '/v2/team/a/b/manifests/nested-new'), 'docker-content-digest'), (await api(ADMIN, 'GET', '/projects/team/repositories/a%2Fb/artifacts/v1')).json().digest)
      })

      it('a tag the repository has already is 409 (on this artifact or another); an invalid tag 400; guest 403', async () => {
        assertError(await api(u.dev!, 'POST', `${tagsPath}/v1/tags`, { name: 'v2' }), 409, 'CONFLICT', 'tag of another artifact')
        assertError(await api(u.dev!, 'POST', `${tagsPath}/v1/tags`, { name: 'stable' }), 409, 'CONFLICT', 'tag of this artifact')
        assert.equal(header(await c.registry('GET', '/v2/team/app/manifests/v2'), 'docker-content-digest'), img2.digest, 'v2 did not move')
        for (const name of ['bad tag', 'bad!!', '-lead', '.dot', 'x'.repeat(129), '']) {
          assertError(await api(u.dev!, 'POST', `${tagsPath}/v1/tags`, { name }), 400, 'BAD_REQUEST', JSON.stringify(name))
        }
        assertError(await api(u.dev!, 'POST', `${tagsPath}/v1/tags`, {}), 400, 'BAD_REQUEST', 'no name')
        assertError(await api(u.guest!, 'POST', `${tagsPath}/v1/tags`, { name: 'by-guest' }), 403, 'FORBIDDEN')
        assertError(await api(u.other!, 'POST', `${tagsPath}/v1/tags`, { name: 'by-other' }), 404, 'NOT_FOUND')
        assertError(await api(u.dev!, 'POST', `${tagsPath}/nope/tags`, { name: 'on-missing' }), 404, 'NOT_FOUND')
        assertStatus(await c.registry('GET', '/v2/team/app/manifests/by-guest'), 404)
      })

      it('DELETE a tag of this artifact: 200 (maintainer); a tag of another artifact 404; developer 403', async () => {
        assertError(await api(u.dev!, 'DELETE', `${tagsPath}/v1/tags/newtag`), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.maint!, 'DELETE', `${tagsPath}/${img1.digest}/tags/v2`), 404, 'NOT_FOUND', "another artifact's tag")
        assert.equal(header(await c.registry('GET', '/v2/team/app/manifests/v2'), 'docker-content-digest'), img2.digest, 'v2 untouched')
        assertError(await api(u.maint!, 'DELETE', `${tagsPath}/v1/tags/nope`), 404, 'NOT_FOUND', 'missing tag')

        assertStatus(await api(u.maint!, 'DELETE', `${tagsPath}/v1/tags/newtag`), 200)
        assertStatus(await c.registry('GET', '/v2/team/app/manifests/newtag'), 404, 'tag gone from /v2')
        assertStatus(await c.registry('GET', `/v2/team/app/manifests/${img1.digest}`), 200, 'artifact stays')
        assertError(await api(u.maint!, 'DELETE', `${tagsPath}/v1/tags/newtag`), 404, 'NOT_FOUND', 'twice')
        assert.deepEqual((await api(u.guest!, 'GET', `${tagsPath}/v1/tags`)).json().map((x: Json) => x.name), ['stable', 'v1'])
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('labels', () => {
      let global1 = 0
      let teamLabel = 0
      let secretLabel = 0

      it('POST /labels global by an administrator: 201 with Location; GET shows it', async () => {
        global1 = await c.createLabel(ADMIN, { name: 'g-one', description: 'first', color: '#112233', scope: 'g' })
        const got = await api(u.guest!, 'GET', `/labels/${global1}`)
        assertStatus(got, 200)
        const l = got.json()
        assert.equal(l.id, global1)
        assert.equal(l.name, 'g-one')
        assert.equal(l.description, 'first')
        assert.equal(l.color, '#112233')
        assert.equal(l.scope, 'g')
        assert.equal(l.project_id, 0)
        assert.ok(!Number.isNaN(Date.parse(l.creation_time)) && !Number.isNaN(Date.parse(l.update_time)))
        await c.createLabel(ADMIN, { name: 'g-two', scope: 'g' })
        await c.createLabel(ADMIN, { name: 'g-three', scope: 'g', color: '' })
      })

      it('global labels: non-admin 403, anonymous 401, duplicate 409, bad color or name 400', async () => {
        assertError(await api(u.padm!, 'POST', '/labels', { name: 'g-by-padm', scope: 'g' }), 403, 'FORBIDDEN', 'project admin')
        assertError(await api(ANON, 'POST', '/labels', { name: 'g-by-anon', scope: 'g' }), 401, 'UNAUTHORIZED')
        assertError(await api(ADMIN, 'POST', '/labels', { name: 'g-one', scope: 'g' }), 409, 'CONFLICT', 'duplicate')
        for (const color of ['red', '#zzzzzz', '#12345', '112233']) {
          assertError(await api(ADMIN, 'POST', '/labels', { name: `g-${color}`, scope: 'g', color }), 400, 'BAD_REQUEST', color)
        }
        assertError(await api(ADMIN, 'POST', '/labels', { name: '', scope: 'g' }), 400, 'BAD_REQUEST', 'empty name')
        assertError(await api(ADMIN, 'POST', '/labels', { name: 'x', scope: 'z' }), 400, 'BAD_REQUEST', 'bad scope')
        assertError(await api(ADMIN, 'POST', '/labels', { name: 'x' }), 400, 'BAD_REQUEST', 'no scope')
        assertError(await api(ADMIN, 'POST', '/labels', { name: 'x', scope: 'g', project_id: pid.team }), 400, 'BAD_REQUEST', 'global with project_id')
        assertError(await api(ADMIN, 'POST', '/labels', { name: 'x', scope: 'g', bogus: true }), 400, 'BAD_REQUEST', 'unknown field')
        const names = ((await api(ADMIN, 'GET', '/labels?scope=g&page_size=100')).json() as Json[]).map((l) => l.name)
        assert.deepEqual(names, ['g-one', 'g-three', 'g-two'])
      })

      it('project labels: project admin 201, maintainer 201, developer 403, non-member 404, no project_id 400', async () => {
        teamLabel = await c.createLabel(u.padm!, { name: 'p-team', color: '#AABBCC', scope: 'p', project_id: pid.team })
        await c.createLabel(u.maint!, { name: 'p-team-2', scope: 'p', project_id: pid.team })
        secretLabel = await c.createLabel(u.other!, { name: 'p-secret', scope: 'p', project_id: pid.secret })
        const got = (await api(u.guest!, 'GET', `/labels/${teamLabel}`)).json()
        assert.equal(got.scope, 'p')
        assert.equal(got.project_id, pid.team)
        assertError(await api(u.dev!, 'POST', '/labels', { name: 'p-by-dev', scope: 'p', project_id: pid.team }), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.other!, 'POST', '/labels', { name: 'p-by-other', scope: 'p', project_id: pid.team }), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(u.padm!, 'POST', '/labels', { name: 'p-none', scope: 'p' }), 400, 'BAD_REQUEST', 'no project_id')
        assertError(await api(u.padm!, 'POST', '/labels', { name: 'p-team', scope: 'p', project_id: pid.team }), 409, 'CONFLICT', 'duplicate in project')
        // The same name in another scope is fine.
        await c.createLabel(u.padm!, { name: 'g-one', scope: 'p', project_id: pid.team })
      })

      it('GET /labels?scope=g and ?scope=p&project_id= with paging; a project the caller cannot see 404', async () => {
        const g = await api(u.dev!, 'GET', '/labels?scope=g')
        assertStatus(g, 200)
        assert.equal(totalOf(g), 3)
        assert.ok((g.json() as Json[]).every((l) => l.scope === 'g'))
        const page = await api(u.dev!, 'GET', '/labels?scope=g&page=1&page_size=2')
        assert.equal(page.json().length, 2)
        assert.equal(totalOf(page), 3)
        const next = linkRels(page).next
        assert.ok(next !== undefined)
        assert.equal((await api(u.dev!, 'GET', next.slice(API.length))).json().length, 1)
        const byName = await api(u.dev!, 'GET', '/labels?scope=g&name=two')
        assert.deepEqual(byName.json().map((l: Json) => l.name), ['g-two'])
        const byQ = await api(u.dev!, 'GET', `/labels?scope=g&q=${q('name=g-one')}`)
        assert.deepEqual(byQ.json().map((l: Json) => l.name), ['g-one'])
        const desc = await api(u.dev!, 'GET', '/labels?scope=g&sort=-name')
        assert.deepEqual(desc.json().map((l: Json) => l.name), ['g-two', 'g-three', 'g-one'])

        const p = await api(u.guest!, 'GET', `/labels?scope=p&project_id=${pid.team}`)
        assertStatus(p, 200)
        assert.deepEqual(p.json().map((l: Json) => l.name), ['g-one', 'p-team', 'p-team-2'])
        assert.ok((p.json() as Json[]).every((l) => l.scope === 'p' && l.project_id === pid.team))
        assert.equal(totalOf(p), 3)
        assertError(await api(u.dev!, 'GET', `/labels?scope=p&project_id=${pid.secret}`), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(u.dev!, 'GET', '/labels?scope=p'), 400, 'BAD_REQUEST', 'no project_id')
        assertError(await api(u.dev!, 'GET', '/labels?scope=x'), 400, 'BAD_REQUEST', 'bad scope')
        assertError(await api(u.dev!, 'GET', `/labels?scope=g&q=${q('nope=1')}`), 400, 'BAD_REQUEST', 'unknown q key')
        assertError(await api(ANON, 'GET', '/labels?scope=g'), 401, 'UNAUTHORIZED')
      })

      it('GET /labels/{id}: any signed-in caller for a global one; a project label of another project 404; missing 404', async () => {
        assertStatus(await api(u.other!, 'GET', `/labels/${global1}`), 200)
        assertError(await api(ANON, 'GET', `/labels/${global1}`), 401, 'UNAUTHORIZED')
        assertError(await api(u.dev!, 'GET', `/labels/${secretLabel}`), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(u.other!, 'GET', `/labels/${teamLabel}`), 404, 'NOT_FOUND', 'non-member')
        assertStatus(await api(u.other!, 'GET', `/labels/${secretLabel}`), 200)
        assertError(await api(ADMIN, 'GET', '/labels/999999'), 404, 'NOT_FOUND')
        assertError(await api(ADMIN, 'GET', '/labels/abc'), 400, 'BAD_REQUEST')
      })

      it('PUT /labels/{id}: admin for global, project admin for project labels; others 403/404; 409 on a taken name; 400 on bad input', async () => {
        assertStatus(await api(ADMIN, 'PUT', `/labels/${global1}`, { description: 'changed', color: '#445566' }), 200)
        let l = (await api(u.dev!, 'GET', `/labels/${global1}`)).json()
        assert.equal(l.description, 'changed')
        assert.equal(l.color, '#445566')
        assert.equal(l.name, 'g-one')
        assertError(await api(u.padm!, 'PUT', `/labels/${global1}`, { description: 'by padm' }), 403, 'FORBIDDEN', 'non-admin global')
        assertError(await api(ADMIN, 'PUT', `/labels/${global1}`, { name: 'g-two' }), 409, 'CONFLICT', 'taken name')
        assertError(await api(ADMIN, 'PUT', `/labels/${global1}`, { color: 'blue' }), 400, 'BAD_REQUEST', 'bad color')
        assertError(await api(ADMIN, 'PUT', `/labels/${global1}`, { bogus: 1 }), 400, 'BAD_REQUEST', 'unknown field')
        assertError(await api(ADMIN, 'PUT', '/labels/999999', { description: 'x' }), 404, 'NOT_FOUND', 'missing')

        assertStatus(await api(u.padm!, 'PUT', `/labels/${teamLabel}`, { description: 'team label' }), 200)
        assertError(await api(u.dev!, 'PUT', `/labels/${teamLabel}`, { description: 'by dev' }), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.other!, 'PUT', `/labels/${teamLabel}`, { description: 'by other' }), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(u.padm!, 'PUT', `/labels/${teamLabel}`, { name: 'p-team-2' }), 409, 'CONFLICT', 'taken in project')
        l = (await api(u.guest!, 'GET', `/labels/${teamLabel}`)).json()
        assert.equal(l.description, 'team label')
        assert.equal(l.name, 'p-team')
        // Harbor's UI sends the whole label back: the read-only fields are accepted.
        assertStatus(await api(ADMIN, 'PUT', `/labels/${global1}`, { ...l, id: global1, name: 'g-one', scope: 'g', project_id: 0 }), 200, 'whole label')
      })

      it('attach to an artifact (developer): 200; again 409; a label of another project 404; with_label=true shows it', async () => {
        const path = '/projects/team/repositories/app/artifacts/v2/labels'
        assertStatus(await api(u.dev!, 'POST', path, { id: global1 }), 200)
        assertError(await api(u.dev!, 'POST', path, { id: global1 }), 409, 'CONFLICT', 'again')
        assertStatus(await api(u.dev!, 'POST', path, { id: teamLabel }), 200, 'project label')
        assertError(await api(u.dev!, 'POST', path, { id: secretLabel }), 404, 'NOT_FOUND', 'label of another project')
        assertError(await api(ADMIN, 'POST', path, { id: secretLabel }), 404, 'NOT_FOUND', 'label of another project, admin')
        assertError(await api(u.dev!, 'POST', path, { id: 999999 }), 404, 'NOT_FOUND', 'missing label')
        assertError(await api(u.dev!, 'POST', path, {}), 400, 'BAD_REQUEST', 'no id')
        assertError(await api(u.dev!, 'POST', '/projects/team/repositories/app/artifacts/nope/labels', { id: global1 }), 404, 'NOT_FOUND', 'missing artifact')
        assertError(await api(u.guest!, 'POST', path, { id: global1 }), 403, 'FORBIDDEN', 'guest')
        assertError(await api(u.other!, 'POST', path, { id: global1 }), 404, 'NOT_FOUND', 'non-member')

        const one = await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v2?with_label=true')
        assertStatus(one, 200)
        assert.deepEqual(one.json().labels.map((l: Json) => l.id), [global1, teamLabel])
        assert.equal(one.json().labels[0].name, 'g-one')
        const listed = (await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts?with_label=true')).json() as Json[]
        for (const a of listed) assert.deepEqual(a.labels.map((l: Json) => l.id), a.digest === img2.digest ? [global1, teamLabel] : [], a.digest)
        assert.equal((await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v2')).json().labels, undefined)
      })

      it('Harbor\'s q=labels=(id) filter on the artifact listing', { todo: 'server gap: the labels key of q is not supported (400); swagger documents labels=(id1, id2)' }, async () => {
        const res = await api(u.guest!, 'GET', `/projects/team/repositories/app/artifacts?q=${q(`labels=(${global1})`)}`)
        assertStatus(res, 200)
        assert.deepEqual(res.json().map((a: Json) => a.digest), [img2.digest])
      })

      it('DELETE .../labels/{id}: 200, then 404; guest 403', async () => {
        const path = '/projects/team/repositories/app/artifacts/v2/labels'
        assertError(await api(u.guest!, 'DELETE', `${path}/${global1}`), 403, 'FORBIDDEN', 'guest')
        assertStatus(await api(u.dev!, 'DELETE', `${path}/${global1}`), 200)
        assertError(await api(u.dev!, 'DELETE', `${path}/${global1}`), 404, 'NOT_FOUND', 'twice')
        assertError(await api(u.dev!, 'DELETE', `${path}/999999`), 404, 'NOT_FOUND', 'missing label')
        assertError(await api(u.dev!, 'DELETE', `${path}/abc`), 400, 'BAD_REQUEST', 'non-numeric')
        const one = (await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v2?with_label=true')).json()
        assert.deepEqual(one.labels.map((l: Json) => l.id), [teamLabel])
      })

      it('DELETE /labels/{id}: detaches it everywhere; non-member 404; developer 403; non-admin global 403; missing 404', async () => {
        assertError(await api(u.other!, 'DELETE', `/labels/${teamLabel}`), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(u.dev!, 'DELETE', `/labels/${teamLabel}`), 403, 'FORBIDDEN', 'developer')
        assertError(await api(u.padm!, 'DELETE', `/labels/${global1}`), 403, 'FORBIDDEN', 'non-admin global')
        assertStatus(await api(u.padm!, 'DELETE', `/labels/${teamLabel}`), 200)
        assertError(await api(u.padm!, 'GET', `/labels/${teamLabel}`), 404, 'NOT_FOUND', 'after')
        assertError(await api(u.padm!, 'DELETE', `/labels/${teamLabel}`), 404, 'NOT_FOUND', 'twice')
        const one = (await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v2?with_label=true')).json()
        assert.deepEqual(one.labels, [], 'detached')

        assertStatus(await api(u.dev!, 'POST', '/projects/team/repositories/app/artifacts/v1/labels', { id: global1 }), 200)
        assertStatus(await api(ADMIN, 'DELETE', `/labels/${global1}`), 200)
        const v1 = (await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/v1?with_label=true')).json()
        assert.deepEqual(v1.labels, [], 'global label detached')
        assertError(await api(ADMIN, 'DELETE', '/labels/999999'), 404, 'NOT_FOUND', 'missing')
        assertError(await api(ANON, 'DELETE', `/labels/${secretLabel}`), 401, 'UNAUTHORIZED')
      })
    })

    // ------------------------------------------------------------------------------------------
    describe('Harbor conformance', () => {
      it("a bad reference or from answers Harbor's BAD_REQUEST code, not an OCI one", async () => {
        const got: string[] = []
        for (const res of [
          await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/bad!!'),
          await api(u.guest!, 'GET', '/projects/team/repositories/app/artifacts/sha256:xyz'),
          await api(u.dev!, 'POST', `/projects/dest/repositories/bad/artifacts?from=${q('team/app:bad!!')}`),
          await api(u.dev!, 'POST', `/projects/dest/repositories/bad/artifacts?from=${q('team/app@sha256:xyz')}`),
        ]) {
          assertStatus(res, 400)
          got.push(res.json().errors[0].code)
        }
        assert.deepEqual(got, ['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST'])
      })

      it('a body field of the wrong JSON type is 400, not coerced to a string', async () => {
        const put = await api(u.dev!, 'PUT', '/projects/team/repositories/multi', { description: 42 })
        const post = await api(u.dev!, 'POST', '/projects/team/repositories/app/artifacts/beta/tags', { name: 7 })
        if (post.statusCode === 201) await api(ADMIN, 'DELETE', '/projects/team/repositories/app/artifacts/beta/tags/7')
        assertError(put, 400, 'BAD_REQUEST', 'description: 42')
        assertError(post, 400, 'BAD_REQUEST', 'name: 7')
      })

      it('PUT a repository as a generated Harbor client sends it (artifact_count and pull_count always present)', async () => {
        assertStatus(await api(u.dev!, 'PUT', '/projects/team/repositories/multi', { description: 'from a client', artifact_count: 0, pull_count: 0 }), 200)
        assert.equal((await api(u.dev!, 'GET', '/projects/team/repositories/multi')).json().description, 'from a client')
      })

      it('DELETE of an artifact deletes its signatures with it, as Harbor does', async () => {
        const subject = await pushImage(t.app, 'team/signed', 's1', 'team-signed-1')
        const signature = await pushUntagged(t.app, 'team/signed', 'team-signed-1-sig', { subject: descriptorOf(OCI_MANIFEST, subject.text), artifactType: COSIGN })
        assertStatus(await api(u.maint!, 'DELETE', '/projects/team/repositories/signed/artifacts/s1'), 200)
        assertError(await api(ADMIN, 'GET', `/projects/team/repositories/signed/artifacts/${signature.digest}`), 404, 'NOT_FOUND', 'signature by digest')
        assertStatus(await c.registry('GET', `/v2/team/signed/manifests/${signature.digest}`), 404, '/v2 signature')
      })

      it('a copy carries the signatures of the artifact, as Harbor does', { todo: 'server gap: POST .../artifacts?from= copies the artifact without its accessories (cosign verify fails on the copy)' }, async () => {
        assertStatus(await api(u.dev!, 'POST', `/projects/dest/repositories/signedcopy/artifacts?from=${q('team/app:v1')}`), 201)
        const got = await api(u.dev!, 'GET', '/projects/dest/repositories/signedcopy/artifacts/v1?with_accessory=true')
        assertStatus(got, 200)
        assert.deepEqual(got.json().accessories.map((a: Json) => a.digest), [sig.digest])
      })

      it('a tagged child of an index is listed on its own, as Harbor lists it', { todo: 'server gap: children of an index are hidden from the listing even when tagged (Harbor hides only untagged ones)' }, async () => {
        assertStatus(await api(u.dev!, 'POST', `/projects/team/repositories/multi/artifacts/${multi.children[0]}/tags`, { name: 'amd64-only' }), 201)
        const res = await api(u.guest!, 'GET', '/projects/team/repositories/multi/artifacts')
        assert.deepEqual(res.json().map((a: Json) => a.digest).sort(), [multi.digest, multi.children[0]].sort())
      })
    })
  })
}
