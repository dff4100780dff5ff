// Shared helpers for the in-process /v2/ HTTP tests: an app per suite, digests, pushes, and OCI error checks.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { ADMIN_AUTH, createTestBerth, type ConfigPatch, type TestBerth } from '../../../test/support/berth-app.js'
import type { Dialect } from '../../metadata/schema.js'

export type App = FastifyInstance
export type Response = LightMyRequestResponse

// Media types written out, not imported from the server, so a changed constant there shows up here.
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json'
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip'

/** The app with `authorization` added to every injected request that does not bring its own. */
export function withAuthorization(app: App, authorization: string): App {
  return new Proxy(app, {
    get(target, prop, receiver) {
      if (prop !== 'inject') return Reflect.get(target, prop, receiver)
      return (opts: InjectOptions) => target.inject({ ...opts, headers: { authorization, ...(opts.headers ?? {}) } })
    },
  })
}

/**
 * A Berth started before the suite's tests and destroyed after them; `app` (valid inside tests)
 * sends the admin's credentials unless a request brings its own; `anonymous` sends none.
 */
export function useBerth(dialect: Dialect, patch?: ConfigPatch): { readonly app: App; readonly anonymous: App; readonly berth: TestBerth } {
  let berth: TestBerth | undefined
  before(async () => {
    berth = await createTestBerth(dialect, patch)
  })
  after(async () => {
    await berth?.destroy()
  })
  const started = () => {
    if (berth === undefined) throw new Error('the test Berth is not started')
    return berth
  }
  return {
    get app() {
      return withAuthorization(started().app, ADMIN_AUTH)
    },
    get anonymous() {
      return started().app
    },
    get berth() {
      return started()
    },
  }
}

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

export function sha512(bytes: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(bytes).digest('hex')}`
}

/** Deterministic bytes unique to `label`, so tests never share blobs by accident. */
export function bytesOf(label: string, size = 64): Buffer {
  const out = Buffer.alloc(size)
  for (let filled = 0, i = 0; filled < size; i++) {
    filled += createHash('sha256').update(`${label}#${i}`).digest().copy(out, filled)
  }
  return out
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
  platform?: Record<string, unknown>
  urls?: string[]
}

export function descriptorOf(mediaType: string, bytes: Uint8Array | string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: sha256(bytes), size: Buffer.byteLength(bytes), ...extra }
}

/**
 * Serialises a manifest with unusual spacing and a trailing newline: a registry that re-encodes
 * JSON instead of storing the exact bytes would change them.
 */
export function manifestText(doc: object): string {
  return `${JSON.stringify(doc, null, 3)}\n`
}

export function header(res: Response, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v)
}

export interface OciError {
  code: string
  message?: string
  detail?: unknown
}

/** Asserts an OCI error response (status, JSON body, first code) and returns the first error. */
export function assertOciError(res: Response, status: number, code: string): OciError {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body.slice(0, 500)}`)
  assert.match(header(res, 'content-type') ?? '', /^application\/json/)
  const body = res.json() as { errors?: OciError[] }
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `no errors array in ${res.body.slice(0, 500)}`)
  assert.equal(body.errors[0]!.code, code, `error body: ${res.body.slice(0, 500)}`)
  return body.errors[0]!
}

/** Asserts a status with a readable failure message (the body is shown). */
export function assertStatus(res: Response, status: number): void {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 500)}`)
}

/** Monolithic push (POST ?digest=); asserts 201 and returns the digest. */
export async function pushBlob(app: App, repo: string, bytes: Uint8Array | string, digest = sha256(bytes)): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: `/v2/${repo}/blobs/uploads/?digest=${digest}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from(bytes),
  })
  assertStatus(res, 201)
  return digest
}

export function putManifest(app: App, repo: string, ref: string, body: string | Buffer, mediaType?: string): Promise<Response> {
  return app.inject({
    method: 'PUT',
    url: `/v2/${repo}/manifests/${ref}`,
    headers: mediaType === undefined ? {} : { 'content-type': mediaType },
    payload: body,
  })
}

/** PUT a manifest; asserts 201 and returns its digest. */
export async function pushManifest(app: App, repo: string, ref: string, body: string | Buffer, mediaType: string): Promise<string> {
  const res = await putManifest(app, repo, ref, body, mediaType)
  assertStatus(res, 201)
  const digest = sha256(body)
  assert.equal(header(res, 'docker-content-digest'), digest)
  return digest
}

export interface PushedImage {
  /** The manifest's exact text. */
  text: string
  digest: string
  size: number
  config: Descriptor
  layers: Descriptor[]
}

export interface ImageOptions {
  /** Docker schema 2 instead of OCI. */
  docker?: boolean
  configMediaType?: string
  artifactType?: string
  subject?: Descriptor
  annotations?: Record<string, string>
  /** No layer blob (an artifact with only a config). */
  noLayers?: boolean
}

/** Pushes a config and a layer (unique to `label`), then a manifest over them at `ref`. */
export async function pushImage(app: App, repo: string, ref: string, label: string, o: ImageOptions = {}): Promise<PushedImage> {
  const configBytes = JSON.stringify({ label, architecture: 'amd64', os: 'linux' })
  const layerBytes = bytesOf(`layer:${label}`, 300)
  await pushBlob(app, repo, configBytes)
  const config = descriptorOf(o.configMediaType ?? (o.docker === true ? DOCKER_CONFIG : OCI_CONFIG), configBytes)
  const layers: Descriptor[] = []
  if (o.noLayers !== true) {
    await pushBlob(app, repo, layerBytes)
    layers.push(descriptorOf(o.docker === true ? DOCKER_LAYER : OCI_LAYER, layerBytes))
  }
  const mediaType = o.docker === true ? DOCKER_MANIFEST : OCI_MANIFEST
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType }
  if (o.artifactType !== undefined) doc.artifactType = o.artifactType
  doc.config = config
  doc.layers = layers
  if (o.subject !== undefined) doc.subject = o.subject
  if (o.annotations !== undefined) doc.annotations = o.annotations
  const text = manifestText(doc)
  const digest = await pushManifest(app, repo, ref, text, mediaType)
  return { text, digest, size: Buffer.byteLength(text), config, layers }
}

/** Index text over child descriptors. */
export function indexText(mediaType: string, manifests: Descriptor[], extra: Record<string, unknown> = {}): string {
  return manifestText({ schemaVersion: 2, mediaType, ...extra, manifests })
}

/** GET a blob; asserts 200 and returns its bytes. */
export async function getBlob(app: App, repo: string, digest: string): Promise<Buffer> {
  const res = await app.inject({ method: 'GET', url: `/v2/${repo}/blobs/${digest}` })
  assertStatus(res, 200)
  return res.rawPayload
}

/** POST an upload session; asserts 202 and returns its Location (a path). */
export async function startUpload(app: App, repo: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' } })
  assertStatus(res, 202)
  const location = header(res, 'location')
  assert.ok(location !== undefined, 'POST upload without Location')
  return location
}

/** `location` with the query parameters appended (the location may carry its own). */
export function withQuery(location: string, params: Record<string, string>): string {
  const sep = location.includes('?') ? '&' : '?'
  return `${location}${sep}${new URLSearchParams(params).toString()}`
}
