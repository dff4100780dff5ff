// Scanner registrations (Harbor's /scanners) and a project's scanner: checked input, the
// credential sealed with secret_key and never shown back, the URL judged by the outbound guard,
// and the adapter's metadata read through it.
import { randomUUID } from 'node:crypto'
import { BerthError } from '../../lib/errors.js'
import type { Caller } from '../../auth/identity.js'
import type { SecretBox } from '../../auth/secret-box.js'
import type { OutboundGuard } from '../../remote/outbound-guard.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import { ScannerStore, type Scanner, type ScannerAuth, type ScannerFields } from '../../metadata/scan-store.js'
import type { Db } from '../../metadata/schema.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf, requireSystemAccess } from '../identity/guards.js'
import { AdapterClient, type AdapterMetadata } from './adapter-client.js'

export const SCANNER_AUTHS: readonly ScannerAuth[] = ['', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key']

/** A registration as sent (Harbor's ScannerRegistrationReq); absent fields keep their value on update. */
export interface ScannerInput {
  name?: string
  description?: string
  url?: string
  auth?: string
  access_credential?: string
  skip_certVerify?: boolean
  use_internal_addr?: boolean
  disabled?: boolean
}

export interface ScannerRegistryOptions {
  db: Db
  box: SecretBox
  guard: OutboundGuard
  projects: ProjectService
  audit: AuditLog
  /** Timeout of one request to an adapter. */
  requestTimeoutMs: number
  /** Largest report read back from an adapter. */
  maxReportBytes: number
}

function bad(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message)
}

function text(what: string, v: unknown, max: number): string {
  if (typeof v !== 'string') throw bad(`${what} must be a string`)
  if (v.length > max) throw bad(`${what} is longer than ${max} characters`)
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) throw bad(`${what} contains a control character`)
  return v
}

export class ScannerRegistry {
  readonly store: ScannerStore

  constructor(private readonly o: ScannerRegistryOptions) {
    this.store = new ScannerStore(o.db.kysely)
  }

  /** The client of a registered scanner (or of one not yet saved). */
  client(s: Pick<Scanner, 'url' | 'auth' | 'sealedCredential' | 'skipCertVerify'>): AdapterClient {
    return new AdapterClient(
      { url: s.url, auth: s.auth, credential: s.sealedCredential === null ? '' : this.o.box.open(s.sealedCredential).toString('utf8') },
      { dispatcher: this.o.guard.dispatcher({ insecure: s.skipCertVerify }), timeoutMs: this.o.requestTimeoutMs, maxReportBytes: this.o.maxReportBytes },
    )
  }

  /** Checks a registration as sent, over `current` for an update. */
  private async fields(input: ScannerInput, current?: Scanner): Promise<ScannerFields> {
    const name = text('name', input.name ?? current?.name ?? '', 255).trim()
    if (name === '') throw bad('name is required')
    const description = text('description', input.description ?? current?.description ?? '', 1024)
    const url = text('url', input.url ?? current?.url ?? '', 2048).trim()
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw bad('url must be an http:// or https:// URL')
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw bad('url must be an http:// or https:// URL')
    if (parsed.username !== '' || parsed.password !== '') throw bad('url must not carry credentials; use auth and access_credential')
    if (parsed.search !== '' || parsed.hash !== '') throw bad('url must not have a query or a fragment')
    await this.o.guard.checkUrl(url)
    // Harbor's flag picks its internal registry address over its external one; Berth has one
    // address for adapters (scanning.registry_url, else external_url), so asking for another is refused.
    if (input.use_internal_addr === true) throw bad('use_internal_addr is not supported: every scanner pulls from scanning.registry_url (else external_url); set that to an address the adapter reaches, and use_internal_addr to false')
    const auth = input.auth ?? current?.auth ?? ''
    if (!(SCANNER_AUTHS as readonly string[]).includes(auth)) throw bad(`auth must be one of "", Basic, Bearer, X-ScannerAdapter-API-Key`)
    let sealedCredential: string | null
    if (auth === '') sealedCredential = null
    else if (input.access_credential !== undefined && input.access_credential !== '') {
      const c = text('access_credential', input.access_credential, 4096)
      if (auth === 'Basic' && !/^[^:]+:.*$/.test(c)) throw bad('access_credential for Basic must be "username:password"')
      // Harbor stores Basic as "user:password" and sends it encoded.
      sealedCredential = this.o.box.seal(auth === 'Basic' ? Buffer.from(c).toString('base64') : c)
    } else if (current !== undefined && current.sealedCredential !== null && current.auth === auth && current.url === url) sealedCredential = current.sealedCredential
    else throw bad(`access_credential is required with auth ${auth}`)
    return {
      name,
      description,
      url,
      auth: auth as ScannerAuth,
      sealedCredential,
      skipCertVerify: input.skip_certVerify ?? current?.skipCertVerify ?? false,
      useInternalAddr: false,
      disabled: input.disabled ?? current?.disabled ?? false,
    }
  }

