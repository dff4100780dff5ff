// Harbor's tag retention policy: its rule templates and their parameters (what GET
// /retentions/metadatas lists), the validation of a policy as Harbor's API sends it, and the one
// decision a run makes for a repository. Rules are OR'ed: an artifact is kept when ANY enabled
// rule whose scope covers the repository retains it. Each rule first selects artifacts with its
// tag selectors (an artifact by any of its tags, an untagged one by the untagged flag: see
// ../rules/selectors.ts), then its template keeps some of those:
//
//   latestPushedK       the K most recently pushed of the selected
//   latestPulledN       the N most recently pulled of the selected (never pulled counts as oldest)
//   nDaysSinceLastPush  those pushed within the last N days
//   nDaysSinceLastPull  those pulled within the last N days
//   always              all of them
//
// In a covered repository, a tagged artifact no rule retains is deleted; an untagged one is
// deleted only when a rule selected it (its tag selector takes untagged artifacts) and none
// retained it. Repositories no rule covers are not touched.
import { BerthError } from '../../lib/errors.js'
import { nextRun } from '../../jobs/job-service.js'
import { compileSelectors, parseScopeSelectors, parseTagSelectors, selectorsJson, type CompiledSelectors, type RuleSelectors } from '../rules/selectors.js'

export const RETAIN = 'retain'
export const ALGORITHM_OR = 'or'
/** The only trigger kind; its settings.cron is the schedule ('' for none). */
export const SCHEDULE_TRIGGER = 'Schedule'
/** Most rules a policy may have, as in Harbor's console. */
export const MAX_RULES = 15
const MAX_CRON_LENGTH = 128

export type TemplateId = 'latestPushedK' | 'latestPulledN' | 'nDaysSinceLastPush' | 'nDaysSinceLastPull' | 'always'

interface TemplateSpec {
  displayText: string
  /** The one parameter (named as the template, as in Harbor) and its unit; none for `always`. */
  param?: { unit: 'COUNT' | 'DAYS'; max: number }
}

/** Harbor's bounds: counts below MaxInt16, days up to 20190904 (its dayspl/daysps validators). */
const MAX_COUNT = 32_766
const MAX_DAYS = 20_190_904

export const TEMPLATES: Record<TemplateId, TemplateSpec> = {
  latestPushedK: { displayText: 'the most recently pushed # artifacts', param: { unit: 'COUNT', max: MAX_COUNT } },
  latestPulledN: { displayText: 'the most recently pulled # artifacts', param: { unit: 'COUNT', max: MAX_COUNT } },
  nDaysSinceLastPush: { displayText: 'pushed within the last # days', param: { unit: 'DAYS', max: MAX_DAYS } },
  nDaysSinceLastPull: { displayText: 'pulled within the last # days', param: { unit: 'DAYS', max: MAX_DAYS } },
  always: { displayText: 'always' },
}

/** Harbor's RetentionMetadata: the templates with their parameters, and the selectors. */
export function retentionMetadata() {
  return {
    templates: (Object.entries(TEMPLATES) as [TemplateId, TemplateSpec][]).map(([id, t]) => ({
      rule_template: id,
      display_text: t.displayText,
      action: RETAIN,
      params: t.param === undefined ? [] : [{ type: 'int', unit: t.param.unit, required: true }],
    })),
    scope_selectors: [{ display_text: 'Repositories', kind: 'doublestar', decorations: ['repoMatches', 'repoExcludes'] }],
    tag_selectors: [{ display_text: 'Tags', kind: 'doublestar', decorations: ['matches', 'excludes'] }],
  }
}

export interface RetentionRule extends RuleSelectors {
  id: number
  priority: number
  disabled: boolean
  action: typeof RETAIN
  template: TemplateId
  params: Record<string, number>
}

export interface RetentionPolicyBody {
  algorithm: typeof ALGORITHM_OR
  rules: RetentionRule[]
  /** The schedule; '' for none. */
  cron: string
}

/** A policy as Harbor's API sends it (field names as on the wire), before validation. */
export interface RetentionPolicyInput {
  id?: unknown
  algorithm?: unknown
  rules?: unknown
  trigger?: unknown
  scope?: unknown
}

function bad(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const show = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 64)

