// Storage quotas end to end through app.inject() on both dialects: usage with shared layers and
// deletes, pushes refused past the limit (and racing it), /quotas and PUT /quotas/{id} with
// their role matrix and bad bodies, storage_limit and storage_per_project on creation, the
// QUOTA_WARNING and QUOTA_EXCEED events, and artifact sizes as Harbor reports them.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import {
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
  assertOciError,
  bytesOf,
  descriptorOf,
  header,
  indexText,
  manifestText,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  withAuthorization,
  type App,
  type Descriptor,
  type Response,
} from '../oci/oci-test-support.js'
import { assertError, assertStatus, linkRels, totalOf } from './api-test-support.js'

const BASE = '/api/v2.0'
const PASSWORD = 'Quota-Test-Passw0rd'

/** A parsed JSON body, read field by field. */
type Json = any

/** Bytes an image of pushImage's making adds to a project that holds none of it. */
function bytesOfImage(img: { size: number; config: Descriptor; layers: Descriptor[] }): number {
  return img.size + img.config.size + img.layers.reduce((n, l) => n + l.size, 0)
}

/** Pushes a config unique to `label` and the given layers (pushed again: harmless), then the manifest. */
async function pushWithLayers(app: App, repo: string, ref: string, label: string, layers: Buffer[]): Promise<{ digest: string; size: number; config: Descriptor; layers: Descriptor[]; text: string }> {
  const configBytes = JSON.stringify({ label, architecture: 'amd64', os: 'linux' })
  await pushBlob(app, repo, configBytes)
  for (const l of layers) await pushBlob(app, repo, l)
  const doc = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, configBytes), layers: layers.map((l) => descriptorOf(OCI_LAYER, l)) }
  const text = manifestText(doc)
  const digest = await pushManifest(app, repo, ref, text, OCI_MANIFEST)
  return { digest, size: Buffer.byteLength(text), config: doc.config, layers: doc.layers, text }
}

