// cosign's key-based signatures, checked with node:crypto: the public keys a project may trust,
// and whether a signature manifest holds a signature of a digest by one of them.
//
// A cosign signature manifest (tagged `sha256-<hex>.sig`, or an OCI 1.1 referrer) has one layer
// per signature: the layer's bytes are the simple-signing payload
// (`{"critical":{"identity":{...},"image":{"docker-manifest-digest":"sha256:..."},"type":"cosign container image signature"},"optional":...}`),
// the layer annotation `dev.cosignproject.cosign/signature` the base64 signature of those bytes
// (ECDSA: ASN.1 DER over their SHA-256; RSA: PKCS#1 v1.5 over their SHA-256; Ed25519: over the bytes).
import { createHash, createPrivateKey, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { BerthError } from '../../lib/errors.js'
import { COSIGN_SIGNATURE_ANNOTATION } from '../../oci/accessory.js'
import { parseManifest, type Descriptor } from '../../oci/manifest.js'
import { certificateFingerprint } from './notation-verify.js'

/** A cosign public key's algorithm, or `x509`: a notation root certificate (a CA). */
export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'ed25519' | 'x509'

/** The largest PEM accepted: a 8192-bit RSA key is under 1.5 KiB. */
export const MAX_PEM_BYTES = 8 * 1024
/** A signature layer larger than this is not read (a payload is a few hundred bytes). */
export const MAX_PAYLOAD_BYTES = 1 << 20
/** At most this many signature layers are checked per artifact. */
export const MAX_SIGNATURES = 32

const CURVES: Record<string, KeyAlgorithm> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' }

export interface ParsedKey {
  algorithm: KeyAlgorithm
  /** SPKI PEM, as node exports it. */
  publicKey: string
  /** sha256 of the DER SubjectPublicKeyInfo, hex. */
  fingerprint: string
  key: KeyObject
}

/**
 * What a project may trust, from PEM: one `PUBLIC KEY` block (SPKI, a cosign key) of an accepted
 * algorithm, or one `CERTIFICATE` block of a certificate authority (a notation trust root), else
 * BAD_REQUEST saying why. A private key is refused (never derived into its public half and kept).
 */
export function parseTrustedKey(pem: string): ParsedKey {
  const bad = (why: string) => new BerthError('BAD_REQUEST', `public_key: ${why}`)
  if (Buffer.byteLength(pem) > MAX_PEM_BYTES) throw bad(`larger than ${MAX_PEM_BYTES} bytes`)
  if (/PRIVATE KEY/.test(pem) || isPrivateKey(pem)) throw bad('this is a private key; give the public key (cosign.pub)')
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----/g) ?? []
  if (blocks.length === 1 && blocks[0] === '-----BEGIN CERTIFICATE-----') return parseRoot(pem, bad)
  if (blocks.length !== 1 || blocks[0] !== '-----BEGIN PUBLIC KEY-----') throw bad('expected exactly one PEM block "-----BEGIN PUBLIC KEY-----" (a cosign key) or "-----BEGIN CERTIFICATE-----" (a notation root)')
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch {
    throw bad('not a valid PEM public key')
  }
  const algorithm = algorithmOf(key)
  if (algorithm === null) throw bad('unsupported key: ECDSA P-256/P-384/P-521, RSA (2048 bits or more) or Ed25519')
  const der = key.export({ type: 'spki', format: 'der' })
  return { algorithm, publicKey: key.export({ type: 'spki', format: 'pem' }).toString(), fingerprint: createHash('sha256').update(der).digest('hex'), key }
}

/** A notation trust root: a CA certificate, kept as PEM and named by the sha256 of its DER. */
function parseRoot(pem: string, bad: (why: string) => BerthError): ParsedKey {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(pem)
  } catch {
    throw bad('not a valid PEM certificate')
  }
  if (cert.ca !== true) throw bad('the certificate is not a certificate authority (basicConstraints CA:TRUE): give the root of the signing chain')
  return { algorithm: 'x509', publicKey: cert.toString(), fingerprint: certificateFingerprint(cert), key: cert.publicKey }
}

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem)
    return true
  } catch {
    return false
  }
}

function algorithmOf(key: KeyObject): KeyAlgorithm | null {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'ec') return CURVES[details.namedCurve ?? ''] ?? null
  if (key.asymmetricKeyType === 'rsa') return (details.modulusLength ?? 0) >= 2048 ? 'rsa' : null
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  return null
}

/** A signature layer of a cosign signature manifest: the payload's descriptor and its signature. */
export interface SignatureLayer {
  digest: string
  size: number
  signature: string
}

/** The signature layers of a cosign signature manifest (at most MAX_SIGNATURES; oversize ones left out). */
export function signatureLayers(manifest: Buffer): SignatureLayer[] {
  let layers: Descriptor[]
  try {
    layers = parseManifest(manifest, undefined).blobs.slice(1)
  } catch {
    return []
  }
  const out: SignatureLayer[] = []
  for (const l of layers) {
    const signature = l.annotations?.[COSIGN_SIGNATURE_ANNOTATION]
    if (signature === undefined || l.size > MAX_PAYLOAD_BYTES) continue
    out.push({ digest: l.digest, size: l.size, signature })
    if (out.length >= MAX_SIGNATURES) break
  }
  return out
}

/**
 * Whether `payload` is a simple-signing payload for `digest` and `signature` (base64) is a
 * signature of it by one of `keys`.
 */
export function verifiesPayload(payload: Buffer, signature: string, digest: string, keys: readonly KeyObject[]): boolean {
  let claimed: unknown
  try {
    claimed = (JSON.parse(payload.toString('utf8')) as { critical?: { image?: Record<string, unknown> } }).critical?.image?.['docker-manifest-digest']
  } catch {
    return false
  }
  if (claimed !== digest) return false
  const sig = Buffer.from(signature, 'base64')
  if (sig.length === 0) return false
  return keys.some((key) => {
    try {
      return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, sig)
    } catch {
      return false
    }
  })
}
