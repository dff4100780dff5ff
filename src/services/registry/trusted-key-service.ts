// A project's trusted cosign keys and notation root certificates (Berth's own, beside Harbor's
// content trust): project admins add and remove them, members read them. When a project has
// keys (roots), only a cosign (notation) signature that verifies against one of them lets an
// image through the pull policy.
import { BerthError } from '../../lib/errors.js'
import type { TrustedKey, TrustedKeyStore } from '../../metadata/trusted-key-store.js'
import type { Caller } from '../../auth/identity.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf } from '../identity/guards.js'
import { parseTrustedKey } from './cosign-verify.js'

/** At most this many keys per project: every verification may try each. */
export const MAX_TRUSTED_KEYS = 32

export interface TrustedKeyInput {
  name: string
  description?: string
  publicKey: string
}

export interface TrustedKeyServiceOptions {
  keys: TrustedKeyStore
  projects: ProjectService
  audit: AuditLog
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export class TrustedKeyService {
  constructor(private readonly o: TrustedKeyServiceOptions) {}

  async list(caller: Caller, ref: ProjectRef): Promise<TrustedKey[]> {
    const project = await this.o.projects.require(caller, ref, 'metadata:read')
    return this.o.keys.list(project.id)
  }

  async get(caller: Caller, ref: ProjectRef, id: number): Promise<TrustedKey> {
    const project = await this.o.projects.require(caller, ref, 'metadata:read')
    const key = await this.o.keys.get(project.id, id)
    if (key === null) throw new BerthError('NOT_FOUND', 'trusted key not found')
    return key
  }

  async create(caller: Caller, ref: ProjectRef, input: TrustedKeyInput): Promise<TrustedKey> {
    const project = await this.o.projects.require(caller, ref, 'metadata:update')
    if (!NAME.test(input.name)) throw new BerthError('BAD_REQUEST', 'name: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit')
    const parsed = parseTrustedKey(input.publicKey)
    if ((await this.o.keys.count(project.id)) >= MAX_TRUSTED_KEYS) throw new BerthError('BAD_REQUEST', `a project trusts at most ${MAX_TRUSTED_KEYS} keys`)
    const clash = await this.o.keys.clash(project.id, input.name, parsed.fingerprint)
    if (clash !== null) throw new BerthError('CONFLICT', clash === 'name' ? `the project already has a key named ${input.name}` : 'the project already trusts this key')
    const key = await this.o.keys.create({ projectId: project.id, name: input.name, description: input.description ?? '', algorithm: parsed.algorithm, publicKey: parsed.publicKey, fingerprint: parsed.fingerprint, creator: actorOf(caller).username })
    this.o.audit.record({ ...actorOf(caller), operation: 'create', resourceType: 'trusted-key', resource: `${project.name}/${key.name}`, result: 'success', projectId: project.id })
    return key
  }

  async delete(caller: Caller, ref: ProjectRef, id: number): Promise<void> {
    const project = await this.o.projects.require(caller, ref, 'metadata:update')
    const key = await this.o.keys.get(project.id, id)
    if (key === null || !(await this.o.keys.delete(project.id, id))) throw new BerthError('NOT_FOUND', 'trusted key not found')
    this.o.audit.record({ ...actorOf(caller), operation: 'delete', resourceType: 'trusted-key', resource: `${project.name}/${key.name}`, result: 'success', projectId: project.id })
  }
}
