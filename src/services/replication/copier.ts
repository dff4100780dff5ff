// Copies one artifact between two endpoints, digests unchanged: the children of an index first,
// then blobs (skipped when the target has them, mounted when it can lend them from another
// repository, else streamed in chunks that resume after an interruption), then the manifest,
// then its referrers (signatures, SBOMs) and cosign's `.sig`-tagged signatures. Every step checks the target first, so running a copy
// again, after a crash or on a second node, does only what is missing.
import { PermanentJobError } from '../../jobs/job-service.js'
import { BerthError, isBerthError } from '../../lib/errors.js'
import { parseManifest, type ParsedManifest } from '../../oci/manifest.js'
import type { ManifestDoc, RegistryEndpoint, WriteOptions } from '../../remote/endpoint.js'
import { cosignSignatureTag } from '../../oci/accessory.js'

export interface CopyOptions extends WriteOptions {
  /** Replace a tag the target has on another digest (else leave it and say so). */
  override: boolean
  log(line: string): Promise<void>
}

export type CopyResult = 'copied' | 'unchanged' | 'kept' | 'gone'

/** The manifest's children and blobs, read by the parser pushes go through; a manifest that does not parse never will. */
function parse(m: ManifestDoc): ParsedManifest {
  try {
    return parseManifest(m.body, m.mediaType)
  } catch (err) {
    if (isBerthError(err, 'MANIFEST_INVALID')) throw new PermanentJobError(`manifest ${m.digest}: ${err.message}`)
    throw err
  }
}

export class Copier {
  private bytes = 0

  constructor(
    private readonly src: RegistryEndpoint,
    private readonly dst: RegistryEndpoint,
  ) {}

  /** Bytes sent so far. */
  get sent(): number {
    return this.bytes
  }

  /** Copies `srcRepo:reference` to `dstRepo:reference` (a tag or a digest). */
  async copy(srcRepo: string, dstRepo: string, reference: string, o: CopyOptions): Promise<CopyResult> {
    const m = await this.src.manifest(srcRepo, reference, o.signal)
    if (m === null) {
      await o.log(`${srcRepo}:${reference} is no longer at the source: nothing to copy`)
      return 'gone'
    }
    const isTag = !reference.includes(':')
    const there = await this.dst.manifestDigest(dstRepo, reference, o.signal)
    if (there === m.digest) {
      await o.log(`${dstRepo}:${reference} is already ${m.digest}`)
      await this.accessories(srcRepo, dstRepo, m.digest, o)
      return 'unchanged'
    }
    if (isTag && there !== null && !o.override) {
      await o.log(`${dstRepo}:${reference} is ${there} at the target and override is off: left as it is`)
      return 'kept'
    }
    await this.tree(srcRepo, dstRepo, m, o)
    await this.dst.putManifest(dstRepo, reference, m, o)
    await o.log(`${dstRepo}:${reference} <- ${m.digest} (${this.bytes} bytes sent)`)
    await this.accessories(srcRepo, dstRepo, m.digest, o)
    return 'copied'
  }

  /** Deletes `dstRepo:reference` at the target; a registry that cannot delete tags loses the manifest instead. */
  async delete(dstRepo: string, reference: string, o: WriteOptions & { log(line: string): Promise<void> }): Promise<boolean> {
    try {
      const done = await this.dst.deleteManifest(dstRepo, reference, o)
      await o.log(done ? `${dstRepo}:${reference} deleted` : `${dstRepo}:${reference} was not there`)
      return done
    } catch (err) {
      if (!isBerthError(err, 'UNSUPPORTED') || reference.includes(':')) throw err
      const digest = await this.dst.manifestDigest(dstRepo, reference, o.signal)
      if (digest === null) return false
      await o.log(`the target cannot delete tag ${reference}: deleting its manifest ${digest}`)
      return this.dst.deleteManifest(dstRepo, digest, o)
    }
  }

  /** Everything a manifest needs at the target before it can be put there. */
  private async tree(srcRepo: string, dstRepo: string, m: ManifestDoc, o: CopyOptions): Promise<void> {
    const doc = parse(m)
    for (const child of doc.manifests) {
      if ((await this.dst.manifestDigest(dstRepo, child.digest, o.signal)) === child.digest) continue
      const cm = await this.src.manifest(srcRepo, child.digest, o.signal)
      if (cm === null) throw new BerthError('MANIFEST_UNKNOWN', `child ${child.digest} of ${m.digest} is missing at the source`)
      await this.tree(srcRepo, dstRepo, cm, o)
      await this.dst.putManifest(dstRepo, child.digest, cm, o)
    }
    for (const b of doc.blobs) await this.blob(srcRepo, dstRepo, b.digest, b.size, o)
  }

  private async blob(srcRepo: string, dstRepo: string, digest: string, size: number, o: CopyOptions): Promise<void> {
    if (await this.dst.hasBlob(dstRepo, digest, o.signal)) return
    if (await this.dst.mountBlob(dstRepo, digest, '', o.signal).catch(() => false)) {
      await o.log(`blob ${digest} mounted from another repository at the target`)
      return
    }
    await this.dst.pushBlob(
      dstRepo,
      digest,
      size,
      async (offset) => (await this.src.openBlob(srcRepo, digest, offset, o.signal)).stream,
      { ...o, onBytes: (n) => (this.bytes += n) },
    )
  }

  /** What describes `digest`: its referrers and cosign's `.sig`-tagged signature manifest. */
  private async accessories(srcRepo: string, dstRepo: string, digest: string, o: CopyOptions): Promise<void> {
    await this.referrers(srcRepo, dstRepo, digest, o)
    await this.cosignSignature(srcRepo, dstRepo, digest, o)
  }

  /** cosign's signatures of `digest` (the manifest tagged `sha256-<hex>.sig`), copied under that tag when the target lacks them. */
  private async cosignSignature(srcRepo: string, dstRepo: string, digest: string, o: CopyOptions): Promise<void> {
    const tag = cosignSignatureTag(digest)
    const sm = await this.src.manifest(srcRepo, tag, o.signal)
    if (sm === null || (await this.dst.manifestDigest(dstRepo, tag, o.signal)) === sm.digest) return
    await this.tree(srcRepo, dstRepo, sm, o)
    await this.dst.putManifest(dstRepo, tag, sm, o)
    await o.log(`cosign signature ${dstRepo}:${tag} <- ${sm.digest}`)
  }

  /** Signatures, SBOMs and other referrers of `digest` the target lacks, each copied by digest. */
  private async referrers(srcRepo: string, dstRepo: string, digest: string, o: CopyOptions): Promise<void> {
    for (const r of await this.src.referrers(srcRepo, digest, o.signal)) {
      if ((await this.dst.manifestDigest(dstRepo, r.digest, o.signal)) === r.digest) continue
      const rm = await this.src.manifest(srcRepo, r.digest, o.signal)
      if (rm === null) continue
      await this.tree(srcRepo, dstRepo, rm, o)
      await this.dst.putManifest(dstRepo, r.digest, rm, o)
      await o.log(`referrer ${r.digest} (${r.artifactType ?? r.mediaType}) of ${digest} copied`)
      await this.referrers(srcRepo, dstRepo, r.digest, o)
    }
  }
}
