// End-to-end: skopeo copies images, indexes and artifacts through a real Berth process and gets the same bytes back.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  MediaType,
  layoutManifestFor,
  readLayoutBlob,
  sbomArtifactType,
  sha256Digest,
  writeArtifact,
  writeImage,
  writeMultiArchIndex,
  type Descriptor,
  manifestAccept,
} from '../fixtures/oci-layout.js'
import { missingTools, startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'
import { runCommand, runCommandRaw, type CommandResult } from '../support/run-command.js'


// --insecure-policy: the host's /etc/containers/policy.json must not decide whether the suite passes.
// --command-timeout: the fixtures are tiny; a hung request should fail with skopeo's own message
// (which names the request) rather than be killed silently by runCommand's watchdog.
const skopeoFlags = ['--insecure-policy', '--command-timeout', '60s']

function skopeo(args: readonly string[], opts: { allowFailure?: boolean } = {}): Promise<CommandResult> {
  return runCommand('skopeo', [...skopeoFlags, ...args], { timeoutMs: 90_000, ...opts })
}

/** The exact manifest bytes skopeo reads from the registry (as `creds`). */
async function inspectRaw(ref: string, creds: string): Promise<Buffer> {
  const r = await runCommandRaw('skopeo', [...skopeoFlags, 'inspect', '--raw', '--tls-verify=false', '--creds', creds, ref], { timeoutMs: 90_000 })
  return r.stdout
}

/** Asserts both layouts hold byte-identical blobs (manifests included) for every descriptor. */
function assertSameBlobs(srcDir: string, dstDir: string, descriptors: readonly Descriptor[]): void {
  for (const d of descriptors) {
    const want = readLayoutBlob(srcDir, d.digest)
    const got = readLayoutBlob(dstDir, d.digest)
    assert.equal(got.length, d.size, `size of ${d.digest} (${d.mediaType})`)
    assert.ok(got.equals(want), `bytes of ${d.digest} (${d.mediaType}) differ after the round trip`)
    assert.equal(sha256Digest(got), d.digest)
  }
}

type ReferrersIndex = { schemaVersion: number; mediaType: string; manifests: Descriptor[] }

describe('skopeo against Berth', { skip: missingTools(['skopeo']), timeout: 300_000 }, () => {
  let berth: BerthProcess | undefined
  let work = ''
  let host = ''
  /** The admin's `user:password`, for skopeo's --creds, --src-creds and --dest-creds. */
  let creds = ''
  /** The admin's Authorization header, for the suite's own requests. */
  let auth: Record<string, string> = {}
  const server = () => berth

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-e2e-skopeo-'))
    berth = await startBerth()
    host = `127.0.0.1:${berth.port}`
    creds = berth.creds
    auth = { Authorization: berth.authorization }
  })

  after(async () => {
    await berth?.stop()
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  async function getManifest(repo: string, reference: string): Promise<Response> {
    return await fetch(`${berth?.url}/v2/${repo}/manifests/${reference}`, { headers: { ...auth, Accept: manifestAccept } })
  }

  it(
    'round-trips a single-arch image byte for byte',
    withServerLogs(server, async () => {
      const src = join(work, 'single-src')
      const back = join(work, 'single-back')
      const img = writeImage(src, { seed: 'skopeo-single', tag: 'v1' })
      const ref = `docker://${host}/library/single:v1`

      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:v1`, ref])

      const raw = await inspectRaw(ref, creds)
      assert.equal(sha256Digest(raw), img.manifest.digest, 'manifest digest as served by tag')
      assert.ok(raw.equals(readLayoutBlob(src, img.manifest.digest)), 'manifest bytes as served by tag')
      const byDigest = await inspectRaw(`docker://${host}/library/single@${img.manifest.digest}`, creds)
      assert.ok(byDigest.equals(raw), 'manifest bytes as served by digest')

      const inspected = JSON.parse((await skopeo(['inspect', '--tls-verify=false', '--creds', creds, ref])).stdout) as {
        Digest: string
        Architecture: string
        Os: string
        Layers: string[]
        Labels: Record<string, string>
      }
      assert.equal(inspected.Digest, img.manifest.digest)
      assert.equal(inspected.Architecture, 'amd64')
      assert.equal(inspected.Os, 'linux')
      assert.deepEqual(inspected.Layers, img.layers.map((l) => l.digest))
      assert.equal(inspected.Labels['org.example.berth.seed'], 'skopeo-single')

      // No --src-creds: library is a public project, so anyone may pull from it.
      await skopeo(['copy', '--src-tls-verify=false', ref, `oci:${back}:v1`])
      assert.equal(layoutManifestFor(back, 'v1')?.digest, img.manifest.digest, 'manifest digest after the round trip')
      assertSameBlobs(src, back, [img.manifest, ...img.blobs])
    }),
  )

  it(
    'round-trips a multi-arch index with --all',
    withServerLogs(server, async () => {
      const src = join(work, 'multi-src')
      const back = join(work, 'multi-back')
      const idx = writeMultiArchIndex(src, { seed: 'skopeo-multi', tag: 'multi' })
      const ref = `docker://${host}/library/multi:v1`

      await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:multi`, ref])

      const raw = await inspectRaw(ref, creds)
      assert.equal(sha256Digest(raw), idx.index.digest, 'index digest as served by tag')
      const served = JSON.parse(raw.toString('utf8')) as { mediaType: string; manifests: Descriptor[] }
      assert.equal(served.mediaType, MediaType.imageIndex)
      assert.deepEqual(
        served.manifests.map((m) => m.digest),
        idx.images.map((i) => i.manifest.digest),
      )
      for (const image of idx.images) {
        const child = await inspectRaw(`docker://${host}/library/multi@${image.manifest.digest}`, creds)
        assert.equal(sha256Digest(child), image.manifest.digest, `child manifest ${image.platform.architecture}`)
      }

      await skopeo(['copy', '--all', '--src-tls-verify=false', '--src-creds', creds, ref, `oci:${back}:multi`])
      assert.equal(layoutManifestFor(back, 'multi')?.digest, idx.index.digest, 'index digest after the round trip')
      assertSameBlobs(src, back, [idx.index, ...idx.images.flatMap((i) => [i.manifest, ...i.blobs])])
    }),
  )

  it(
    'lists an artifact pushed by digest as a referrer of its subject',
    withServerLogs(server, async () => {
      const src = join(work, 'referrers-src')
      const subject = writeImage(src, { seed: 'skopeo-subject', tag: 'v1' })
      const art = writeArtifact(src, { seed: 'skopeo-sbom', tag: 'sbom', subject: subject.manifest })
      const repo = 'library/referrers'

      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:v1`, `docker://${host}/${repo}:v1`])
      // --preserve-digests: skopeo must not rewrite the manifest, or the digest we push by would not match.
      await skopeo([
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        '--dest-creds',
        creds,
        `oci:${src}:sbom`,
        `docker://${host}/${repo}@${art.manifest.digest}`,
      ])
      const rawArtifact = await inspectRaw(`docker://${host}/${repo}@${art.manifest.digest}`, creds)
      assert.ok(rawArtifact.equals(readLayoutBlob(src, art.manifest.digest)), 'artifact manifest bytes by digest')

      const res = await fetch(`${berth?.url}/v2/${repo}/referrers/${subject.manifest.digest}`, { headers: auth })
      const body = await res.text()
      assert.equal(res.status, 200, body)
      assert.match(res.headers.get('content-type') ?? '', /^application\/vnd\.oci\.image\.index\.v1\+json/)
      const list = JSON.parse(body) as ReferrersIndex
      assert.equal(list.schemaVersion, 2)
      assert.equal(list.mediaType, MediaType.imageIndex)
      assert.equal(list.manifests.length, 1, body)
      const entry = list.manifests[0]
      assert.ok(entry)
      assert.equal(entry.mediaType, MediaType.imageManifest)
      assert.equal(entry.digest, art.manifest.digest)
      assert.equal(entry.size, art.manifest.size)
      assert.equal(entry.artifactType, sbomArtifactType)
      assert.deepEqual(entry.annotations, art.annotations)

      const matching = await fetch(
        `${berth?.url}/v2/${repo}/referrers/${subject.manifest.digest}?artifactType=${encodeURIComponent(sbomArtifactType)}`,
        { headers: auth },
      )
      const matchingBody = await matching.text()
      assert.equal(matching.status, 200, matchingBody)
      assert.deepEqual(
        (JSON.parse(matchingBody) as ReferrersIndex).manifests.map((m) => m.digest),
        [art.manifest.digest],
      )

      const other = await fetch(`${berth?.url}/v2/${repo}/referrers/${subject.manifest.digest}?artifactType=other`, { headers: auth })
      const otherBody = await other.text()
      assert.equal(other.status, 200, otherBody)
      assert.equal(other.headers.get('oci-filters-applied'), 'artifactType')
      assert.deepEqual((JSON.parse(otherBody) as ReferrersIndex).manifests, [])

      // The artifact refers to the subject, not the other way round.
      const ofArtifact = await fetch(`${berth?.url}/v2/${repo}/referrers/${art.manifest.digest}`, { headers: auth })
      const ofArtifactBody = await ofArtifact.text()
      assert.equal(ofArtifact.status, 200, ofArtifactBody)
      assert.deepEqual((JSON.parse(ofArtifactBody) as ReferrersIndex).manifests, [])

      // A subject nobody refers to (or that does not exist) still answers 200 with an empty index.
      const unknown = sha256Digest(Buffer.from('no such subject'))
      const none = await fetch(`${berth?.url}/v2/${repo}/referrers/${unknown}`, { headers: auth })
      const noneBody = await none.text()
      assert.equal(none.status, 200, noneBody)
      assert.deepEqual((JSON.parse(noneBody) as ReferrersIndex).manifests, [])
    }),
  )

  it(
    'lists tags, and deleting a manifest by digest removes its tags',
    withServerLogs(server, async () => {
      const src = join(work, 'tags-src')
      const kept = writeImage(src, { seed: 'skopeo-kept', tag: 'kept' })
      const doomed = writeImage(src, { seed: 'skopeo-doomed', tag: 'doomed' })
      const repo = `${host}/library/tags`
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:kept`, `docker://${repo}:kept`])
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:doomed`, `docker://${repo}:doomed-1`])
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:doomed`, `docker://${repo}:doomed-2`])

      const listTags = async () => {
        const out = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', '--creds', creds, `docker://${repo}`])).stdout) as {
          Tags: string[]
        }
        return [...out.Tags].sort()
      }
      assert.deepEqual(await listTags(), ['doomed-1', 'doomed-2', 'kept'])

      assert.equal((await getManifest('library/tags', 'doomed-1')).status, 200)
      await skopeo(['delete', '--tls-verify=false', '--creds', creds, `docker://${repo}@${doomed.manifest.digest}`])

      for (const reference of ['doomed-1', 'doomed-2', doomed.manifest.digest]) {
        const res = await getManifest('library/tags', reference)
        const body = await res.text()
        assert.equal(res.status, 404, `GET manifests/${reference} after delete: ${body}`)
        const errors = (JSON.parse(body) as { errors?: { code: string }[] }).errors ?? []
        assert.ok(
          errors.some((e) => e.code === 'MANIFEST_UNKNOWN'),
          `GET manifests/${reference}: expected MANIFEST_UNKNOWN, got ${body}`,
        )
      }
      const inspectGone = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${repo}:doomed-1`], {
        allowFailure: true,
      })
      assert.notEqual(inspectGone.code, 0, 'skopeo inspect of a deleted tag must fail')

      const survivor = await getManifest('library/tags', 'kept')
      assert.equal(survivor.status, 200)
      assert.equal(sha256Digest(Buffer.from(await survivor.arrayBuffer())), kept.manifest.digest)
      assert.deepEqual(await listTags(), ['kept'])
    }),
  )
})
