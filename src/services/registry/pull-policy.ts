// What a project lets through on a manifest pull (GET or HEAD on /v2/): each gate reads the
// project's metadata and may refuse with 412 and Harbor's code PROJECTPOLICYVIOLATION, as
// Harbor's content-trust and vulnerability middlewares do. Blobs are never checked: without the
// manifest a client has no digests to ask for. The signature gate is here; the vulnerability
// gate (prevent_vul) is in vulnerability-gate.ts. One indexed query reads every gate's metadata.
import { sql, type Kysely } from 'kysely'
import { PreparedQuery } from '../../metadata/prepared.js'
import { BerthError } from '../../lib/errors.js'
import { LruCache } from '../../cache/lru-cache.js'
import type { Database } from '../../metadata/schema.js'
import type { TrustedKey, TrustedKeyStore } from '../../metadata/trusted-key-store.js'
import { projectOf, type RepoName } from '../../oci/names.js'
import type { Digest } from '../../oci/digest.js'
import { AccessoryType, isSignatureType } from '../../oci/accessory.js'
import { parseTrustedKey, signatureLayers, verifiesPayload, MAX_PAYLOAD_BYTES, MAX_SIGNATURES } from './cosign-verify.js'
import { X509Certificate, type KeyObject } from 'node:crypto'
import { parseManifest } from '../../oci/manifest.js'
import { NOTATION_JWS, notationVerifies } from './notation-verify.js'

/** The manifest a client asked for: top-level (an index is checked, not its children one by one). */
export interface PulledManifest {
  repository: RepoName
  digest: Digest
  mediaType: string
}

/** Who asks: the user or robot name ('anonymous' when none) and the client's User-Agent. */
export interface PullContext {
  principal: string
  userAgent: string
}

export interface PullProject {
  id: number
  name: string
  /** The metadata keys of the gates' `keys` and `reads` that the project has, with Harbor's string values. */
  metadata: Record<string, string>
}

export interface PullGate {
  /** The project metadata keys that turn the gate on; a project with none of them set is not asked. */
  readonly keys: readonly string[]
  /** Other metadata keys the gate reads when it is asked (its settings), fetched in the same query. */
  readonly reads?: readonly string[]
  /** Why the pull is refused (the error message), or null to let it through. */
  check(project: PullProject, pull: PulledManifest, context: PullContext): Promise<string | null>
}

export interface PullPolicyOptions {
  db: Kysely<Database>
  gates: PullGate[]
  /** Pulls no gate checks (a scanner's robot pulling what it scans, as Harbor exempts it). */
  exempt?: (pull: PulledManifest, context: PullContext) => boolean | Promise<boolean>
}

export class PullPolicy {
  private readonly keys: string[]

  /** The gates' metadata of a project by name: compiled once (it runs on every manifest pull). */
  private readonly metadataOf: PreparedQuery<{ id: number; name: string; value: string }, [project: string, ...keys: string[]]>

  constructor(private readonly o: PullPolicyOptions) {
    this.keys = [...new Set(o.gates.flatMap((g) => [...g.keys, ...(g.reads ?? [])]))]
    const keys = this.keys
    this.metadataOf = new PreparedQuery((db: Kysely<Database>) =>
      db
        .selectFrom('project_metadata as m')
        .innerJoin('projects as p', 'p.id', 'm.project_id')
        .select(['p.id', 'm.name', 'm.value'])
        .where('p.name', '=', '')
        .where(sql<boolean>`p.deleted = 0`)
        .where('m.name', 'in', keys),
    )
  }

  /** Lets the pull through or throws PRECONDITION with the first gate's reason. */
  async check(pull: PulledManifest, context: PullContext): Promise<void> {
    if (this.keys.length === 0) return
    // One indexed read per pull; a project without any of the keys costs nothing more.
    const rows = await this.metadataOf.all(this.o.db, projectOf(pull.repository), ...this.keys)
    if (rows.length === 0) return
    const metadata: Record<string, string> = Object.fromEntries(rows.map((r) => [r.name, r.value]))
    const on = (key: string) => metadata[key] !== undefined && metadata[key] !== 'false' && metadata[key] !== ''
    const asked = this.o.gates.filter((g) => g.keys.some(on))
    if (asked.length === 0) return
    const project: PullProject = { id: Number(rows[0]!.id), name: projectOf(pull.repository), metadata }
    if ((await this.o.exempt?.(pull, context)) === true) return
    for (const gate of asked) {
      const reason = await gate.check(project, pull, context)
      if (reason !== null) throw new BerthError('POLICY_VIOLATION', reason, { repository: pull.repository, digest: pull.digest })
    }
  }
}

/** The layers of a signature manifest (none when it does not parse). */
function listedBlobs(manifest: Buffer): { mediaType: string; digest: Digest; size: number }[] {
  try {
    return parseManifest(manifest, undefined).blobs.slice(1)
  } catch {
    return []
  }
}

export interface SignatureGateOptions {
  db: Kysely<Database>
  keys: TrustedKeyStore
  /** A manifest's bytes by digest. */
  manifest(repository: RepoName, digest: Digest): Promise<Buffer>
  /** A blob's bytes by digest, at most `max` (larger: an error). */
  blob(repository: RepoName, digest: Digest, max: number): Promise<Buffer>
}

/** Verified answers kept: (artifact, signature manifests, trusted keys) -> signed or not. */
const VERIFIED_ENTRIES = 10_000

