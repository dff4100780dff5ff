// Accessories, signatures and content trust end to end on both databases: cosign's `.sig`
// convention and OCI 1.1 referrers typed as Harbor types them, deletes and copies that take them
// along, the pull policy (412 PROJECTPOLICYVIOLATION for what is not signed as the project wants), trusted keys
// with real cosign-format signatures, and the trusted-key API's roles and abuse cases.
import assert from 'node:assert/strict'
import { generateKeyPairSync, verify } from 'node:crypto'
import { before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { basicAuth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { assertError, assertStatus, checkResponse, idFromLocation, totalOf, ADMIN, ANON, userActor, type Actor, PROJECT_ROLES } from './api-test-support.js'
import { assertOciError, descriptorOf, header, indexText, manifestText, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, pushManifest, sha256, useBerth, type PushedImage, type Response } from '../oci/oci-test-support.js'
import { cosignSign, pushCosignSignature, testKey } from '../oci/cosign-test-support.js'
import { notationEnvelope, notationSigner, pushNotationSignature } from '../oci/notation-test-support.js'
import { cosignSignatureTag, COSIGN_SIGNATURE_ANNOTATION, NOTATION_SIGNATURE } from '../../oci/accessory.js'
import { parseReference, parseRepoName } from '../../oci/names.js'

const API = '/api/v2.0'
const PASSWORD = 'Signature-Test-Passw0rd'
const ACCEPT = `${OCI_MANIFEST}, ${OCI_INDEX}`

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
type Json = any

const user = (name: string): Actor => userActor(name, PASSWORD)

for (const dialect of DIALECTS) {
  describe(`accessories and signatures (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    async function inject(opts: InjectOptions, what: string): Promise<Response> {
      const res = (await t.anonymous.inject(opts)) as Response
      checkResponse(res, what)
      return res
    }
    function api(who: Actor, method: Method, path: string, body?: unknown): Promise<Response> {
      return inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) }, `${who.name} ${method} ${path}`)
    }
    const pull = (method: 'GET' | 'HEAD', repo: string, ref: string) => t.app.inject({ method, url: `/v2/${repo}/manifests/${ref}`, headers: { accept: ACCEPT } }) as Promise<Response>
    const listing = async (repo: string, query = 'with_accessory=true&with_signature=true'): Promise<Json[]> => {
      const [p, r] = [repo.slice(0, repo.indexOf('/')), repo.slice(repo.indexOf('/') + 1)]
      const res = await api(ADMIN, 'GET', `/projects/${p}/repositories/${r}/artifacts?${query}`)
      assertStatus(res, 200, `list ${repo}`)
      return res.json()
    }
    /** A referrer of `subject` with this artifactType (by digest, as oras and notation push them). */
    async function pushReferrer(repo: string, subject: PushedImage, artifactType: string, label: string): Promise<string> {
      const layer = `${artifactType}:${label}`
      await pushBlob(t.app, repo, '{}')
      await pushBlob(t.app, repo, layer)
      const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType, config: descriptorOf('application/vnd.oci.empty.v1+json', '{}'), layers: [descriptorOf('application/octet-stream', layer)], subject: descriptorOf(OCI_MANIFEST, subject.text) })
      return pushManifest(t.app, repo, sha256(text), text, OCI_MANIFEST)
    }
    const setMeta = async (project: string, metadata: Record<string, string>) => assertStatus(await api(ADMIN, 'PUT', `/projects/${project}`, { metadata }), 200, `metadata of ${project}`)

    const key = testKey('p256')
    let robotRead: Actor
    let robotPull: Actor

    before(async () => {
      for (const name of [...PROJECT_ROLES.map(([n]) => n), 'other']) {
        assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      }
      for (const project of ['sig', 'copyto', 'trust', 'notary', 'keys', 'elsewhere']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of PROJECT_ROLES) assertStatus(await api(ADMIN, 'POST', '/projects/keys/members', { role_id: role, member_user: { username: name } }), 201)
      const robot = async (name: string, access: { resource: string; action: string }[]) => {
        const r = await api(ADMIN, 'POST', '/robots', { name, level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: 'keys', access }] })
        assertStatus(r, 201, `robot ${name}`)
        return { name: `robot-${name}`, headers: { authorization: basicAuth(r.json().name, r.json().secret) } }
      }
      robotRead = await robot('reader', [{ resource: 'metadata', action: 'read' }, { resource: 'project', action: 'read' }])
      robotPull = await robot('puller', [{ resource: 'repository', action: 'pull' }])
    })

    describe('accessories', () => {
      it("cosign's sha256-<hex>.sig: not listed, an accessory signature.cosign of its subject; signed=true; Harbor's accessories list", async () => {
        const img = await pushImage(t.app, 'sig/app', 'v1', 'sig-v1')
        const sig = await pushCosignSignature(t.app, 'sig/app', img.digest, [cosignSign(key, 'sig/app', img.digest)])
        const items = await listing('sig/app')
        assert.deepEqual(items.map((a) => a.digest), [img.digest], 'the signature is not listed on its own')
        const [a] = items
        assert.equal(a.accessories.length, 1)
        const acc = a.accessories[0]
        assert.deepEqual({ ...acc, id: 0, artifact_id: 0, creation_time: '', size: 0 }, { id: 0, artifact_id: 0, subject_artifact_id: a.id, subject_artifact_digest: img.digest, subject_artifact_repo: 'sig/app', size: 0, digest: sig.digest, type: 'signature.cosign', icon: '', creation_time: '' })
        assert.equal(acc.artifact_id, (await api(ADMIN, 'GET', `/projects/sig/repositories/app/artifacts/${sig.digest}`)).json().id)
        assert.deepEqual(a.tags.map((x: Json) => [x.name, x.signed]), [['v1', true]])
        const list = await api(user('other'), 'GET', '/projects/sig/repositories/app/artifacts/v1/accessories')
        assertError(list, 404, 'NOT_FOUND', 'a non-member')
        const own = await api(ADMIN, 'GET', '/projects/sig/repositories/app/artifacts/v1/accessories')
        assertStatus(own, 200)
        assert.equal(totalOf(own), 1)
        assert.deepEqual(own.json(), [acc])
      })

      it('OCI 1.1 referrers: notation signature.notation, sigstore bundle signature.cosign, SPDX and others subject.accessory; q=type= filters', async () => {
        const img = await pushImage(t.app, 'sig/refs', 'v1', 'refs-v1')
        const notation = await pushReferrer('sig/refs', img, NOTATION_SIGNATURE, 'n')
        const bundle = await pushReferrer('sig/refs', img, 'application/vnd.dev.sigstore.bundle.v0.3+json', 'b')
        const spdx = await pushReferrer('sig/refs', img, 'application/spdx+json', 's')
        const other = await pushReferrer('sig/refs', img, 'application/vnd.example.thing+json', 'o')
        const [a, ...rest] = await listing('sig/refs')
        assert.equal(rest.length, 0)
        const types = Object.fromEntries(a.accessories.map((x: Json) => [x.digest, x.type]))
        assert.deepEqual(types, { [notation]: 'signature.notation', [bundle]: 'signature.cosign', [spdx]: 'subject.accessory', [other]: 'subject.accessory' })
        assert.equal(a.tags[0].signed, true)
        const only = await api(ADMIN, 'GET', `/projects/sig/repositories/refs/artifacts/v1/accessories?q=${encodeURIComponent('type=signature.notation')}`)
        assertStatus(only, 200)
        assert.deepEqual(only.json().map((x: Json) => x.digest), [notation])
        assert.equal(totalOf(only), 1)
        const paged = await api(ADMIN, 'GET', '/projects/sig/repositories/refs/artifacts/v1/accessories?page=2&page_size=3')
        assert.equal(totalOf(paged), 4)
        assert.equal(paged.json().length, 1)
        assertError(await api(ADMIN, 'GET', `/projects/sig/repositories/refs/artifacts/v1/accessories?q=${encodeURIComponent('nope=1')}`), 400, 'BAD_REQUEST')
        // An unsigned image is not signed.
        const plain = await pushImage(t.app, 'sig/refs', 'v2', 'refs-v2')
        await pushReferrer('sig/refs', plain, 'application/spdx+json', 's2')
        const v2 = (await listing('sig/refs')).find((x) => x.digest === plain.digest)
        assert.equal(v2.tags[0].signed, false)
      })

      it('a signature pushed before its subject waits for it; an SBOM Berth generates is sbom.harbor', async () => {
        const label = 'early-v1'
        // The digest the image will have: push its blobs and compute the manifest first.
        const img0 = await pushImage(t.app, 'sig/scratch', 'x', label)
        const sig = await pushCosignSignature(t.app, 'sig/early', img0.digest, [cosignSign(key, 'sig/early', img0.digest)])
        assert.deepEqual(await listing('sig/early'), [], 'a signature alone lists nothing')
        const img = await pushImage(t.app, 'sig/early', 'v1', label)
        assert.equal(img.digest, img0.digest)
        const [a] = await listing('sig/early')
        assert.deepEqual(a.accessories.map((x: Json) => [x.digest, x.type]), [[sig.digest, 'signature.cosign']])
        // Berth's own SBOM generator stores with accessoryType sbom.harbor.
        const sbom = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.goharbor.harbor.sbom.v1', config: descriptorOf('application/vnd.oci.empty.v1+json', '{}'), layers: [], subject: descriptorOf(OCI_MANIFEST, img.text) })
        await pushBlob(t.app, 'sig/early', '{}')
        const repo = parseRepoName('sig/early')
        const put = await t.berth.manifestService.put(repo, parseReference(sha256(sbom)), Buffer.from(sbom), OCI_MANIFEST, { accessoryType: 'sbom.harbor' })
        const [b] = await listing('sig/early')
        assert.deepEqual(b.accessories.map((x: Json) => [x.digest, x.type]), [[sig.digest, 'signature.cosign'], [put.digest, 'sbom.harbor']])
      })

      it('deleting a subject deletes its accessories (the .sig tag too); an accessory alone can be deleted', async () => {
        const img = await pushImage(t.app, 'sig/del', 'v1', 'del-v1')
        const sig = await pushCosignSignature(t.app, 'sig/del', img.digest, [cosignSign(key, 'sig/del', img.digest)])
        const ref = await pushReferrer('sig/del', img, 'application/spdx+json', 'd')
        const img2 = await pushImage(t.app, 'sig/del', 'v2', 'del-v2')
        const sig2 = await pushCosignSignature(t.app, 'sig/del', img2.digest, [cosignSign(key, 'sig/del', img2.digest)])
        assertStatus(await api(ADMIN, 'DELETE', `/projects/sig/repositories/del/artifacts/${sig2.digest}`), 200, 'the accessory alone')
        assert.equal((await pull('HEAD', 'sig/del', cosignSignatureTag(img2.digest))).statusCode, 404)
        assert.equal((await pull('HEAD', 'sig/del', 'v2')).statusCode, 200, 'its subject stays')
        assert.deepEqual((await listing('sig/del')).find((a) => a.digest === img2.digest).accessories, [])
        assertStatus(await api(ADMIN, 'DELETE', '/projects/sig/repositories/del/artifacts/v1'), 200)
        for (const r of [cosignSignatureTag(img.digest), sig.digest, ref]) assert.equal((await pull('HEAD', 'sig/del', r)).statusCode, 404, r)
        const repo = (await api(ADMIN, 'GET', '/projects/sig/repositories/del')).json()
        assert.equal(repo.artifact_count, 1)
        assert.deepEqual((await listing('sig/del')).map((a) => a.digest), [img2.digest])
      })

      it('a copy brings the accessories: the .sig under its tag (still verifying) and the referrers', async () => {
        const img = await pushImage(t.app, 'sig/src', 'v1', 'copy-v1')
        const signed = cosignSign(key, 'sig/src', img.digest)
        await pushCosignSignature(t.app, 'sig/src', img.digest, [signed])
        const ref = await pushReferrer('sig/src', img, NOTATION_SIGNATURE, 'c')
        assertStatus(await api(ADMIN, 'POST', `/projects/copyto/repositories/dst/artifacts?from=${encodeURIComponent('sig/src:v1')}`), 201)
        const got = await pull('GET', 'copyto/dst', cosignSignatureTag(img.digest))
        assertStatus(got, 200)
        const layer = JSON.parse(got.body).layers[0]
        const payload = await t.app.inject({ method: 'GET', url: `/v2/copyto/dst/blobs/${layer.digest}` })
        assertStatus(payload, 200)
        assert.ok(verify('sha256', payload.rawPayload, testPublic(key), Buffer.from(layer.annotations[COSIGN_SIGNATURE_ANNOTATION], 'base64')), 'the copied signature verifies')
        assert.equal(JSON.parse(payload.body).critical.image['docker-manifest-digest'], img.digest)
        const [a] = await listing('copyto/dst')
        assert.deepEqual(a.accessories.map((x: Json) => x.type).sort(), ['signature.cosign', 'signature.notation'])
        assert.ok(a.accessories.some((x: Json) => x.digest === ref))
      })
    })

    describe('pull policy', () => {
      it('enable_content_trust_cosign: unsigned 412 PROJECTPOLICYVIOLATION on GET and HEAD; signed 200; the signature and blobs stay pullable', async () => {
        await setMeta('trust', { enable_content_trust_cosign: 'true' })
        const unsigned = await pushImage(t.app, 'trust/app', 'unsigned', 'trust-u')
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await pull(method, 'trust/app', 'unsigned')
          assert.equal(res.statusCode, 412, `${method}: ${res.body}`)
          if (method === 'GET') {
            const e = assertOciError(res, 412, 'PROJECTPOLICYVIOLATION')
            assert.equal(e.message, 'The image is not signed by cosign.')
          }
          assert.equal((await pull(method, 'trust/app', unsigned.digest)).statusCode, 412, 'by digest too')
        }
        assertStatus(await t.app.inject({ method: 'GET', url: `/v2/trust/app/blobs/${unsigned.config.digest}` }) as Response, 200)
        const img = await pushImage(t.app, 'trust/app', 'signed', 'trust-s')
        const sig = await pushCosignSignature(t.app, 'trust/app', img.digest, [cosignSign(key, 'trust/app', img.digest)])
        assertStatus(await pull('GET', 'trust/app', 'signed'), 200)
        assertStatus(await pull('HEAD', 'trust/app', 'signed'), 200)
        assertStatus(await pull('GET', 'trust/app', cosignSignatureTag(img.digest)), 200)
        assertStatus(await pull('GET', 'trust/app', sig.digest), 200)
        // An index is checked itself.
        const child = await pushImage(t.app, 'trust/app', 'child', 'trust-c')
        const index = indexText(OCI_INDEX, [descriptorOf(OCI_MANIFEST, child.text, { platform: { architecture: 'amd64', os: 'linux' } })])
        const indexDigest = await pushManifest(t.app, 'trust/app', 'multi', index, OCI_INDEX)
        assert.equal((await pull('GET', 'trust/app', 'multi')).statusCode, 412)
        await pushCosignSignature(t.app, 'trust/app', indexDigest, [cosignSign(key, 'trust/app', indexDigest)])
        assertStatus(await pull('GET', 'trust/app', 'multi'), 200)
        // Turned off: everything pulls again.
        await setMeta('trust', { enable_content_trust_cosign: 'false' })
        assertStatus(await pull('GET', 'trust/app', 'unsigned'), 200)
        await setMeta('trust', { enable_content_trust_cosign: 'true' })
      })

      it('trusted keys: only a signature that verifies counts (untrusted key, tampered payload, another digest: 412)', async () => {
        const trusted = testKey('p256')
        const stranger = testKey('p256')
        const add = await api(ADMIN, 'POST', '/projects/trust/trusted-keys', { name: 'release', public_key: trusted.publicPem })
        assertStatus(add, 201)
        const good = await pushImage(t.app, 'trust/keys', 'good', 'k-good')
        await pushCosignSignature(t.app, 'trust/keys', good.digest, [cosignSign(stranger, 'trust/keys', good.digest), cosignSign(trusted, 'trust/keys', good.digest)])
        const untrusted = await pushImage(t.app, 'trust/keys', 'untrusted', 'k-untrusted')
        await pushCosignSignature(t.app, 'trust/keys', untrusted.digest, [cosignSign(stranger, 'trust/keys', untrusted.digest)])
        const tampered = await pushImage(t.app, 'trust/keys', 'tampered', 'k-tampered')
        const s = cosignSign(trusted, 'trust/keys', tampered.digest)
        await pushCosignSignature(t.app, 'trust/keys', tampered.digest, [{ payload: s.payload.replace('registry.test', 'registry.evil'), signature: s.signature }])
        const elsewhere = await pushImage(t.app, 'trust/keys', 'elsewhere', 'k-elsewhere')
        // A valid signature by the trusted key, but of another image's digest.
        await pushCosignSignature(t.app, 'trust/keys', elsewhere.digest, [cosignSign(trusted, 'trust/keys', good.digest)])
        assertStatus(await pull('GET', 'trust/keys', 'good'), 200)
        assertStatus(await pull('GET', 'trust/keys', 'good'), 200)
        for (const tag of ['untrusted', 'tampered', 'elsewhere']) assertOciError(await pull('GET', 'trust/keys', tag), 412, 'PROJECTPOLICYVIOLATION')
        // Other algorithms verify too.
        for (const kind of ['p384', 'rsa', 'ed25519'] as const) {
          const k = testKey(kind)
          assertStatus(await api(ADMIN, 'POST', '/projects/trust/trusted-keys', { name: `k-${kind}`, public_key: k.publicPem }), 201, kind)
          const img = await pushImage(t.app, 'trust/keys', kind, `k-${kind}`)
          assertOciError(await pull('GET', 'trust/keys', kind), 412, 'PROJECTPOLICYVIOLATION')
          await pushCosignSignature(t.app, 'trust/keys', img.digest, [cosignSign(k, 'trust/keys', img.digest)])
          assertStatus(await pull('GET', 'trust/keys', kind), 200)
        }
        // Without keys, any cosign signature counts again.
        for (const k of (await api(ADMIN, 'GET', '/projects/trust/trusted-keys')).json()) assertStatus(await api(ADMIN, 'DELETE', `/projects/trust/trusted-keys/${k.id}`), 200)
        assertStatus(await pull('GET', 'trust/keys', 'untrusted'), 200)
      })

      it('enable_content_trust (notation): unsigned 412, a notation signature lets it through', async () => {
        await setMeta('notary', { enable_content_trust: 'true' })
        const img = await pushImage(t.app, 'notary/app', 'v1', 'notary-v1')
        const res = await pull('GET', 'notary/app', 'v1')
        assert.equal(assertOciError(res, 412, 'PROJECTPOLICYVIOLATION').message, 'The image is not signed by notation.')
        const sig = await pushReferrer('notary/app', img, NOTATION_SIGNATURE, 'n1')
        assertStatus(await pull('GET', 'notary/app', 'v1'), 200)
        assertStatus(await pull('GET', 'notary/app', sig), 200)
      })

      it('notation trust roots: only an envelope whose chain ends in a trusted root and that signs this digest counts', async () => {
        const signer = notationSigner('acme')
        const stranger = notationSigner('stranger')
        const added = await api(ADMIN, 'POST', '/projects/notary/trusted-keys', { name: 'acme-root', public_key: signer.rootPem })
        assertStatus(added, 201)
        const roots = (await api(ADMIN, 'GET', '/projects/notary/trusted-keys')).json()
        assert.deepEqual(roots.map((k: Json) => [k.name, k.algorithm]), [['acme-root', 'x509']])
        assertError(await api(ADMIN, 'POST', '/projects/notary/trusted-keys', { name: 'leaf', public_key: signer.leafPem }), 400, 'BAD_REQUEST', 'not a certificate authority')
        const target = (img: PushedImage) => ({ digest: img.digest, mediaType: OCI_MANIFEST, size: img.size })
        const cases: [string, (img: PushedImage, other: PushedImage) => string, number][] = [
          ['good', (img) => notationEnvelope(signer, target(img)), 200],
          ['stranger', (img) => notationEnvelope(stranger, target(img)), 412],
          ['elsewhere', (_img, other) => notationEnvelope(signer, target(other)), 412],
          ['tampered', (img) => {
            const env = JSON.parse(notationEnvelope(signer, target(img)))
            const sig = Buffer.from(env.signature, 'base64url')
            sig[5] = sig[5]! ^ 1
            return JSON.stringify({ ...env, signature: sig.toString('base64url') })
          }, 412],
          ['leaf-only-chain', (img) => JSON.stringify({ ...JSON.parse(notationEnvelope(signer, target(img))), header: { x5c: [signer.x5c[0]] } }), 200],
          ['swapped-chain', (img) => JSON.stringify({ ...JSON.parse(notationEnvelope(stranger, target(img))), header: { x5c: [stranger.x5c[0], signer.x5c[1]] } }), 412],
        ]
        const other = await pushImage(t.app, 'notary/app', 'other', 'notary-other')
        for (const [tag, envelope, status] of cases) {
          const img = await pushImage(t.app, 'notary/app', tag, `notary-${tag}`)
          await pushNotationSignature(t.app, 'notary/app', img, envelope(img, other))
          const res = await pull('GET', 'notary/app', tag)
          assert.equal(res.statusCode, status, `${tag}: ${res.body}`)
          if (status === 412) assert.equal(assertOciError(res, 412, 'PROJECTPOLICYVIOLATION').message, 'The image is not signed by notation.')
        }
        // Cosign keys and notation roots are kept apart: a notation root does not make cosign signatures count.
        for (const k of (await api(ADMIN, 'GET', '/projects/notary/trusted-keys')).json()) assertStatus(await api(ADMIN, 'DELETE', `/projects/notary/trusted-keys/${k.id}`), 200)
        assertStatus(await pull('GET', 'notary/app', 'stranger'), 200, 'without roots, any notation signature counts, as in Harbor')
      })
    })

    describe('trusted-key API', () => {
      it('roles: system and project admins write; members and robots with metadata read list; non-members and robots without it 404; anonymous 401', async () => {
        const writers = [ADMIN, user('padm')]
        const readers = [user('maint'), user('dev'), user('guest'), user('lguest'), robotRead]
        for (const who of writers) {
          const k = testKey()
          const res = await api(who, 'POST', '/projects/keys/trusted-keys', { name: `by-${who.name}`, description: 'ci', public_key: k.publicPem })
          assertStatus(res, 201, who.name)
          const id = idFromLocation(res, `${API}/projects/keys/trusted-keys`)
          const got = (await api(who, 'GET', `/projects/keys/trusted-keys/${id}`)).json()
          assert.equal(got.algorithm, 'ecdsa-p256')
          assert.equal(got.name, `by-${who.name}`)
          assert.equal(got.public_key, k.publicPem)
          assert.match(got.fingerprint, /^[0-9a-f]{64}$/)
        }
        const count = (await api(ADMIN, 'GET', '/projects/keys/trusted-keys')).json().length
        assert.equal(count, 2)
        for (const who of readers) {
          const list = await api(who, 'GET', '/projects/keys/trusted-keys')
          assertStatus(list, 200, who.name)
          assert.equal(list.json().length, 2)
          assertError(await api(who, 'POST', '/projects/keys/trusted-keys', { name: `by-${who.name}`, public_key: testKey().publicPem }), 403, 'FORBIDDEN', who.name)
          assertError(await api(who, 'DELETE', `/projects/keys/trusted-keys/${list.json()[0].id}`), 403, 'FORBIDDEN', who.name)
        }
        assertError(await api(robotPull, 'GET', '/projects/keys/trusted-keys'), 404, 'NOT_FOUND', 'robot without project or metadata read: the project is not visible')
        assertError(await api(user('other'), 'GET', '/projects/keys/trusted-keys'), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(user('other'), 'POST', '/projects/keys/trusted-keys', { name: 'x', public_key: testKey().publicPem }), 404, 'NOT_FOUND', 'non-member')
        assertError(await api(ANON, 'GET', '/projects/keys/trusted-keys'), 401, 'UNAUTHORIZED')
        assertError(await api(ANON, 'POST', '/projects/keys/trusted-keys', { name: 'x', public_key: testKey().publicPem }), 401, 'UNAUTHORIZED')
        assert.equal((await api(ADMIN, 'GET', '/projects/keys/trusted-keys')).json().length, 2, 'refused writes changed nothing')
      })

      it('abuse: bad, huge, private, weak or duplicate keys, hostile names and another project\'s key id are refused and change nothing', async () => {
        const before = (await api(ADMIN, 'GET', '/projects/keys/trusted-keys')).json().length
        const k = testKey()
        const pkcs8 = k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
        const sec1 = k.privateKey.export({ type: 'sec1', format: 'pem' }).toString()
        const weak = testKeyRsa1024()
        const cases: [string, Json, number, string][] = [
          ['not PEM', { name: 'a', public_key: 'hello' }, 400, 'BAD_REQUEST'],
          ['broken PEM', { name: 'a', public_key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }, 400, 'BAD_REQUEST'],
          ['huge PEM', { name: 'a', public_key: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(9000)}\n-----END PUBLIC KEY-----\n` }, 400, 'BAD_REQUEST'],
          ['PKCS#8 private key', { name: 'a', public_key: pkcs8 }, 400, 'BAD_REQUEST'],
          ['SEC1 private key', { name: 'a', public_key: sec1 }, 400, 'BAD_REQUEST'],
          ['two keys in one', { name: 'a', public_key: k.publicPem + testKey().publicPem }, 400, 'BAD_REQUEST'],
          ['RSA 1024', { name: 'a', public_key: weak }, 400, 'BAD_REQUEST'],
          ['hostile name', { name: '../../etc', public_key: k.publicPem }, 400, 'BAD_REQUEST'],
          ['control characters', { name: 'a\u0000b', public_key: k.publicPem }, 400, 'BAD_REQUEST'],
          ['unknown field', { name: 'a', public_key: k.publicPem, project_id: 1 }, 400, 'BAD_REQUEST'],
        ]
        for (const [what, body, status, code] of cases) assertError(await api(ADMIN, 'POST', '/projects/keys/trusted-keys', body), status, code, what)
        const body = await api(ADMIN, 'POST', '/projects/keys/trusted-keys', { name: 'x', public_key: 'A'.repeat(64 << 10) })
        assert.ok([400, 413].includes(body.statusCode), `huge body ${body.statusCode}`)
        assert.equal((await api(ADMIN, 'GET', '/projects/keys/trusted-keys')).json().length, before, 'nothing stored')
        assertStatus(await api(ADMIN, 'POST', '/projects/keys/trusted-keys', { name: 'once', public_key: k.publicPem }), 201)
        assertError(await api(ADMIN, 'POST', '/projects/keys/trusted-keys', { name: 'once', public_key: testKey().publicPem }), 409, 'CONFLICT', 'same name')
        assertError(await api(ADMIN, 'POST', '/projects/keys/trusted-keys', { name: 'twice', public_key: k.publicPem }), 409, 'CONFLICT', 'same key')
        // Another project's key id is not found here, whoever asks.
        const theirs = idFromLocation(await api(ADMIN, 'POST', '/projects/elsewhere/trusted-keys', { name: 'theirs', public_key: testKey().publicPem }), `${API}/projects/elsewhere/trusted-keys`)
        assertError(await api(user('padm'), 'GET', `/projects/keys/trusted-keys/${theirs}`), 404, 'NOT_FOUND')
        assertError(await api(user('padm'), 'DELETE', `/projects/keys/trusted-keys/${theirs}`), 404, 'NOT_FOUND')
        assertError(await api(user('padm'), 'DELETE', `/projects/elsewhere/trusted-keys/${theirs}`), 404, 'NOT_FOUND', 'not a member there')
        assertStatus(await api(ADMIN, 'GET', `/projects/elsewhere/trusted-keys/${theirs}`), 200)
        assertError(await api(ADMIN, 'DELETE', '/projects/keys/trusted-keys/abc'), 400, 'BAD_REQUEST')
        assertError(await api(ADMIN, 'DELETE', '/projects/keys/trusted-keys/999999'), 404, 'NOT_FOUND')
        assertError(await api(ADMIN, 'GET', '/projects/nope/trusted-keys'), 404, 'NOT_FOUND')
      })
    })
  })
}

function testPublic(k: { publicPem: string }) {
  return k.publicPem
}

function testKeyRsa1024(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
}
