// Accessories: manifests that describe another artifact (signatures, SBOMs...), with Harbor's
// names for their kinds (pkg/accessory/model) and cosign's tag convention.
import type { Digest } from './digest.js'

export const AccessoryType = {
  cosign: 'signature.cosign',
  notation: 'signature.notation',
  /** Only SBOMs Berth generated itself; an SBOM a user pushed is a subject.accessory. */
  harborSbom: 'sbom.harbor',
  subject: 'subject.accessory',
} as const

export type AccessoryType = (typeof AccessoryType)[keyof typeof AccessoryType]

export const ACCESSORY_TYPES: readonly AccessoryType[] = Object.values(AccessoryType)

/** cosign's signature manifests (the `.sig` tag convention and OCI 1.1 referrers). */
export const COSIGN_SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json'
export const COSIGN_SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json'
/** The layer annotation holding the base64 signature of the layer's payload. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
export const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature'
/** Sigstore bundles v0.1 to v0.3, in both spellings the bundle spec has used. */
const SIGSTORE_BUNDLE = /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+)?\+json(;\s*version=0\.\d+)?$/

/** The accessory type of a referrer (a manifest with a subject) by its artifactType. */
export function referrerType(artifactType: string | null): AccessoryType {
  if (artifactType === COSIGN_SIGNATURE || (artifactType !== null && SIGSTORE_BUNDLE.test(artifactType))) return AccessoryType.cosign
  if (artifactType === NOTATION_SIGNATURE) return AccessoryType.notation
  return AccessoryType.subject
}

export function isSignatureType(type: string): boolean {
  return type === AccessoryType.cosign || type === AccessoryType.notation
}

const SIG_TAG = /^(sha256|sha512)-([a-f0-9]{64}|[a-f0-9]{128})\.sig$/

/** The subject a cosign `.sig` tag names (`sha256-<hex>.sig` -> `sha256:<hex>`); null for any other tag. */
export function cosignTagSubject(tag: string): Digest | null {
  const m = SIG_TAG.exec(tag)
  if (m === null || (m[1] === 'sha256') !== (m[2]!.length === 64)) return null
  return `${m[1]}:${m[2]}` as Digest
}

/** cosign's tag for the signatures of `digest`. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`
}