/**
 * Harbor's content trust: `enable_content_trust_cosign` wants a cosign signature accessory,
 * `enable_content_trust` a notation one. Signatures themselves stay pullable (clients verify
 * them). Beyond Harbor: when the project trusts cosign keys, only a cosign signature that
 * verifies against one of them counts; when it trusts notation roots, only a notation signature
 * whose certificate chain ends in one of them.
 */
export class SignatureGate implements PullGate {
  readonly keys = ['enable_content_trust_cosign', 'enable_content_trust'] as const
  /** Content-addressed inputs (digests, key fingerprints), so an answer is never stale. */
  private readonly verified = new LruCache<boolean>(VERIFIED_ENTRIES, () => 1)
  private readonly parsedKeys = new LruCache<KeyObject>(1000, () => 1)
  private readonly roots = new LruCache<X509Certificate>(1000, () => 1)

  constructor(private readonly o: SignatureGateOptions) {}

  async check(project: PullProject, pull: PulledManifest): Promise<string | null> {
    const accessories = await this.o.db
      .selectFrom('accessories as x')
      .innerJoin('artifacts as a', 'a.id', 'x.artifact_id')
      .innerJoin('repositories as r', 'r.id', 'x.repository_id')
      .select(['x.type', 'x.subject_digest', 'a.digest'])
      .where('r.name', '=', pull.repository)
      .where((eb) => eb.or([eb('x.subject_digest', '=', pull.digest), eb('a.digest', '=', pull.digest)]))
      .orderBy('x.id', 'desc')
      .limit(200)
      .execute()
    // A signature is what clients fetch to verify: never refused.
    if (accessories.some((x) => x.digest === pull.digest && isSignatureType(x.type))) return null
    const mine = accessories.filter((x) => x.subject_digest === pull.digest)
    if (project.metadata.enable_content_trust_cosign === 'true') {
      const cosign = mine.filter((x) => x.type === AccessoryType.cosign).map((x) => x.digest as Digest)
      if (cosign.length === 0 || !(await this.trusted(project, pull, cosign, 'cosign'))) return 'The image is not signed by cosign.'
    }
    if (project.metadata.enable_content_trust === 'true') {
      const notation = mine.filter((x) => x.type === AccessoryType.notation).map((x) => x.digest as Digest)
      if (notation.length === 0 || !(await this.trusted(project, pull, notation, 'notation'))) return 'The image is not signed by notation.'
    }
    return null
  }

  /**
   * True when the project trusts nothing of the kind (cosign keys, notation roots): a signature's
   * presence is enough, as in Harbor. Otherwise whether one of the signatures verifies against one.
   */
  private async trusted(project: PullProject, pull: PulledManifest, signatures: Digest[], kind: 'cosign' | 'notation'): Promise<boolean> {
    const keys = (await this.o.keys.list(project.id)).filter((k) => (k.algorithm === 'x509') === (kind === 'notation'))
    if (keys.length === 0) return true
    const cacheKey = `${kind}|${keys.map((k) => k.fingerprint).sort().join(',')}|${pull.digest}|${[...signatures].sort().join(',')}`
    const known = this.verified.get(cacheKey)
    if (known !== undefined) return known
    const ok = kind === 'cosign' ? await this.anyVerifies(pull, signatures, keys.map((k) => this.keyOf(k))) : await this.anyNotation(pull, signatures, keys.map((k) => this.rootOf(k)))
    this.verified.set(cacheKey, ok)
    return ok
  }

  private keyOf(k: TrustedKey): KeyObject {
    let key = this.parsedKeys.get(k.fingerprint)
    if (key === undefined) this.parsedKeys.set(k.fingerprint, (key = parseTrustedKey(k.publicKey).key))
    return key
  }

  private rootOf(k: TrustedKey): X509Certificate {
    let root = this.roots.get(k.fingerprint)
    if (root === undefined) this.roots.set(k.fingerprint, (root = new X509Certificate(k.publicKey)))
    return root
  }

  /** Whether one of the notation signature manifests holds a JWS envelope that signs the digest under one of `roots`. */
  private async anyNotation(pull: PulledManifest, signatures: Digest[], roots: X509Certificate[]): Promise<boolean> {
    let checked = 0
    for (const sig of signatures) {
      for (const layer of listedBlobs(await this.o.manifest(pull.repository, sig))) {
        if (layer.mediaType !== NOTATION_JWS || layer.size > MAX_PAYLOAD_BYTES) continue
        if (++checked > MAX_SIGNATURES) return false
        let envelope: Buffer
        try {
          envelope = await this.o.blob(pull.repository, layer.digest, MAX_PAYLOAD_BYTES)
        } catch {
          continue // an envelope gone or larger than it said: not a signature
        }
        if (notationVerifies(envelope, pull.digest, roots)) return true
      }
    }
    return false
  }

  private async anyVerifies(pull: PulledManifest, signatures: Digest[], keys: KeyObject[]): Promise<boolean> {
    let checked = 0
    for (const sig of signatures) {
      for (const layer of signatureLayers(await this.o.manifest(pull.repository, sig))) {
        if (++checked > MAX_SIGNATURES) return false
        let payload: Buffer
        try {
          payload = await this.o.blob(pull.repository, layer.digest as Digest, MAX_PAYLOAD_BYTES)
        } catch {
          continue // a payload gone or larger than it said: not a signature
        }
        if (verifiesPayload(payload, layer.signature, pull.digest, keys)) return true
      }
    }
    return false
  }
}
