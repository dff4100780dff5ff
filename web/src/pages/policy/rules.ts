// Tag retention and immutability rules as the console shows and edits them: Harbor's wire shape
// (rules with doublestar selectors, see src/services/rules/selectors.ts) read into a flat form and
// back, and a rule put into words ("Retain the 10 most recently pushed artifacts of repositories
// matching **, tags matching v*").
import type { TFunction } from 'i18next'
import type { paths } from '../../api/schema'

export type RetentionPolicy = paths['/api/v2.0/retentions/{id}']['get']['responses'][200]['content']['application/json']
export type RetentionRule = RetentionPolicy['rules'][number]
export type RetentionMetadata = paths['/api/v2.0/retentions/metadatas']['get']['responses'][200]['content']['application/json']
export type ImmutableRule = paths['/api/v2.0/projects/{project}/immutabletagrules']['get']['responses'][200]['content']['application/json'][number]
type PolicyBody = NonNullable<paths['/api/v2.0/retentions']['post']['requestBody']>['content']['application/json']
export type RetentionRuleBody = NonNullable<PolicyBody['rules']>[number]
export type ImmutableRuleBody = paths['/api/v2.0/projects/{project}/immutabletagrules']['post']['requestBody']['content']['application/json']

type Selector = RetentionRule['tag_selectors'][number]

export const DOUBLESTAR = 'doublestar'
export type RepoDecoration = 'repoMatches' | 'repoExcludes'
export type TagDecoration = 'matches' | 'excludes'

/** The templates Berth knows, each with the catalogue keys of its name and of its part of a sentence. */
export const TEMPLATE_KEYS: Record<string, { name: string; what: string }> = {
  latestPushedK: { name: 'policy.retention.template.latestPushedK', what: 'policy.retention.what.latestPushedK' },
  latestPulledN: { name: 'policy.retention.template.latestPulledN', what: 'policy.retention.what.latestPulledN' },
  nDaysSinceLastPush: { name: 'policy.retention.template.nDaysSinceLastPush', what: 'policy.retention.what.nDaysSinceLastPush' },
  nDaysSinceLastPull: { name: 'policy.retention.template.nDaysSinceLastPull', what: 'policy.retention.what.nDaysSinceLastPull' },
  always: { name: 'policy.retention.template.always', what: 'policy.retention.what.always' },
}

export const DECORATION_KEYS: Record<RepoDecoration | TagDecoration, string> = {
  repoMatches: 'policy.selector.repoMatches',
  repoExcludes: 'policy.selector.repoExcludes',
  matches: 'policy.selector.matches',
  excludes: 'policy.selector.excludes',
}

/** The selector's phrase: "matching v*", "excluding test-*". */
function phrase(t: TFunction, selectors: readonly Selector[]): string {
  if (selectors.length === 0) return t('policy.selector.any')
  return selectors.map((s) => t(DECORATION_KEYS[s.decoration as RepoDecoration] ?? 'policy.selector.matches', { pattern: s.pattern === '' ? '**' : s.pattern })).join(t('policy.selector.and'))
}

/** Harbor's untagged flag, as `extras` says or its default for the decoration (true for matches, false for excludes). */
function untaggedFlag(s: Selector): boolean {
  try {
    const extras = JSON.parse(s.extras ?? '{}') as { untagged?: unknown }
    if (typeof extras.untagged === 'boolean') return extras.untagged
  } catch {
    // Not JSON: the server would not have stored it; read it as absent.
  }
  return s.decoration !== 'excludes'
}

/**
 * Whether the rule's tag selectors take artifacts without tags. Harbor's flag means "selected"
 * on `matches` and "left out" on `excludes`, so the console asks the one plain question instead.
 */
export function includesUntagged(selectors: readonly Selector[]): boolean {
  return selectors.every((s) => untaggedFlag(s) === (s.decoration !== 'excludes'))
}

/** The repositories and tags a rule covers, in words: "repositories matching **, tags matching v*". */
export function describeScope(t: TFunction, rule: Pick<RetentionRule, 'scope_selectors' | 'tag_selectors'>): { repositories: string; tags: string } {
  return { repositories: phrase(t, rule.scope_selectors.repository ?? []), tags: phrase(t, rule.tag_selectors) }
}

/** A retention rule as a sentence. */
export function describeRetentionRule(t: TFunction, rule: RetentionRule): string {
  const keys = TEMPLATE_KEYS[rule.template]
  const count = Number(rule.params[rule.template] ?? 0)
  const what = keys === undefined ? rule.template : t(keys.what, { count })
  return t('policy.retention.sentence', { what, ...describeScope(t, rule), untagged: includesUntagged(rule.tag_selectors) ? 'yes' : 'no' })
}

