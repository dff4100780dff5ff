// Real cosign-format signatures for tests (cosign itself is not needed): a key pair from
// node:crypto, the simple-signing payload cosign writes, and the signature manifest cosign
// pushes (one layer per signature, the signature in the layer's annotation, tagged sha256-<hex>.sig).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, cosignSignatureTag } from '../../oci/accessory.js'
import { descriptorOf, manifestText, OCI_CONFIG, OCI_MANIFEST, pushBlob, pushManifest, sha256, type App } from './oci-test-support.js'

export interface TestKey {
  privateKey: KeyObject
  /** SPKI PEM, as in cosign.pub. */
  publicPem: string
}

export function testKey(kind: 'p256' | 'p384' | 'rsa' | 'ed25519' = 'p256'): TestKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'prime256v1' : 'secp384r1' })
  return { privateKey: pair.privateKey, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export interface CosignSignature {
  payload: string
  signature: string
}

/** cosign's simple-signing payload for `digest`, signed with `key`. */
export function cosignSign(key: TestKey, repo: string, digest: string): CosignSignature {
  const payload = JSON.stringify({ critical: { identity: { 'docker-reference': `registry.test/${repo}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null })
  const signature = sign(key.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from(payload), key.privateKey).toString('base64')
  return { payload, signature }
}

/** Pushes a signature manifest over `signatures` as cosign does; at `sha256-<hex>.sig` of `subject` unless `ref` says otherwise. */
export async function pushCosignSignature(app: App, repo: string, subject: string, signatures: CosignSignature[], ref = cosignSignatureTag(subject)): Promise<{ digest: string; text: string }> {
  const layers = []
  for (const s of signatures) {
    await pushBlob(app, repo, s.payload)
    layers.push(descriptorOf(COSIGN_SIMPLE_SIGNING, s.payload, { annotations: { [COSIGN_SIGNATURE_ANNOTATION]: s.signature } }))
  }
  const config = JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: signatures.map((s) => sha256(s.payload)) } })
  await pushBlob(app, repo, config)
  const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptorOf(OCI_CONFIG, config), layers })
  return { digest: await pushManifest(app, repo, ref, text, OCI_MANIFEST), text }
}