for (const dialect of DIALECTS) {
  describe(`storage quotas (${dialect})`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    let app: App
    const who: Record<string, Record<string, string>> = {}
    const send = (as: Record<string, string>, method: InjectOptions['method'], path: string, payload?: unknown): Promise<Response> =>
      berth.app.inject({ method, url: `${BASE}${path}`, headers: { ...as }, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) }) as Promise<Response>
    const admin: Record<string, string> = { authorization: ADMIN_AUTH }
    const projectId = async (name: string, as = admin, body: Json = {}): Promise<number> => {
      const res = await send(as, 'POST', '/projects', { project_name: name, ...body })
      assertStatus(res, 201, `create ${name}`)
      return Number(/(\d+)$/.exec(String(res.headers.location))![1])
    }
    const quota = async (id: number): Promise<Json> => {
      const res = await send(admin, 'GET', `/quotas/${id}`)
      assertStatus(res, 200, `quota ${id}`)
      return res.json()
    }
    const used = async (id: number): Promise<number> => (await quota(id)).used.storage
    // What a subscriber to the quota events was handed (its jobs), without the time of each.
    const events = async (type: string): Promise<Json[]> =>
      (await berth.db.kysely.selectFrom('jobs').select('payload').where('type', '=', 'EVENT:quota-test').execute())
        .map((r) => JSON.parse(r.payload))
        .filter((e) => e.type === type)
        .map(({ occurredAt, ...e }) => (assert.ok(!Number.isNaN(Date.parse(occurredAt))), e))

    // team (members of every role), for the role matrix of PUT /quotas.
    let team: number
    before(async () => {
      berth = await createTestBerth(dialect)
      berth.events.subscribe({ name: 'quota-test', types: ['QUOTA_WARNING', 'QUOTA_EXCEED'], handle: async () => {} })
      app = withAuthorization(berth.app, ADMIN_AUTH)
      team = await projectId('team')
      const roles: [string, number][] = [['owner', 1], ['maintainer', 4], ['developer', 2], ['guest', 3], ['limited', 5], ['outsider', 0]]
      for (const [name, role] of roles) {
        assertStatus(await send(admin, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201, name)
        if (role > 0) assertStatus(await send(admin, 'POST', '/projects/team/members', { role_id: role, member_user: { username: name } }), 201, `member ${name}`)
        who[name] = { authorization: basicAuth(name, PASSWORD) }
      }
      const robot = await send(admin, 'POST', '/robots', { name: 'quota-reader', level: 'system', duration: -1, permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'quota', action: 'list' }, { resource: 'quota', action: 'read' }] }] })
      assertStatus(robot, 201, 'robot')
      who.robot = { authorization: basicAuth(robot.json().name, robot.json().secret) }
    })
    after(() => berth?.destroy())

    it('counts a layer shared by artifacts of one project once, manifests too; deletes give back exactly what no artifact references', async () => {
      const id = await projectId('shared')
      assert.equal(await used(id), 0)
      const a = await pushImage(app, 'shared/a', 'v1', 'quota-shared-a')
      assert.equal(await used(id), bytesOfImage(a))
      // b shares a's layer; c holds a's very manifest in another repository.
      const layer = bytesOf('layer:quota-shared-a', 300)
      const b = await pushWithLayers(app, 'shared/b', 'v1', 'quota-shared-b', [layer])
      assert.equal(await used(id), bytesOfImage(a) + b.size + b.config.size)
      await pushBlob(app, 'shared/c', JSON.stringify({ label: 'quota-shared-a', architecture: 'amd64', os: 'linux' }))
      await pushBlob(app, 'shared/c', layer)
      await pushManifest(app, 'shared/c', 'v1', a.text, OCI_MANIFEST)
      const all = bytesOfImage(a) + b.size + b.config.size
      assert.equal(await used(id), all)
      // Blobs of a push that never completes do not count.
      await pushBlob(app, 'shared/a', bytesOf('abandoned', 5000))
      assert.equal(await used(id), all)

      assertStatus(await app.inject({ method: 'DELETE', url: `/v2/shared/a/manifests/${a.digest}` }), 202)
      assert.equal(await used(id), all, 'c still references everything a did')
      assertStatus(await send(admin, 'DELETE', '/projects/shared/repositories/c'), 200)
      assert.equal(await used(id), bytesOfImage(a) - a.size - a.config.size + b.size + b.config.size, "a's manifest and config leave; the layer stays for b")
      assertStatus(await send(admin, 'DELETE', `/projects/shared/repositories/b/artifacts/${b.digest}`), 200)
      assert.equal(await used(id), 0)
      const rows = await berth.db.kysely.selectFrom('project_blobs').select('digest').where('project_id', '=', id).execute()
      assert.deepEqual(rows, [])
    })

    it('a referrer deleted with its subject gives its bytes back too', async () => {
      const id = await projectId('referred')
      const subject = await pushImage(app, 'referred/app', 'v1', 'quota-subject')
      const sig = await pushImage(app, 'referred/app', sha(subject.digest), 'quota-signature', { subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size }, artifactType: 'application/x.sig' })
      assert.equal(await used(id), bytesOfImage(subject) + bytesOfImage(sig))
      assertStatus(await app.inject({ method: 'DELETE', url: `/v2/referred/app/manifests/${subject.digest}` }), 202)
      assert.equal(await used(id), 0)
    })

    it('refuses a push past the limit with DENIED naming the numbers, stores nothing, and records QUOTA_EXCEED once', async () => {
      await projectId('limited-p')
      const first = await pushImage(app, 'limited-p/probe', 'v1', 'quota-limit-1')
      const need = bytesOfImage(first)
      // Room for one image of this size and a half.
      const id = await projectId('limited-p-2', admin, { storage_limit: Math.floor(need * 1.5) })
      assert.equal((await quota(id)).hard.storage, Math.floor(need * 1.5))
      const one = await pushImage(app, 'limited-p-2/app', 'v1', 'quota-limit-2')
      const before = await used(id)
      assert.equal(before, bytesOfImage(one))
      const config = JSON.stringify({ label: 'quota-limit-3', architecture: 'amd64', os: 'linux' })
      const layer = bytesOf('layer:quota-limit-3', 300)
      await pushBlob(app, 'limited-p-2/other', config)
      await pushBlob(app, 'limited-p-2/other', layer)
      const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, config), layers: [descriptorOf(OCI_LAYER, layer)] })
      const res = await putManifest(app, 'limited-p-2/other', 'v1', text, OCI_MANIFEST)
      const err = assertOciError(res, 403, 'DENIED')
      const needed = Buffer.byteLength(text) + Buffer.byteLength(config) + layer.length
      for (const n of [before, needed, Math.floor(need * 1.5)]) assert.match(err.message ?? '', new RegExp(`\\b${n} bytes\\b`), `message names ${n}: ${err.message}`)
      assert.equal(await used(id), before)
      assertStatus(await app.inject({ method: 'GET', url: '/v2/limited-p-2/other/manifests/v1' }), 404)
      assertStatus(await app.inject({ method: 'GET', url: `/v2/limited-p-2/other/manifests/${sha256Of(text)}` }), 404)
      // The blob uploads made the repository; no artifact and no tag came of the refused manifest.
      const arts = await send(admin, 'GET', '/projects/limited-p-2/repositories/other/artifacts')
      assertStatus(arts, 200)
      assert.equal(totalOf(arts), 0)
      assert.deepEqual((await app.inject({ method: 'GET', url: '/v2/limited-p-2/other/tags/list' })).json().tags ?? [], [])
      const exceeded = (await events('QUOTA_EXCEED')).filter((e) => e.project === 'limited-p-2')
      assert.deepEqual(exceeded, [{ type: 'QUOTA_EXCEED', repository: 'limited-p-2/other', project: 'limited-p-2', used: before, hard: Math.floor(need * 1.5), needed, path: [], operator: 'admin' }])

      // Through the API too (a copy is a push): refused with 403, nothing copied.
      assertError(await send(admin, 'POST', `/projects/limited-p-2/repositories/copy/artifacts?from=limited-p/probe:v1`), 403, 'FORBIDDEN')
      assert.equal(await used(id), before)
      // A larger limit lets the same push through.
      assertStatus(await send(admin, 'PUT', `/quotas/${id}`, { hard: { storage: -1 } }), 200)
      assertStatus(await putManifest(app, 'limited-p-2/other', 'v1', text, OCI_MANIFEST), 201)
      assert.equal(await used(id), before + needed)
    })

    it('records QUOTA_WARNING once when a push crosses the warning level', async () => {
      await projectId('warn-probe')
      const probe = await pushWithLayers(app, 'warn-probe/app', 'v1', 'quota-warn-probe', [bytesOf('warn-probe', 10_000)])
      const size = bytesOfImage(probe)
      // 85% of the limit is between one and two images: the second push crosses it.
      const id = await projectId('warned', admin, { storage_limit: Math.ceil((size * 2) / 0.9) })
      await pushWithLayers(app, 'warned/app', 'v1', 'quota-warn-1', [bytesOf('warn-1', 10_000)])
      assert.deepEqual((await events('QUOTA_WARNING')).filter((e) => e.project === 'warned'), [])
      await pushWithLayers(app, 'warned/app', 'v2', 'quota-warn-2', [bytesOf('warn-2', 10_000)])
      const warned = (await events('QUOTA_WARNING')).filter((e) => e.project === 'warned')
      assert.equal(warned.length, 1)
      assert.equal(warned[0].used, await used(id))
      assert.equal(warned[0].hard, Math.ceil((size * 2) / 0.9))
      // A small push that stays above the level is no new crossing.
      await pushImage(app, 'warned/app', 'v3', 'quota-warn-3', { noLayers: true })
      assert.equal((await events('QUOTA_WARNING')).filter((e) => e.project === 'warned').length, 1)
    })

    it('lets exactly as many racing pushes through as fit, and usage is their sum', async () => {
      const MiB = 1 << 20
      const N = 8
      const images = Array.from({ length: N }, (_, i) => {
        const config = JSON.stringify({ label: `race-${i}`, architecture: 'amd64', os: 'linux' })
        const layer = bytesOf(`race-layer-${i}`, MiB)
        const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, config), layers: [descriptorOf(OCI_LAYER, layer)] })
        return { config, layer, text, bytes: Buffer.byteLength(text) + Buffer.byteLength(config) + layer.length }
      })
      const biggest = Math.max(...images.map((x) => x.bytes))
      const id = await projectId('race', admin, { storage_limit: 3 * biggest + Math.floor(biggest / 2) })
      for (const [i, x] of images.entries()) {
        await pushBlob(app, `race/app${i}`, x.config)
        await pushBlob(app, `race/app${i}`, x.layer)
      }
      const results = await Promise.all(images.map((x, i) => putManifest(app, `race/app${i}`, 'v1', x.text, OCI_MANIFEST)))
      const passed = results.map((r, i) => [r, i] as const).filter(([r]) => r.statusCode === 201)
      for (const r of results) if (r.statusCode !== 201) assertOciError(r, 403, 'DENIED')
      assert.equal(passed.length, 3, results.map((r) => r.statusCode).join(','))
      assert.equal(await used(id), passed.reduce((n, [, i]) => n + images[i]!.bytes, 0))
      assert.equal((await events('QUOTA_EXCEED')).filter((e) => e.project === 'race').length, N - 3)
    })

    it('PUT /quotas/{id}: administrators only; every other caller refused, nothing changed', async () => {
      const refused: [string, number, string][] = [
        ['owner', 403, 'FORBIDDEN'],
        ['maintainer', 403, 'FORBIDDEN'],
        ['developer', 403, 'FORBIDDEN'],
        ['guest', 403, 'FORBIDDEN'],
        ['limited', 403, 'FORBIDDEN'],
        ['outsider', 403, 'FORBIDDEN'],
        ['robot', 403, 'FORBIDDEN'],
      ]
      for (const [name, status, code] of refused) assertError(await send(who[name]!, 'PUT', `/quotas/${team}`, { hard: { storage: 1000 } }), status, code, name)
      assertError(await send({}, 'PUT', `/quotas/${team}`, { hard: { storage: 1000 } }), 401, 'UNAUTHORIZED', 'anonymous')
      assert.equal((await quota(team)).hard.storage, -1)
      assertStatus(await send(admin, 'PUT', `/quotas/${team}`, { hard: { storage: 1000 } }), 200)
      assert.equal((await quota(team)).hard.storage, 1000)
      // Reading: administrators and the system robot granted it; members are not.
      assertStatus(await send(who.robot!, 'GET', `/quotas/${team}`), 200)
      assertError(await send(who.owner!, 'GET', `/quotas/${team}`), 403, 'FORBIDDEN')
      assertStatus(await send(admin, 'PUT', `/quotas/${team}`, { hard: { storage: -1 } }), 200)
    })

    it('PUT /quotas/{id}: bad bodies and ids answer 400 or 404 and change nothing', async () => {
      const bad: unknown[] = [
        {},
        { hard: {} },
        { hard: { storage: -2 } },
        { hard: { storage: 0 } },
        { hard: { storage: 1.5 } },
        { hard: { storage: '100' } },
        { hard: { count: 5 } },
        { hard: { storage: 100, count: 5 } },
        { hard: { storage: 100 }, extra: 1 },
        { hard: { storage: 2 ** 60 } },
        { hard: { ['x'.repeat(100)]: 1 } },
        [],
        'storage=1',
      ]
      for (const body of bad) assertError(await send(admin, 'PUT', `/quotas/${team}`, body), 400, 'BAD_REQUEST', JSON.stringify(body).slice(0, 80))
      assertError(await send(admin, 'PUT', '/quotas/99999999', { hard: { storage: 1 } }), 404, 'NOT_FOUND')
      assertError(await send(admin, 'PUT', '/quotas/abc', { hard: { storage: 1 } }), 400, 'BAD_REQUEST')
      const huge = { hard: { storage: 1 }, pad: 'x'.repeat(2 << 20) }
      const res = await send(admin, 'PUT', `/quotas/${team}`, huge)
      assert.ok(res.statusCode === 413 || res.statusCode === 400, `huge body: ${res.statusCode}`)
      assert.equal((await quota(team)).hard.storage, -1)
    })

    it('GET /quotas: paged with X-Total-Count and Link, sorted, filtered by reference; bad values 400', async () => {
      const all = await send(admin, 'GET', '/quotas?page_size=100')
      assertStatus(all, 200)
      const total = totalOf(all)
      assert.ok(total >= 2)
      const first = await send(admin, 'GET', '/quotas?page=1&page_size=1')
      assert.equal(first.json().length, 1)
      assert.equal(totalOf(first), total)
      assert.ok(linkRels(first).next?.includes('page=2'))
      const sorted = (await send(admin, 'GET', '/quotas?sort=-used.storage&page_size=100')).json() as Json[]
      const usedList = sorted.map((q) => q.used.storage)
      assert.deepEqual(usedList, [...usedList].sort((x, y) => y - x))
      const one = await send(admin, 'GET', `/quotas?reference=project&reference_id=${team}`)
      assert.deepEqual(one.json().map((q: Json) => q.ref.name), ['team'])
      assert.deepEqual((await send(admin, 'GET', `/quotas?reference=artifact&reference_id=${team}`)).json(), [])
      for (const q of ['sort=password', 'page=0', 'page_size=1000', 'reference_id=abc', `reference_id=${'9'.repeat(40)}`]) {
        assertError(await send(admin, 'GET', `/quotas?${q}`), 400, 'BAD_REQUEST', q)
      }
      assertStatus(await send(who.robot!, 'GET', '/quotas'), 200)
      assertError(await send(who.owner!, 'GET', '/quotas'), 403, 'FORBIDDEN')
      assertError(await send({}, 'GET', '/quotas'), 401, 'UNAUTHORIZED')
    })

    it("storage_limit on creation: an administrator's counts, anyone else's is the default; storage_per_project sets the default", async () => {
      assert.equal((await quota(await projectId('sl-admin', admin, { storage_limit: 12345 }))).hard.storage, 12345)
      assert.equal((await quota(await projectId('sl-zero', admin, { storage_limit: 0 }))).hard.storage, -1)
      assert.equal((await quota(await projectId('sl-user', who.outsider!, { storage_limit: 999 }))).hard.storage, -1)
      for (const bad of [-5, 1.5, '10']) {
        const res = await send(admin, 'POST', '/projects', { project_name: 'sl-bad', storage_limit: bad })
        assertError(res, 400, 'BAD_REQUEST', String(bad))
      }
      assertStatus(await send(admin, 'HEAD', '/projects?project_name=sl-bad'), 404)

      for (const bad of [0, -2, 'x', 1.5]) assertError(await send(admin, 'PUT', '/configurations', { storage_per_project: bad }), 400, 'BAD_REQUEST', String(bad))
      assertError(await send(who.owner!, 'PUT', '/configurations', { storage_per_project: 10 }), 403, 'FORBIDDEN')
      assertStatus(await send(admin, 'PUT', '/configurations', { storage_per_project: 5000 }), 200)
      try {
        assert.equal((await send(admin, 'GET', '/configurations')).json().storage_per_project.value, 5000)
        assert.equal((await quota(await projectId('spp-user', who.outsider!, { storage_limit: 999 }))).hard.storage, 5000)
        assert.equal((await quota(await projectId('spp-admin', admin))).hard.storage, 5000)
        assert.equal((await quota(await projectId('spp-admin-own', admin, { storage_limit: 77 }))).hard.storage, 77)
      } finally {
        assertStatus(await send(admin, 'PUT', '/configurations', { storage_per_project: -1 }), 200)
      }
    })

    it("artifact sizes: an image is its manifest plus config and layers, an index its manifest plus its children's; /v2/ still serves the manifest's own bytes", async () => {
      const id = await projectId('sized')
      const x = await pushImage(app, 'sized/app', 'amd64', 'quota-size-amd64')
      const y = await pushImage(app, 'sized/app', 'arm64', 'quota-size-arm64')
      const index = indexText(OCI_INDEX, [
        { mediaType: OCI_MANIFEST, digest: x.digest, size: x.size, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: OCI_MANIFEST, digest: y.digest, size: y.size, platform: { architecture: 'arm64', os: 'linux' } },
      ])
      const indexDigest = await pushManifest(app, 'sized/app', 'multi', index, OCI_INDEX)
      const art = async (ref: string) => {
        const res = await send(admin, 'GET', `/projects/sized/repositories/app/artifacts/${ref}`)
        assertStatus(res, 200, ref)
        return res.json()
      }
      assert.equal((await art(x.digest)).size, bytesOfImage(x))
      assert.equal((await art(indexDigest)).size, Buffer.byteLength(index) + bytesOfImage(x) + bytesOfImage(y))
      const listed = (await send(admin, 'GET', '/projects/sized/repositories/app/artifacts?sort=-size')).json() as Json[]
      assert.equal(listed[0].digest, indexDigest)
      const head = await app.inject({ method: 'HEAD', url: `/v2/sized/app/manifests/${x.digest}` })
      assert.equal(Number(header(head as Response, 'content-length')), x.size)
      assert.equal(await used(id), bytesOfImage(x) + bytesOfImage(y) + Buffer.byteLength(index))
    })
  })
}

function sha256Of(text: string): string {
  return descriptorOf(OCI_MANIFEST, text).digest
}

/** A digest as a referrers-API tag would name it (sha256-<hex>): any unused tag does. */
function sha(digest: string): string {
  return digest.replace(':', '-')
}