/** A JSON integer or a string of digits (Harbor's ParseJSONInt), within 0..max. */
function paramValue(value: unknown, where: string, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n)) throw bad(`${where} must be an integer, not ${show(value)}`)
  if (n < 0) throw bad(`${where} is less than zero`)
  if (n > max) throw bad(`${where} is larger than ${max}`)
  return n
}

function parseRule(raw: unknown, i: number): RetentionRule {
  const at = `rules[${i}]`
  if (!isObject(raw)) throw bad(`${at} must be an object`)
  const template = raw.template
  if (typeof template !== 'string' || !Object.hasOwn(TEMPLATES, template)) throw bad(`${at}.template must be one of ${Object.keys(TEMPLATES).join(', ')}, not ${show(template)}`)
  const spec = TEMPLATES[template as TemplateId]
  const action = raw.action ?? RETAIN
  if (action !== RETAIN) throw bad(`${at}.action must be "${RETAIN}", not ${show(action)}`)
  const rawParams = raw.params ?? {}
  if (!isObject(rawParams)) throw bad(`${at}.params must be an object`)
  const params: Record<string, number> = {}
  for (const key of Object.keys(rawParams)) {
    if (spec.param === undefined || key !== template) throw bad(`${at}.params.${key.slice(0, 64)} is not a parameter of ${template}${spec.param === undefined ? ' (it takes none)' : ` (it takes ${template})`}`)
  }
  if (spec.param !== undefined) {
    if (!Object.hasOwn(rawParams, template)) throw bad(`${at}.params.${template} is required for ${template}`)
    params[template] = paramValue(rawParams[template], `${at}.params.${template}`, spec.param.max)
  }
  const disabled = raw.disabled ?? false
  if (typeof disabled !== 'boolean') throw bad(`${at}.disabled must be true or false`)
  const priority = raw.priority ?? 0
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 2_147_483_647) throw bad(`${at}.priority must be a non-negative integer`)
  if (raw.tag_selectors === undefined) throw bad(`${at}.tag_selectors is required`)
  if (raw.scope_selectors === undefined) throw bad(`${at}.scope_selectors is required`)
  return {
    id: i + 1,
    priority,
    disabled,
    action: RETAIN,
    template: template as TemplateId,
    params,
    tagSelectors: parseTagSelectors(raw.tag_selectors, `${at}.tag_selectors`),
    repositorySelectors: parseScopeSelectors(raw.scope_selectors, `${at}.scope_selectors`),
  }
}

function parseTrigger(raw: unknown): string {
  if (raw === undefined || raw === null) return ''
  if (!isObject(raw)) throw bad('trigger must be an object such as {"kind":"Schedule","settings":{"cron":""}}')
  const kind = raw.kind ?? SCHEDULE_TRIGGER
  if (kind !== SCHEDULE_TRIGGER) throw bad(`trigger.kind must be "${SCHEDULE_TRIGGER}", not ${show(kind)}`)
  const settings = raw.settings ?? {}
  if (!isObject(settings)) throw bad('trigger.settings must be an object')
  const cron = settings.cron ?? ''
  if (typeof cron !== 'string') throw bad('trigger.settings.cron must be a string')
  if (cron.length > MAX_CRON_LENGTH) throw bad(`trigger.settings.cron is longer than ${MAX_CRON_LENGTH} characters`)
  if (cron.trim() !== '') nextRun(cron.trim())
  return cron.trim()
}

/** The project a policy's scope names (Harbor: level "project", ref the project id). */
export function parseScope(raw: unknown): number {
  if (!isObject(raw)) throw bad('scope is required: {"level":"project","ref":<project id>}')
  if (raw.level !== 'project') throw bad(`scope.level must be "project", not ${show(raw.level)}`)
  const ref = raw.ref
  if (typeof ref !== 'number' || !Number.isSafeInteger(ref) || ref < 1) throw bad(`scope.ref must be a project id, not ${show(ref)}`)
  return ref
}

