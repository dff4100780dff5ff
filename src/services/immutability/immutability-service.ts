// Tag immutability: each project's rules (Harbor's immutable tag rules, managed through the API)
// and the one check every path that moves or removes a tag calls. A tag an enabled rule selects
// is immutable once it exists: it cannot be pushed to another digest, deleted, nor taken away
// with its artifact or repository. Pushing the same digest again is allowed (it changes nothing).
//
// The check sits on the push path, so a project's enabled rules are compiled once and cached in
// the process for a short time; a change drops them on every node at once through the shared
// bus (the time limit only bounds a lost message). A project without rules costs no query
// while its empty entry is cached, and no tag lookup ever.
import { BerthError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { Bus } from '../../cache/shared-state.js'
import type { Stores } from '../../metadata/stores.js'
import type { ImmutableRuleRow } from '../../metadata/immutable-rule-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Project } from '../../metadata/project-store.js'
import type { Caller } from '../../auth/identity.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf } from '../identity/guards.js'
import { compileSelectors, parseScopeSelectors, parseTagSelectors, repositoryInProject, selectorsJson, type CompiledSelectors, type RuleSelectors } from '../rules/selectors.js'

/** Harbor's only template and action for immutable tag rules. */
export const IMMUTABLE_TEMPLATE = 'immutable_template'
export const IMMUTABLE_ACTION = 'immutable'
/** Most rules a project may have, as in Harbor. */
export const MAX_RULES_PER_PROJECT = 15
/** Longest JSON of a rule's `params` accepted (Harbor's immutable rules carry none). */
const MAX_PARAMS_JSON = 1024
/** How long a node keeps a project's compiled rules without hearing of a change. */
const RULES_TTL_MS = 30_000
/** Projects whose rules one node keeps compiled at most (the oldest entry goes first). */
const MAX_CACHED_PROJECTS = 10_000
/** The bus topic that tells every node a project's rules changed (message: the project id). */
export const RULES_CHANGED = 'immutable-rules-changed'

/** What a caller is about to do to the tags it names: move them to another digest, or remove them. */
export type ImmutableOperation = 'push' | 'delete'

/** The tags to check, or a function that looks them up: called only when a rule covers the repository. */
export type TagSource = readonly string[] | (() => Promise<readonly string[]>)

/** The one check: PRECONDITION when an enabled rule of the project protects one of `tags`. */
export interface TagImmutability {
  /**
   * `stores`: where to read the rules when they are not cached; a caller inside a transaction
   * passes its transaction's stores (SQLite has one connection: a read beside the transaction
   * would wait for it forever).
   */
  check(projectId: number, repository: string, tags: TagSource, op: ImmutableOperation, stores?: Stores): Promise<void>
  /** Which of `tags` are protected now: the `immutable` status the API shows on tags. */
  protectedTags(projectId: number, repository: string, tags: readonly string[]): Promise<Set<string>>
}

/** A check that never refuses: for services built without immutability (some unit tests). */
export const NO_IMMUTABILITY: TagImmutability = { check: async () => {}, protectedTags: async () => new Set() }

export interface ImmutableRule extends RuleSelectors {
  id: number
  projectId: number
  priority: number
  disabled: boolean
  action: string
  template: string
  params: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

/** A rule as Harbor's API sends it (field names as on the wire), before validation. */
export interface ImmutableRuleInput {
  id?: number
  priority?: number
  disabled?: boolean
  action?: string
  template?: string
  params?: Record<string, unknown>
  tag_selectors?: unknown
  scope_selectors?: unknown
}

export interface ImmutabilityServiceOptions {
  stores: Stores
  projects: ProjectService
  audit: AuditLog
  /** Tells the other nodes that a project's rules changed; absent on a single node in tests. */
  bus?: Bus
  log?: Logger
  now?: () => number
}

/** The stored JSON of a rule: everything but id, priority and disabled. */
interface StoredRule {
  action: string
  template: string
  params: Record<string, unknown>
  tag_selectors: unknown
  scope_selectors: unknown
}

function bad(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message)
}

/** The refusal every path returns: 412 PRECONDITION on the API, 412 DENIED on /v2/ (as Harbor answers both). */
export function immutableTagError(repository: string, tag: string, op: ImmutableOperation): BerthError {
  const what = op === 'push' ? 'overwritten' : 'deleted'
  return new BerthError('PRECONDITION', `the tag ${repository}:${tag} is immutable, cannot be ${what}`, { repository, tag })
}

function parseRule(row: ImmutableRuleRow): ImmutableRule {
  const stored = JSON.parse(row.rule) as StoredRule
  return {
    id: row.id,
    projectId: row.projectId,
    priority: row.priority,
    disabled: row.disabled,
    action: stored.action,
    template: stored.template,
    params: stored.params,
    // Stored rules were validated when written; parsing again gives the untagged flags back.
    tagSelectors: parseTagSelectors(stored.tag_selectors),
    repositorySelectors: parseScopeSelectors(stored.scope_selectors),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/** Validates the body of a new or replaced rule; the stored JSON and the selectors. */
function validated(input: ImmutableRuleInput): { stored: StoredRule; selectors: RuleSelectors } {
  const template = input.template ?? IMMUTABLE_TEMPLATE
  if (template !== IMMUTABLE_TEMPLATE) throw bad(`template must be "${IMMUTABLE_TEMPLATE}", not ${JSON.stringify(template).slice(0, 64)}`)
  const action = input.action ?? IMMUTABLE_ACTION
  if (action !== IMMUTABLE_ACTION) throw bad(`action must be "${IMMUTABLE_ACTION}", not ${JSON.stringify(action).slice(0, 64)}`)
  const params = input.params ?? {}
  if (JSON.stringify(params).length > MAX_PARAMS_JSON) throw bad(`params is larger than ${MAX_PARAMS_JSON} bytes of JSON`)
  if (input.tag_selectors === undefined) throw bad('tag_selectors is required')
  if (input.scope_selectors === undefined) throw bad('scope_selectors is required')
  const selectors: RuleSelectors = { tagSelectors: parseTagSelectors(input.tag_selectors), repositorySelectors: parseScopeSelectors(input.scope_selectors) }
  return { stored: { action, template, params, ...selectorsJson(selectors) }, selectors }
}

/** The part of a rule that says what it protects: two rules with the same key are duplicates. */
function selectorsKey(s: RuleSelectors): string {
  return JSON.stringify(selectorsJson(s))
}

export class ImmutabilityService implements TagImmutability {
  /** Compiled enabled rules by project id, with when they expire. */
  private readonly cache = new Map<number, { rules: CompiledSelectors[]; until: number }>()
  /** Loads in flight, shared by concurrent checks of one project. */
  private readonly loading = new Map<number, Promise<CompiledSelectors[]>>()
  /** Bumped by every invalidation: a load that began before one does not fill the cache. */
  private epoch = 0
  private readonly now: () => number

  constructor(private readonly o: ImmutabilityServiceOptions) {
    this.now = o.now ?? Date.now
    o.bus?.subscribe(RULES_CHANGED, (message) => {
      const id = Number(message)
      if (Number.isSafeInteger(id)) this.forget(id)
    })
  }

  // --- the check ---------------------------------------------------------------------------

  async check(projectId: number, repository: string, tags: TagSource, op: ImmutableOperation, stores?: Stores): Promise<void> {
    const covering = await this.covering(projectId, repository, stores ?? this.o.stores)
    if (covering.length === 0) return
    for (const tag of typeof tags === 'function' ? await tags() : tags) {
      if (covering.some((r) => r.selectsTag(tag))) throw immutableTagError(repository, tag, op)
    }
  }

  async protectedTags(projectId: number, repository: string, tags: readonly string[]): Promise<Set<string>> {
    const covering = await this.covering(projectId, repository, this.o.stores)
    return new Set(covering.length === 0 ? [] : tags.filter((tag) => covering.some((r) => r.selectsTag(tag))))
  }

  /** The project's enabled rules whose scope covers the repository. */
  private async covering(projectId: number, repository: string, stores: Stores): Promise<CompiledSelectors[]> {
    const rules = await this.enabledRules(projectId, stores)
    if (rules.length === 0) return rules
    const name = repositoryInProject(repository)
    return rules.filter((r) => r.coversRepository(name))
  }

  /** A project's enabled rules, compiled: from the cache, or loaded once for concurrent callers. */
  private async enabledRules(projectId: number, stores: Stores): Promise<CompiledSelectors[]> {
    const cached = this.cache.get(projectId)
    if (cached !== undefined && cached.until > this.now()) return cached.rules
    // A load in flight reads through another connection: a caller in a transaction reads its own.
    const shared = stores === this.o.stores
    const inFlight = shared ? this.loading.get(projectId) : undefined
    if (inFlight !== undefined) return inFlight
    const epoch = this.epoch
    const load = (async () => {
      const rows = await stores.immutableRules.all(projectId)
      const rules = rows.filter((r) => !r.disabled).map((r) => compileSelectors(parseRule(r)))
      if (epoch === this.epoch) {
        if (this.cache.size >= MAX_CACHED_PROJECTS) this.cache.delete(this.cache.keys().next().value!)
        this.cache.set(projectId, { rules, until: this.now() + RULES_TTL_MS })
      }
      return rules
    })()
    if (!shared) return load
    this.loading.set(projectId, load)
    try {
      return await load
    } finally {
      if (this.loading.get(projectId) === load) this.loading.delete(projectId)
    }
  }

  private forget(projectId: number): void {
    this.epoch++
    this.cache.delete(projectId)
    this.loading.delete(projectId)
  }

  /** Drops this node's copy at once and tells the others (best effort: the TTL bounds a lost message). */
  private async changed(projectId: number): Promise<void> {
    this.forget(projectId)
    try {
      await this.o.bus?.publish(RULES_CHANGED, String(projectId))
    } catch (err) {
      this.o.log?.warn({ err, projectId }, 'announcing an immutability rule change failed')
    }
  }

  // --- the rules, as the API manages them ---------------------------------------------------

  private audit(caller: Caller, project: Project, operation: string, id: number): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'immutable-rule', resource: `${project.name}/immutabletagrules/${id}`, result: 'success', projectId: project.id })
  }

  /** A rule of this project; NOT_FOUND for a rule of another project, as for a missing one. */
  private async rule(project: Project, id: number): Promise<ImmutableRuleRow> {
    const row = await this.o.stores.immutableRules.get(id)
    if (row === null || row.projectId !== project.id) throw new BerthError('NOT_FOUND', `immutable tag rule ${id} not found in project ${project.name}`)
    return row
  }

  async list(caller: Caller, ref: ProjectRef, q: ListQuery): Promise<Listed<ImmutableRule>> {
    const project = await this.o.projects.require(caller, ref, 'immutable-tag:list')
    const page = await this.o.stores.immutableRules.list(project.id, q)
    return { items: page.items.map(parseRule), total: page.total }
  }

  /** Adds a rule; returns its id. At most MAX_RULES_PER_PROJECT per project; CONFLICT for a duplicate. */
  async create(caller: Caller, ref: ProjectRef, input: ImmutableRuleInput): Promise<number> {
    const project = await this.o.projects.require(caller, ref, 'immutable-tag:create')
    const { stored, selectors } = validated(input)
    const existing = await this.o.stores.immutableRules.all(project.id)
    if (existing.length >= MAX_RULES_PER_PROJECT) throw bad(`project ${project.name} has ${MAX_RULES_PER_PROJECT} immutable tag rules already, the most it may have`)
    await this.refuseDuplicate(existing, selectors)
    const id = await this.o.stores.immutableRules.create(project.id, { disabled: input.disabled ?? false, priority: input.priority ?? 0, rule: JSON.stringify(stored) })
    await this.changed(project.id)
    this.audit(caller, project, 'create', id)
    return id
  }

  private async refuseDuplicate(rules: ImmutableRuleRow[], selectors: RuleSelectors, except?: number): Promise<void> {
    const key = selectorsKey(selectors)
    const same = rules.find((r) => r.id !== except && selectorsKey(parseRule(r)) === key)
    if (same !== undefined) throw new BerthError('CONFLICT', `immutable tag rule ${same.id} has the same selectors`)
  }

  /**
   * Changes a rule. A body with selectors replaces the rule (validated as a new one); a body
   * without them only enables or disables it (`disabled`) and may set its priority, as Harbor's
   * console toggles a rule. An `id` in the body must be the one in the path.
   */
  async update(caller: Caller, ref: ProjectRef, id: number, input: ImmutableRuleInput): Promise<void> {
    if (input.id !== undefined && input.id !== 0 && input.id !== id) throw bad(`the id in the body (${input.id}) is not the rule's id (${id})`)
    const project = await this.o.projects.require(caller, ref, 'immutable-tag:update')
    await this.rule(project, id)
    let rule: string | undefined
    if (input.tag_selectors !== undefined || input.scope_selectors !== undefined) {
      const { stored, selectors } = validated(input)
      await this.refuseDuplicate(await this.o.stores.immutableRules.all(project.id), selectors, id)
      rule = JSON.stringify(stored)
    } else if (input.disabled === undefined && input.priority === undefined) {
      throw bad('nothing to change: send disabled, priority, or the rule with its selectors')
    }
    const change = { ...(input.disabled !== undefined ? { disabled: input.disabled } : {}), ...(input.priority !== undefined ? { priority: input.priority } : {}), ...(rule !== undefined ? { rule } : {}) }
    if (!(await this.o.stores.immutableRules.update(project.id, id, change))) throw new BerthError('NOT_FOUND', `immutable tag rule ${id} not found in project ${project.name}`)
    await this.changed(project.id)
    this.audit(caller, project, 'update', id)
  }

  async delete(caller: Caller, ref: ProjectRef, id: number): Promise<void> {
    const project = await this.o.projects.require(caller, ref, 'immutable-tag:delete')
    await this.rule(project, id)
    if (!(await this.o.stores.immutableRules.delete(project.id, id))) throw new BerthError('NOT_FOUND', `immutable tag rule ${id} not found in project ${project.name}`)
    await this.changed(project.id)
    this.audit(caller, project, 'delete', id)
  }
}
