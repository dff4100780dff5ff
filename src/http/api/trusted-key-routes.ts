// /api/v2.0/projects/{project}/trusted-keys: the public keys a project trusts for cosign
// signatures and the root certificates it trusts for notation signatures (Berth's own; Harbor
// has no such resource). Project admins add and remove them, members read them; the pull policy
// then counts only signatures that verify against one.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { TrustedKey } from '../../metadata/trusted-key-store.js'
import type { TrustedKeyService } from '../../services/registry/trusted-key-service.js'
import { MAX_PEM_BYTES } from '../../services/registry/cosign-verify.js'
import type { Security } from '../security.js'
import { idOf, projectRefOf } from './context.js'
import { API, apiRouter, Empty } from './router.js'

export interface TrustedKeyDeps extends Security {
  trustedKeys: TrustedKeyService
}

/** A key is a name, a description and one PEM block. */
const KEY_BODY_LIMIT = 32 << 10

const ProjectParams = Type.Object({ project: Type.String({ minLength: 1, maxLength: 255, description: 'project name or id' }) })
const KeyParams = Type.Object({ project: ProjectParams.properties.project, key_id: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a numeric id' }) })

export const TrustedKeyJson = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  algorithm: Type.String({ description: 'ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa or ed25519 (cosign keys); x509 (a notation root certificate)' }),
  public_key: Type.String({ description: 'SPKI PEM (a cosign key) or certificate PEM (a notation root)' }),
  fingerprint: Type.String({ description: 'sha256 of the DER SubjectPublicKeyInfo (a key) or of the DER certificate (a root), hex' }),
  creator: Type.String(),
  creation_time: Type.String(),
})

const KeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    public_key: Type.String({ minLength: 1, maxLength: MAX_PEM_BYTES, description: 'PEM "-----BEGIN PUBLIC KEY-----" (cosign.pub): ECDSA P-256/P-384/P-521, RSA of 2048 bits or more, or Ed25519; or "-----BEGIN CERTIFICATE-----" of a certificate authority (a notation trust root)' }),
  },
  { additionalProperties: false },
)

function keyJson(k: TrustedKey): Static<typeof TrustedKeyJson> {
  return { id: k.id, project_id: k.projectId, name: k.name, description: k.description, algorithm: k.algorithm, public_key: k.publicKey, fingerprint: k.fingerprint, creator: k.creator, creation_time: k.createdAt }
}

export async function trustedKeyRoutes(app: FastifyInstance, deps: TrustedKeyDeps): Promise<void> {
  const { trustedKeys } = deps
  const route = apiRouter(app, deps)
  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const ref = (req: FastifyRequest) => projectRefOf(req, params(req).project!)
  const keyId = (req: FastifyRequest) => idOf(params(req).key_id!, 'key_id')

  route('GET', '/projects/:project/trusted-keys', { summary: "List the cosign keys and notation roots a project trusts (Berth's own)", tag: 'trusted-key', anonymous: true, params: ProjectParams, response: { 200: Type.Array(TrustedKeyJson) } }, async (req, _reply, caller) => (await trustedKeys.list(caller, ref(req))).map(keyJson))
  route('GET', '/projects/:project/trusted-keys/:key_id', { summary: 'Get a trusted key', tag: 'trusted-key', anonymous: true, params: KeyParams, response: { 200: TrustedKeyJson } }, async (req, _reply, caller) => keyJson(await trustedKeys.get(caller, ref(req), keyId(req))))
  route('POST', '/projects/:project/trusted-keys', { summary: 'Trust a cosign public key or a notation root certificate in a project (project admins; at most 32)', tag: 'trusted-key', bodyLimit: KEY_BODY_LIMIT, params: ProjectParams, body: KeyBody, response: { 201: Empty } }, async (req, reply, caller) => {
    const b = req.body as Static<typeof KeyBody>
    const key = await trustedKeys.create(caller, ref(req), { name: b.name, publicKey: b.public_key, ...(b.description !== undefined ? { description: b.description } : {}) })
    return reply.code(201).header('location', `${API}/projects/${encodeURIComponent(params(req).project!)}/trusted-keys/${key.id}`).send()
  })
  route('DELETE', '/projects/:project/trusted-keys/:key_id', { summary: 'Stop trusting a key', tag: 'trusted-key', params: KeyParams, response: { 200: Empty } }, async (req, reply, caller) => {
    await trustedKeys.delete(caller, ref(req), keyId(req))
    return reply.send()
  })
}