/** Validates a policy's algorithm, rules and trigger (the scope is the caller's to check). */
export function parsePolicy(input: RetentionPolicyInput): RetentionPolicyBody {
  const algorithm = input.algorithm ?? ALGORITHM_OR
  if (algorithm !== ALGORITHM_OR) throw bad(`algorithm must be "${ALGORITHM_OR}", not ${show(algorithm)}`)
  const rules = input.rules ?? []
  if (!Array.isArray(rules)) throw bad('rules must be a list')
  if (rules.length > MAX_RULES) throw bad(`a policy has at most ${MAX_RULES} rules, not ${rules.length}`)
  return { algorithm: ALGORITHM_OR, rules: rules.map(parseRule), cron: parseTrigger(input.trigger) }
}

/** Harbor's wire shape of a rule. */
export function ruleJson(r: RetentionRule) {
  return { id: r.id, priority: r.priority, disabled: r.disabled, action: r.action, template: r.template, params: r.params, ...selectorsJson(r) }
}

/** The JSON kept in the store: Harbor's policy without id and scope. */
export function storedPolicy(p: RetentionPolicyBody): string {
  return JSON.stringify({ algorithm: p.algorithm, rules: p.rules.map(ruleJson), trigger: { kind: SCHEDULE_TRIGGER, settings: { cron: p.cron } } })
}

/** Reads a stored policy back (it was validated when written). */
export function loadPolicy(json: string): RetentionPolicyBody {
  const p = JSON.parse(json) as { algorithm: unknown; rules: unknown; trigger: unknown }
  return parsePolicy({ algorithm: p.algorithm, rules: p.rules, trigger: p.trigger })
}

// --- the decision ------------------------------------------------------------------------------

/** An artifact as a rule judges it. */
export interface Candidate {
  digest: string
  tags: readonly string[]
  /** ms since epoch. */
  pushedAt: number
  /** ms since epoch; 0 when never pulled. */
  pulledAt: number
}

export interface CompiledRule {
  rule: RetentionRule
  selectors: CompiledSelectors
}

export function compileRules(p: RetentionPolicyBody): CompiledRule[] {
  return p.rules.filter((r) => !r.disabled).map((rule) => ({ rule, selectors: compileSelectors(rule) }))
}

const DAY_MS = 86_400_000

/** Newest first; ties in digest order so that two runs over the same history decide alike. */
function newestFirst<C extends Candidate>(list: C[], time: (c: C) => number): C[] {
  return [...list].sort((a, b) => time(b) - time(a) || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))
}

/** What a template keeps of the artifacts its rule selected. */
export function retainedBy<C extends Candidate>(rule: RetentionRule, selected: C[], now: number): C[] {
  const n = rule.params[rule.template] ?? 0
  switch (rule.template) {
    case 'latestPushedK':
      return newestFirst(selected, (c) => c.pushedAt).slice(0, n)
    case 'latestPulledN':
      return newestFirst(selected, (c) => c.pulledAt).slice(0, n)
    case 'nDaysSinceLastPush':
      return selected.filter((c) => c.pushedAt >= now - n * DAY_MS)
    case 'nDaysSinceLastPull':
      return selected.filter((c) => c.pulledAt >= now - n * DAY_MS)
    case 'always':
      return selected
  }
}

export interface Decision<C extends Candidate> {
  retained: C[]
  /** The artifacts to delete, in the order of `candidates`. */
  deleted: C[]
}

/**
 * The decision for one repository (`repository`: its name inside the project): null when no
 * enabled rule covers it (it is left alone).
 */
export function decide<C extends Candidate>(rules: CompiledRule[], repository: string, candidates: C[], now: number): Decision<C> | null {
  const covering = rules.filter((r) => r.selectors.coversRepository(repository))
  if (covering.length === 0) return null
  const kept = new Set<string>()
  const selectedAny = new Set<string>()
  for (const r of covering) {
    const selected = candidates.filter((c) => r.selectors.selects({ repository, tags: c.tags }))
    for (const c of selected) selectedAny.add(c.digest)
    for (const c of retainedBy(r.rule, selected, now)) kept.add(c.digest)
  }
  const deleted = candidates.filter((c) => !kept.has(c.digest) && (c.tags.length > 0 || selectedAny.has(c.digest)))
  const gone = new Set(deleted.map((c) => c.digest))
  return { retained: candidates.filter((c) => !gone.has(c.digest)), deleted }
}

/** Whether any enabled rule covers the repository (a name inside its project). */
export function covers(rules: CompiledRule[], repository: string): boolean {
  return rules.some((r) => r.selectors.coversRepository(repository))
}
