// Images made of random bytes, pushed and checked over plain HTTP (fetch), so that a test sees
// each step's answer: for suites that run Berth as processes (cluster, replication).
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { manifestAccept } from '../fixtures/oci-layout.js'

export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** An image made of random bytes, pushed and checked with raw HTTP (so each step's answer is seen). */
export type RawImage = {
  repo: string
  tag: string
  blobs: { digest: string; bytes: Buffer }[]
  manifest: Buffer
  manifestDigest: string
}

export function randomImage(repo: string, tag: string, layerSizes: readonly number[]): RawImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(16).toString('hex'), rootfs: { type: 'layers', diff_ids: [] } }))
  const layers = layerSizes.map((n) => randomBytes(n))
  const blobs = [config, ...layers].map((bytes) => ({ digest: sha256(bytes), bytes }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blobs[0]!.digest, size: config.length },
      layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blobs[i + 1]!.digest, size: l.length })),
    }),
  )
  return { repo, tag, blobs, manifest, manifestDigest: sha256(manifest) }
}

export type PushOutcome = { ok: true } | { ok: false; step: string; detail: string }

async function describeFailure(res: Response): Promise<string> {
  const body = await res.text().catch((e) => `(body unreadable: ${String(e)})`)
  return `${res.status} ${body.slice(0, 300)}`
}

/** Monolithic blob POSTs then the manifest PUT; acknowledged = the manifest PUT answered 201. */
export async function pushRaw(base: string, authorization: string, img: RawImage): Promise<PushOutcome> {
  for (const blob of img.blobs) {
    const step = `POST blob ${blob.digest.slice(0, 19)}`
    try {
      const res = await fetch(`${base}/v2/${img.repo}/blobs/uploads/?digest=${blob.digest}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/octet-stream' },
        body: blob.bytes,
        signal: AbortSignal.timeout(30_000),
      })
      if (res.status !== 201) return { ok: false, step, detail: await describeFailure(res) }
      await res.arrayBuffer()
    } catch (e) {
      return { ok: false, step, detail: String((e as Error).cause ?? e) }
    }
  }
  const step = `PUT manifest ${img.tag}`
  try {
    const res = await fetch(`${base}/v2/${img.repo}/manifests/${img.tag}`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: img.manifest,
      signal: AbortSignal.timeout(30_000),
    })
    if (res.status !== 201) return { ok: false, step, detail: await describeFailure(res) }
    await res.arrayBuffer()
    if (res.headers.get('docker-content-digest') !== img.manifestDigest) {
      return { ok: false, step, detail: `201 with digest ${res.headers.get('docker-content-digest')}, want ${img.manifestDigest}` }
    }
    return { ok: true }
  } catch (e) {
    return { ok: false, step, detail: String((e as Error).cause ?? e) }
  }
}

/** GETs a blob and returns its bytes, asserting 200 and that they hash to `digest`. */
export async function getBlob(base: string, authorization: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { headers: { authorization }, signal: AbortSignal.timeout(30_000) })
  const bytes = Buffer.from(await res.arrayBuffer())
  assert.equal(res.status, 200, `GET ${base} ${repo} blob ${digest}: ${bytes.toString('utf8').slice(0, 300)}`)
  assert.equal(sha256(bytes), digest, `bytes served for ${repo}@${digest} by ${base} hash to something else`)
  return bytes
}

export async function getManifest(base: string, authorization: string, repo: string, ref: string): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { headers: { authorization, accept: manifestAccept }, signal: AbortSignal.timeout(30_000) })
  return { res, bytes: Buffer.from(await res.arrayBuffer()) }
}

/** Asserts the image is served whole and exact by `base`: manifest by tag, and every blob. */
export async function assertPullable(base: string, authorization: string, img: RawImage): Promise<void> {
  const { res, bytes } = await getManifest(base, authorization, img.repo, img.tag)
  assert.equal(res.status, 200, `GET ${base} ${img.repo}:${img.tag}: ${bytes.toString('utf8').slice(0, 300)}`)
  assert.equal(sha256(bytes), img.manifestDigest, `${img.repo}:${img.tag} manifest digest`)
  assert.ok(bytes.equals(img.manifest), `${img.repo}:${img.tag} manifest bytes`)
  for (const b of img.blobs) assert.ok((await getBlob(base, authorization, img.repo, b.digest)).equals(b.bytes))
}

