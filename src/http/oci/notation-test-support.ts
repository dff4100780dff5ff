// Real notation signatures for tests (the notation CLI itself is not needed): a root CA and a
// signing certificate made with openssl, the JWS envelope notation writes by default, and the
// signature manifest it pushes as an OCI 1.1 referrer of the signed image.
import { spawnSync } from 'node:child_process'
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NOTATION_SIGNATURE } from '../../oci/accessory.js'
import { NOTATION_JWS } from '../../services/registry/notation-verify.js'
import { descriptorOf, manifestText, OCI_MANIFEST, pushBlob, pushManifest, sha256, type App } from './oci-test-support.js'

export interface NotationSigner {
  /** The root CA, PEM: what a project trusts. */
  rootPem: string
  /** x5c: the signing certificate, then the root (DER, base64). */
  x5c: string[]
  key: KeyObject
  /** The signing certificate alone, PEM (not a CA). */
  leafPem: string
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, stdio: 'pipe' })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`)
}

/** A root CA and a code-signing certificate it issued (ECDSA P-256, valid two days). */
export function notationSigner(name: string): NotationSigner {
  const dir = mkdtempSync(join(tmpdir(), 'berth-notation-'))
  try {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name} root`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', 'root.key', '-out', 'root.pem'], dir)
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name} signer`, '-keyout', 'leaf.key', '-out', 'leaf.csr'], dir)
    writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n')
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem'], dir)
    const rootPem = readFileSync(join(dir, 'root.pem'), 'utf8')
    const leafPem = readFileSync(join(dir, 'leaf.pem'), 'utf8')
    const der = (pem: string) => new X509Certificate(pem).raw.toString('base64')
    return { rootPem, leafPem, x5c: [der(leafPem), der(rootPem)], key: createPrivateKey(readFileSync(join(dir, 'leaf.key'))) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The JWS envelope notation writes for a signature of `target`. */
export function notationEnvelope(signer: NotationSigner, target: { digest: string; mediaType: string; size: number }): string {
  const header = Buffer.from(
    JSON.stringify({ alg: 'ES256', crit: ['io.cncf.notary.signingScheme'], cty: 'application/vnd.cncf.notary.payload.v1+json', 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date().toISOString() }),
  ).toString('base64url')
  const payload = Buffer.from(JSON.stringify({ targetArtifact: target })).toString('base64url')
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: signer.key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  return JSON.stringify({ payload, protected: header, header: { x5c: signer.x5c, 'io.cncf.notary.signingAgent': 'notation-go/1.1.0' }, signature })
}

/** Pushes a notation signature manifest (a referrer of `subject`) holding `envelope`; returns its digest. */
export async function pushNotationSignature(app: App, repo: string, subject: { text: string }, envelope: string): Promise<string> {
  await pushBlob(app, repo, '{}')
  await pushBlob(app, repo, envelope)
  const text = manifestText({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: NOTATION_SIGNATURE, config: descriptorOf('application/vnd.oci.empty.v1+json', '{}'), layers: [descriptorOf(NOTATION_JWS, envelope)], subject: descriptorOf(OCI_MANIFEST, subject.text) })
  return pushManifest(app, repo, sha256(text), text, OCI_MANIFEST)
}
