// GET .../artifacts/{reference}/additions/{addition}: an image's build history, manifest and
// config, who may read them, and what is refused (unknown references and additions, hostile
// repository names, configs too large to read whole), on both database dialects.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { MAX_CONFIG_BYTES } from '../../services/registry/content-service.js'
import { assertError, assertStatus, checkResponse, idFromLocation, ADMIN, ANON, PROJECT_ROLES, type Actor } from './api-test-support.js'
import { descriptorOf, header, indexText, manifestText, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, pushBlob, pushImage, pushManifest, useBerth, type App, type Descriptor, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Additions-Passw0rd'
const HISTORY = [
  { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
  { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
]

/** Pushes an image whose config (of `configBytes`, declared as `config`) has a build history; returns the manifest's text and digest. */
async function pushWithConfig(app: App, repo: string, tag: string, configBytes: string | Buffer, o: { mediaType?: string; declaredSize?: number; artifactType?: string } = {}): Promise<{ text: string; digest: string; config: Descriptor }> {
  await pushBlob(app, repo, configBytes)
  const layerBytes = `layer of ${repo}:${tag}`
  await pushBlob(app, repo, layerBytes)
  const config = { ...descriptorOf(o.mediaType ?? OCI_CONFIG, configBytes), ...(o.declaredSize !== undefined ? { size: o.declaredSize } : {}) }
  const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, ...(o.artifactType !== undefined ? { artifactType: o.artifactType } : {}), config, layers: [descriptorOf(OCI_LAYER, layerBytes)] })
  return { text, digest: await pushManifest(app, repo, tag, text, OCI_MANIFEST), config }
}

for (const dialect of DIALECTS) {
  describe(`artifact additions API (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)
    const u: Record<string, Actor> = {}
    const configText = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, history: HISTORY })
    let image: Awaited<ReturnType<typeof pushWithConfig>>

    async function api(who: Actor, path: string): Promise<Response> {
      const res = (await t.anonymous.inject({ method: 'GET', url: `${API}${path}`, headers: who.headers })) as Response
      checkResponse(res, `${who.name} GET ${path}`)
      return res
    }
    async function post(path: string, body: unknown): Promise<Response> {
      const res = (await t.app.inject({ method: 'POST', url: `${API}${path}`, payload: body as object })) as Response
      assertStatus(res, 201, `POST ${path}`)
      return res
    }

    before(async () => {
      const users = [...PROJECT_ROLES.map(([n]) => n), 'other']
      for (const n of users) await post('/users', { username: n, password: PASSWORD, email: `${n}@example.com`, realname: n })
      for (const n of users) u[n] = { name: n, headers: { authorization: `Basic ${Buffer.from(`${n}:${PASSWORD}`).toString('base64')}` } }
      const priv = idFromLocation(await post('/projects', { project_name: 'priv', metadata: { public: 'false' } }), `${API}/projects`)
      await post('/projects', { project_name: 'pub', metadata: { public: 'true' } })
      await post('/projects', { project_name: 'elsewhere', metadata: { public: 'false' } })
      assert.ok(priv > 0)
      for (const [n, role] of PROJECT_ROLES) await post('/projects/priv/members', { role_id: role, member_user: { username: n } })
      await post('/projects/elsewhere/members', { role_id: 1, member_user: { username: 'other' } })
      image = await pushWithConfig(t.app, 'priv/team/app', 'v1', configText)
      await pushWithConfig(t.app, 'pub/app', 'v1', configText)
    })

    it('build_history is the config\'s history; manifest and config are the exact documents', async () => {
      const base = `/projects/priv/repositories/team%252Fapp/artifacts`
      const history = await api(ADMIN, `${base}/v1/additions/build_history`)
      assertStatus(history, 200)
      assert.match(header(history, 'content-type') ?? '', /^application\/json/)
      assert.deepEqual(history.json(), HISTORY)
      const manifest = await api(ADMIN, `${base}/${image.digest}/additions/manifest`)
      assertStatus(manifest, 200)
      assert.equal(manifest.body, image.text)
      const config = await api(ADMIN, `${base}/v1/additions/config`)
      assertStatus(config, 200)
      assert.equal(config.body, configText)
      // The artifact links its build history, as Harbor's does.
      const artifact = (await api(ADMIN, `${base}/v1`)).json() as { addition_links: Record<string, { href: string; absolute: boolean }> }
      assert.deepEqual(artifact.addition_links.build_history, { absolute: false, href: `${API}${base}/${image.digest}/additions/build_history` })
      assertStatus(await api(ADMIN, artifact.addition_links.build_history!.href.slice(API.length)), 200)
    })

    it('every project role reads them; a member of another project and anonymous callers do not; anyone reads a public project\'s', async () => {
      const path = '/projects/priv/repositories/team%252Fapp/artifacts/v1/additions/build_history'
      for (const [n] of PROJECT_ROLES) assertStatus(await api(u[n]!, path), 200, n)
      assertError(await api(u.other!, path), 404, 'NOT_FOUND', 'member of another project')
      assertError(await api(ANON, path), 401, 'UNAUTHORIZED', 'anonymous on a private project')
      for (const who of [ANON, u.other!]) {
        const res = await api(who, '/projects/pub/repositories/app/artifacts/v1/additions/build_history')
        assertStatus(res, 200, `${who.name} on a public project`)
        assert.deepEqual(res.json(), HISTORY)
      }
    })

    it('an index has a manifest but no build history or config; an artifact\'s JSON config is readable, its build history is not', async () => {
      const child = await pushImage(t.app, 'priv/multi', 'child', 'multi-child')
      const index = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text, { platform: { architecture: 'amd64', os: 'linux' } })])
      await pushManifest(t.app, 'priv/multi', 'v1', index, OCI_INDEX)
      const base = '/projects/priv/repositories/multi/artifacts/v1/additions'
      assert.equal((await api(ADMIN, `${base}/manifest`)).body, index)
      assertError(await api(ADMIN, `${base}/build_history`), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, `${base}/config`), 400, 'BAD_REQUEST')
      const indexJson = (await api(ADMIN, '/projects/priv/repositories/multi/artifacts/v1')).json() as { addition_links: object }
      assert.deepEqual(indexJson.addition_links, {})

      await pushWithConfig(t.app, 'priv/sbom', 'v1', '{}', { mediaType: 'application/vnd.oci.empty.v1+json', artifactType: 'application/spdx+json' })
      assertError(await api(ADMIN, '/projects/priv/repositories/sbom/artifacts/v1/additions/build_history'), 400, 'BAD_REQUEST')
      assert.equal((await api(ADMIN, '/projects/priv/repositories/sbom/artifacts/v1/additions/config')).body, '{}')
    })

    it('a config over the bound is refused, also when its descriptor understates its size', async () => {
      const big = Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20)
      await pushWithConfig(t.app, 'priv/big', 'honest', big)
      await pushWithConfig(t.app, 'priv/big', 'lying', big, { declaredSize: 2 })
      for (const tag of ['honest', 'lying']) {
        for (const addition of ['config', 'build_history']) assertError(await api(ADMIN, `/projects/priv/repositories/big/artifacts/${tag}/additions/${addition}`), 400, 'BAD_REQUEST', `${tag} ${addition}`)
      }
      // The manifest itself is small and still readable.
      assertStatus(await api(ADMIN, '/projects/priv/repositories/big/artifacts/honest/additions/manifest'), 200)
    })

    it('unknown references, unknown additions and hostile names are refused', async () => {
      const base = '/projects/priv/repositories/team%252Fapp/artifacts'
      assertError(await api(ADMIN, `${base}/nope/additions/build_history`), 404, 'NOT_FOUND', 'unknown tag')
      assertError(await api(ADMIN, `${base}/sha256:${'0'.repeat(64)}/additions/build_history`), 404, 'NOT_FOUND', 'unknown digest')
      assertError(await api(ADMIN, `${base}/sha256:xyz/additions/build_history`), 400, 'BAD_REQUEST', 'malformed digest')
      for (const addition of ['readme.md', 'values.yaml', 'dependencies', '..%2f..%2fetc', 'x'.repeat(65)]) {
        const res = await api(ADMIN, `${base}/v1/additions/${addition}`)
        assert.ok(res.statusCode === 400, `${addition}: ${res.statusCode} ${res.body}`)
      }
      // Unknown additions are refused after the artifact is found: nothing is said about artifacts the caller cannot read.
      assertError(await api(u.other!, `${base}/v1/additions/readme.md`), 404, 'NOT_FOUND')
      for (const repo of ['..%252F..%252Fetc', 'team%252F..%252Fapp', '%2e%2e', 'UPPER', 'a%00b', 'a%252F%252Fb', 'team%252Fapp%253Fx']) {
        const res = await api(ADMIN, `/projects/priv/repositories/${repo}/artifacts/v1/additions/manifest`)
        assert.ok(res.statusCode === 400 || res.statusCode === 404, `${repo}: ${res.statusCode} ${res.body}`)
      }
      assertError(await api(ADMIN, `/projects/elsewhere/repositories/team%252Fapp/artifacts/v1/additions/manifest`), 404, 'NOT_FOUND', 'the repository of another project')
      assertError(await api(u.other!, `/projects/nosuch/repositories/app/artifacts/v1/additions/manifest`), 404, 'NOT_FOUND', 'unknown project')
    })
  })
}