// --- the forms ---------------------------------------------------------------------------------

export interface SelectorForm {
  repoDecoration: RepoDecoration
  repoPattern: string
  tagDecoration: TagDecoration
  tagPattern: string
}

export interface RetentionRuleForm extends SelectorForm {
  template: string
  /** The template's count or days, as typed. */
  param: string
  includeUntagged: boolean
  disabled: boolean
}

export const NEW_SELECTORS: SelectorForm = { repoDecoration: 'repoMatches', repoPattern: '**', tagDecoration: 'matches', tagPattern: '**' }
export const NEW_RETENTION_RULE: RetentionRuleForm = { ...NEW_SELECTORS, template: 'latestPushedK', param: '10', includeUntagged: false, disabled: false }

function selectorForm(rule: Pick<RetentionRule, 'scope_selectors' | 'tag_selectors'>): SelectorForm {
  const repo = rule.scope_selectors.repository?.[0]
  const tag = rule.tag_selectors[0]
  return {
    repoDecoration: repo?.decoration === 'repoExcludes' ? 'repoExcludes' : 'repoMatches',
    repoPattern: repo?.pattern ?? '**',
    tagDecoration: tag?.decoration === 'excludes' ? 'excludes' : 'matches',
    tagPattern: tag?.pattern ?? '**',
  }
}

export function retentionRuleForm(rule: RetentionRule): RetentionRuleForm {
  const n = rule.params[rule.template]
  return { ...selectorForm(rule), template: rule.template, param: n === undefined ? '' : String(n), includeUntagged: includesUntagged(rule.tag_selectors), disabled: rule.disabled }
}

export function immutableRuleForm(rule: ImmutableRule): SelectorForm {
  return selectorForm(rule)
}

/** The form's problems as catalogue keys by field; empty when it may be sent. */
export function selectorErrors(f: SelectorForm): Partial<Record<'repoPattern' | 'tagPattern', string>> {
  const out: Partial<Record<'repoPattern' | 'tagPattern', string>> = {}
  if (f.repoPattern.trim() === '') out.repoPattern = 'policy.selector.patternRequired'
  if (f.tagPattern.trim() === '') out.tagPattern = 'policy.selector.patternRequired'
  return out
}

export function retentionRuleErrors(f: RetentionRuleForm, takesParam: boolean): Partial<Record<'repoPattern' | 'tagPattern' | 'param', string>> {
  const out: Partial<Record<'repoPattern' | 'tagPattern' | 'param', string>> = selectorErrors(f)
  if (takesParam && !/^\d{1,8}$/.test(f.param.trim())) out.param = 'policy.retention.paramInvalid'
  return out
}

function selectorsBody(f: SelectorForm, untagged?: boolean) {
  return {
    scope_selectors: { repository: [{ kind: DOUBLESTAR, decoration: f.repoDecoration, pattern: f.repoPattern.trim() }] },
    tag_selectors: [{ kind: DOUBLESTAR, decoration: f.tagDecoration, pattern: f.tagPattern.trim(), ...(untagged !== undefined ? { extras: JSON.stringify({ untagged }) } : {}) }],
  }
}

/** A retention rule as the API takes it; `takesParam`: the template has a count or days (the metadata says). */
export function retentionRuleBody(f: RetentionRuleForm, takesParam: boolean): RetentionRuleBody {
  // Harbor's flag reads the other way round on `excludes` (see includesUntagged).
  const untagged = f.tagDecoration === 'matches' ? f.includeUntagged : !f.includeUntagged
  return {
    action: 'retain',
    template: f.template,
    disabled: f.disabled,
    params: takesParam ? { [f.template]: Number(f.param.trim()) } : {},
    ...selectorsBody(f, untagged),
  }
}

/** A rule read back from the API, to send again unchanged in a policy. */
export function retentionRuleAsBody(r: RetentionRule): RetentionRuleBody {
  return { priority: r.priority, disabled: r.disabled, action: r.action, template: r.template, params: r.params, tag_selectors: r.tag_selectors, scope_selectors: r.scope_selectors }
}

export function immutableRuleBody(f: SelectorForm, disabled = false): ImmutableRuleBody {
  return { action: 'immutable', template: 'immutable_template', disabled, params: {}, ...selectorsBody(f) }
}

/** A whole retention policy of a project, as POST and PUT /retentions take it. */
export function retentionPolicyBody(projectId: number, rules: RetentionRuleBody[], cron: string): PolicyBody {
  return { algorithm: 'or', rules, trigger: { kind: 'Schedule', settings: { cron }, references: {} }, scope: { level: 'project', ref: projectId } }
}
