// Notation signatures (notaryproject.dev, the JWS envelope `application/jose+json`, which the
// notation CLI writes by default), checked with node:crypto against the root certificates a
// project trusts. A notation signature manifest is an OCI referrer (artifactType
// application/vnd.cncf.notary.signature) with one layer, the envelope in JWS JSON serialisation:
//
//   {"payload": b64url({"targetArtifact": {"mediaType", "digest", "size"}}),
//    "protected": b64url({"alg": "ES256"|..., "cty": "application/vnd.cncf.notary.payload.v1+json",
//                         "crit": ["io.cncf.notary.signingScheme", ...], "io.cncf.notary.signingScheme": "notary.x509", ...}),
//    "header": {"x5c": [leaf DER b64, ..., root DER b64], ...},
//    "signature": b64url(signature over `protected.payload`)}
//
// It counts when the payload names the pulled digest, the signature verifies with the leaf's key,
// each certificate of x5c is issued and signed by the next, every one is valid now, and the last
// one is a trusted root (or is issued by one). Revocation and timestamping are not checked.
import { constants, createHash, verify, X509Certificate, type KeyObject } from 'node:crypto'

/** The envelope media type this verifier reads (notation's default; COSE is not read). */
export const NOTATION_JWS = 'application/jose+json'
const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json'
/** Certificates in one chain at most. */
const MAX_CHAIN = 10

const ALGORITHMS: Record<string, { hash: string; pss: boolean }> = {
  ES256: { hash: 'sha256', pss: false },
  ES384: { hash: 'sha384', pss: false },
  ES512: { hash: 'sha512', pss: false },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
}

/** sha256 of a certificate's DER, hex: how a trusted root is named and found. */
export function certificateFingerprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex')
}

function b64url(text: unknown): Buffer | null {
  return typeof text === 'string' && /^[A-Za-z0-9_-]*$/.test(text) ? Buffer.from(text, 'base64url') : null
}

function json(bytes: Buffer | null): Record<string, unknown> | null {
  if (bytes === null) return null
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** The certificates of x5c, leaf first; null when any is not a certificate or there are too many. */
function chainOf(x5c: unknown): X509Certificate[] | null {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN) return null
  try {
    return x5c.map((c) => {
      if (typeof c !== 'string') throw new Error('not a string')
      return new X509Certificate(Buffer.from(c, 'base64'))
    })
  } catch {
    return null
  }
}

function validNow(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo)
}

/** Whether the chain is whole and ends in (or under) one of `roots`. */
function chainTrusted(chain: X509Certificate[], roots: readonly X509Certificate[], now: number): boolean {
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i]!, chain[i + 1]!]
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey) || issuer.ca !== true) return false
  }
  if (!chain.every((c) => validNow(c, now))) return false
  const last = chain[chain.length - 1]!
  const trusted = new Set(roots.map(certificateFingerprint))
  if (trusted.has(certificateFingerprint(last))) return true
  return roots.some((root) => root.ca === true && validNow(root, now) && last.checkIssued(root) && last.verify(root.publicKey))
}

function signatureVerifies(alg: string, signingInput: Buffer, signature: Buffer, key: KeyObject): boolean {
  const a = ALGORITHMS[alg]
  if (a === undefined) return false
  try {
    if (a.pss) {
      if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false
      return verify(a.hash, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(a.hash.slice(3)) / 8 }, signature)
    }
    if (key.asymmetricKeyType !== 'ec') return false
    return verify(a.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

/**
 * Whether `envelope` (the bytes of a notation signature layer, JWS JSON) signs `digest` with a
 * certificate chain that ends in one of `roots`.
 */
export function notationVerifies(envelope: Buffer, digest: string, roots: readonly X509Certificate[], now = Date.now()): boolean {
  const jws = json(envelope)
  if (jws === null) return false
  const protectedBytes = b64url(jws.protected)
  const payloadBytes = b64url(jws.payload)
  const signature = b64url(jws.signature)
  const header = json(protectedBytes)
  const payload = json(payloadBytes)
  if (header === null || payload === null || signature === null || signature.length === 0) return false
  if (header.cty !== PAYLOAD_TYPE || typeof header.alg !== 'string') return false
  // Critical headers this verifier does not understand make the signature unusable (RFC 7515).
  const known = new Set(['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime'])
  if (header.crit !== undefined && (!Array.isArray(header.crit) || !header.crit.every((c) => typeof c === 'string' && known.has(c)))) return false
  const expiry = header['io.cncf.notary.expiry']
  if (expiry !== undefined && !(typeof expiry === 'string' && Date.parse(expiry) > now)) return false
  const target = payload.targetArtifact as { digest?: unknown } | undefined
  if (target?.digest !== digest) return false
  const chain = chainOf((jws.header as { x5c?: unknown } | undefined)?.x5c)
  if (chain === null || !chainTrusted(chain, roots, now)) return false
  const signingInput = Buffer.from(`${String(jws.protected)}.${String(jws.payload)}`)
  return signatureVerifies(header.alg, signingInput, signature, chain[0]!.publicKey)
}