  private audited(caller: Caller, operation: string, s: Pick<Scanner, 'uuid' | 'name'>): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'scanner', resource: `${s.name} (${s.uuid})`, result: 'success' })
  }

  async list(caller: Caller, q: ListQuery): Promise<Listed<Scanner>> {
    requireSystemAccess(caller, 'scanner:list')
    return this.store.list(q)
  }

  async get(caller: Caller, uuid: string): Promise<Scanner> {
    requireSystemAccess(caller, 'scanner:read')
    return this.byUuid(uuid)
  }

  private async byUuid(uuid: string): Promise<Scanner> {
    const s = await this.store.getByUuid(uuid)
    if (s === null) throw new BerthError('NOT_FOUND', `scanner registration ${uuid.slice(0, 64)} not found`)
    return s
  }

  async create(caller: Caller, input: ScannerInput): Promise<Scanner> {
    requireSystemAccess(caller, 'scanner:create')
    const fields = await this.fields(input)
    const uuid = randomUUID()
    if ((await this.store.create(uuid, fields)) === null) throw new BerthError('CONFLICT', `a scanner named ${fields.name} is registered already`)
    const s = await this.byUuid(uuid)
    this.audited(caller, 'create', s)
    return s
  }

  async update(caller: Caller, uuid: string, input: ScannerInput): Promise<void> {
    requireSystemAccess(caller, 'scanner:update')
    const current = await this.byUuid(uuid)
    const fields = await this.fields(input, current)
    if (!(await this.store.update(current.id, fields))) throw new BerthError('CONFLICT', `a scanner named ${fields.name} is registered already`)
    this.audited(caller, 'update', current)
  }

  /** Deletes a registration; the default one is refused while it is the default (as in Harbor). */
  async delete(caller: Caller, uuid: string): Promise<Scanner> {
    requireSystemAccess(caller, 'scanner:delete')
    const s = await this.byUuid(uuid)
    if (s.isDefault) throw new BerthError('PRECONDITION', `scanner ${s.name} is the default scanner; make another the default before deleting it`)
    await this.store.delete(s.id)
    this.audited(caller, 'delete', s)
    return s
  }

  async setDefault(caller: Caller, uuid: string, isDefault: boolean): Promise<void> {
    requireSystemAccess(caller, 'scanner:update')
    const s = await this.byUuid(uuid)
    if (!isDefault) throw bad('is_default can only be set to true: make another scanner the default instead')
    await this.store.setDefault(s.id)
    this.audited(caller, 'update', s)
  }

  /** Tries a registration not yet saved: its adapter's metadata. */
  async ping(caller: Caller, input: ScannerInput): Promise<AdapterMetadata> {
    requireSystemAccess(caller, 'scanner:create')
    const fields = await this.fields({ ...input, name: input.name === undefined || input.name === '' ? 'ping' : input.name })
    return this.client(fields).metadata()
  }

  async metadata(caller: Caller, uuid: string): Promise<AdapterMetadata> {
    requireSystemAccess(caller, 'scanner:read')
    return this.client(await this.byUuid(uuid)).metadata()
  }

  /** The scanner a project uses (its own choice, else the default), or null. */
  async ofProject(caller: Caller, ref: ProjectRef): Promise<Scanner | null> {
    const project = await this.o.projects.require(caller, ref, 'scanner:read')
    return this.store.forProject(project.id)
  }

  async setForProject(caller: Caller, ref: ProjectRef, uuid: string): Promise<void> {
    const project = await this.o.projects.require(caller, ref, 'scanner:create')
    const s = await this.store.getByUuid(uuid)
    if (s === null) throw bad(`scanner registration ${uuid.slice(0, 64)} not found`)
    if (s.disabled) throw bad(`scanner ${s.name} is disabled`)
    await this.store.setForProject(project.id, s.id)
    this.o.audit.record({ ...actorOf(caller), operation: 'update', resourceType: 'project-scanner', resource: `${project.name}: ${s.name}`, result: 'success', projectId: project.id })
  }

  /** The scanners a project may choose from, paged. */
  async candidates(caller: Caller, ref: ProjectRef, q: ListQuery): Promise<Listed<Scanner>> {
    await this.o.projects.require(caller, ref, 'scanner:create')
    return this.store.list(q)
  }
}
