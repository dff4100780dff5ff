// Labels: global ones managed by administrators, project ones by those holding label rights in
// the project. A label the caller may not see answers as missing.
import { BerthError } from '../../lib/errors.js'
import type { Stores } from '../../metadata/stores.js'
import type { Label, LabelInput } from '../../metadata/label-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Caller } from '../../auth/identity.js'
import type { Permission } from '../../auth/permissions.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectService } from '../identity/project-service.js'
import { actorOf, requireSignedIn, requireSystemAccess } from '../identity/guards.js'

export interface LabelServiceOptions {
  stores: Stores
  projects: ProjectService
  audit: AuditLog
}

function checkLabel(l: Partial<LabelInput>): void {
  if (l.name !== undefined && (l.name.trim() === '' || l.name.length > 128)) throw new BerthError('BAD_REQUEST', 'label name must be 1 to 128 characters')
  if (l.color !== undefined && l.color !== '' && !/^#[0-9a-fA-F]{6}$/.test(l.color)) throw new BerthError('BAD_REQUEST', 'color must be like #61717D')
}

export class LabelService {
  constructor(private readonly o: LabelServiceOptions) {}

  private audit(caller: Caller, label: Label, operation: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'label', resource: label.name, result: 'success', projectId: label.projectId })
  }

  /** Checks `perm` on a project label's project (global labels: administrators for changes). */
  private async allowed(caller: Caller, label: Label, perm: Permission): Promise<void> {
    if (label.scope === 'g') {
      requireSignedIn(caller)
      if (perm !== 'label:read' && perm !== 'label:list') requireSystemAccess(caller, perm === 'label:create' ? 'label:create' : perm === 'label:delete' ? 'label:delete' : 'label:update')
      return
    }
    try {
      await this.o.projects.require(caller, { id: label.projectId! }, perm)
    } catch (err) {
      if (err instanceof BerthError && err.code === 'UNAUTHORIZED') throw err
      if (err instanceof BerthError && err.code === 'DENIED' && perm !== 'label:read') throw err
      throw new BerthError('NOT_FOUND', 'label not found')
    }
  }

  async list(caller: Caller, scope: 'g' | 'p', projectId: number | undefined, q: ListQuery): Promise<Listed<Label>> {
    if (scope === 'g') {
      requireSignedIn(caller)
      return this.o.stores.labels.list(null, q)
    }
    if (projectId === undefined) throw new BerthError('BAD_REQUEST', 'project_id is required for scope p')
    const project = await this.o.projects.require(caller, { id: projectId }, 'label:list')
    return this.o.stores.labels.list(project.id, q)
  }

  async get(caller: Caller, id: number): Promise<Label> {
    const label = await this.o.stores.labels.get(id)
    if (label === null) throw new BerthError('NOT_FOUND', 'label not found')
    await this.allowed(caller, label, 'label:read')
    return label
  }

  async create(caller: Caller, input: LabelInput & { scope: 'g' | 'p'; projectId?: number }): Promise<Label> {
    checkLabel(input)
    let projectId: number | null = null
    if (input.scope === 'g') requireSystemAccess(caller, 'label:create')
    else {
      if (input.projectId === undefined) throw new BerthError('BAD_REQUEST', 'project_id is required for scope p')
      projectId = (await this.o.projects.require(caller, { id: input.projectId }, 'label:create')).id
    }
    const label = await this.o.stores.labels.create(projectId, { name: input.name, description: input.description, color: input.color })
    if (label === null) throw new BerthError('CONFLICT', `label ${input.name} already exists`)
    this.audit(caller, label, 'create')
    return label
  }

  async update(caller: Caller, id: number, change: Partial<LabelInput>): Promise<void> {
    checkLabel(change)
    const label = await this.get(caller, id)
    await this.allowed(caller, label, 'label:update')
    if (change.name !== undefined && change.name !== label.name) {
      const clash = await this.o.stores.labels.list(label.projectId, { conditions: [{ key: 'name', op: 'eq', value: change.name }], sort: [], page: 1, pageSize: 1 })
      if (clash.total > 0) throw new BerthError('CONFLICT', `label ${change.name} already exists`)
    }
    await this.o.stores.labels.update(id, change)
    this.audit(caller, label, 'update')
  }

  async delete(caller: Caller, id: number): Promise<void> {
    const label = await this.get(caller, id)
    await this.allowed(caller, label, 'label:delete')
    await this.o.stores.labels.delete(id)
    this.audit(caller, label, 'delete')
  }

}
